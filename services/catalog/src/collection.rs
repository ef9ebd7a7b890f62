//! Collections: hand-picked, ordered product lists ("Summer sale", "Staff picks").

use emporium_kernel::{clock::now_ms, db::Database, id::has_prefix, id::new_id};

use crate::{
    error::CatalogError,
    fields::{self, MAX_DESCRIPTION, MAX_TITLE},
    product::{check_references, choose_handle, explicit_handle},
    store::{self, collection::CollectionRow, product::IdTable, HandleTable},
    Collection, CollectionChanges, NewCollection, Result,
};

pub(crate) async fn list(db: &Database, include_drafts: bool) -> Result<Vec<Collection>> {
    let mut conn = db.pool().acquire().await?;
    store::collection::load(&mut conn, None, include_drafts).await
}

pub(crate) async fn get(
    db: &Database,
    id_or_handle: &str,
    include_drafts: bool,
) -> Result<Collection> {
    let mut conn = db.pool().acquire().await?;
    let by_id = has_prefix(id_or_handle, "pcol");
    store::collection::load(&mut conn, Some((id_or_handle, by_id)), include_drafts)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| CatalogError::not_found("collection", id_or_handle))
}

pub(crate) async fn create(db: &Database, input: NewCollection) -> Result<Collection> {
    let title = fields::required_text("title", &input.title, MAX_TITLE)?;
    let handle = explicit_handle(input.handle.as_deref())?;
    let description = fields::free_text("description", &input.description, MAX_DESCRIPTION)?;
    let product_ids = fields::distinct_ids("product_ids", &input.product_ids)?;

    let mut tx = store::begin_write(db).await?;
    check_references(&mut tx, IdTable::Products, "product_ids", &product_ids).await?;
    let handle = choose_handle(
        &mut tx,
        HandleTable::Collections,
        handle,
        &title,
        "collection",
        None,
    )
    .await?;
    let now = now_ms();
    let row = CollectionRow {
        id: new_id("pcol"),
        handle,
        title,
        description,
        created_at: now,
        updated_at: now,
    };
    store::collection::insert(&mut tx, std::slice::from_ref(&row)).await?;
    store::collection::insert_members(&mut tx, &row.id, &product_ids).await?;
    let created = store::collection::load(&mut tx, Some((&row.id, true)), true)
        .await?
        .into_iter()
        .next();
    tx.commit().await?;
    created.ok_or_else(|| CatalogError::not_found("collection", row.id))
}

pub(crate) async fn update(
    db: &Database,
    id: &str,
    changes: CollectionChanges,
) -> Result<Collection> {
    let mut tx = store::begin_write(db).await?;
    let mut row = store::collection::find_row(&mut tx, id)
        .await?
        .ok_or_else(|| CatalogError::not_found("collection", id))?;
    if let Some(title) = &changes.title {
        row.title = fields::required_text("title", title, MAX_TITLE)?;
    }
    if let Some(handle) = &changes.handle {
        let handle = fields::handle("handle", handle)?;
        if handle != row.handle {
            row.handle = choose_handle(
                &mut tx,
                HandleTable::Collections,
                Some(handle),
                &row.title,
                "collection",
                Some(id),
            )
            .await?;
        }
    }
    if let Some(description) = &changes.description {
        row.description = fields::free_text("description", description, MAX_DESCRIPTION)?;
    }
    if let Some(ids) = &changes.product_ids {
        let ids = fields::distinct_ids("product_ids", ids)?;
        check_references(&mut tx, IdTable::Products, "product_ids", &ids).await?;
        store::collection::replace_products(&mut tx, id, &ids).await?;
    }
    row.updated_at = now_ms().max(row.updated_at);
    store::collection::update(&mut tx, &row).await?;
    let updated = store::collection::load(&mut tx, Some((id, true)), true)
        .await?
        .into_iter()
        .next();
    tx.commit().await?;
    updated.ok_or_else(|| CatalogError::not_found("collection", id))
}

pub(crate) async fn delete(db: &Database, id: &str) -> Result<()> {
    let mut tx = store::begin_write(db).await?;
    if !store::collection::delete(&mut tx, id).await? {
        return Err(CatalogError::not_found("collection", id));
    }
    tx.commit().await?;
    Ok(())
}
