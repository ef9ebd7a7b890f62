//! Collections: hand-picked, ordered product lists ("Summer sale", "Staff picks").

use emporium_kernel::{
    clock::now_ms,
    db::Database,
    id::{has_prefix, CollectionId},
};

use crate::{
    error::CatalogError,
    events,
    fields::{self, MAX_DESCRIPTION, MAX_TITLE},
    product::{check_references, choose_handle, explicit_handle},
    store::{self, collection::CollectionRow, product::IdTable, HandleTable},
    Collection, CollectionChanges, NewCollection, Result,
};

pub(crate) async fn list(db: &Database, include_drafts: bool) -> Result<Vec<Collection>> {
    db.read(async |conn| store::collection::load(conn, None, include_drafts).await)
        .await
}

pub(crate) async fn get(
    db: &Database,
    id_or_handle: &str,
    include_drafts: bool,
) -> Result<Collection> {
    let by_id = has_prefix(id_or_handle, CollectionId::PREFIX);
    db.read(async |conn| {
        store::collection::load(conn, Some((id_or_handle, by_id)), include_drafts).await
    })
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

    let (id, created) = db
        .write(async move |conn| -> Result<(String, Option<Collection>)> {
            check_references(conn, IdTable::Products, "product_ids", &product_ids).await?;
            let handle = choose_handle(
                conn,
                HandleTable::Collections,
                handle,
                &title,
                "collection",
                None,
            )
            .await?;
            let now = now_ms();
            let row = CollectionRow {
                id: CollectionId::new().into(),
                handle,
                title,
                description,
                created_at: now,
                updated_at: now,
            };
            store::collection::insert(conn, std::slice::from_ref(&row)).await?;
            store::collection::insert_members(conn, &row.id, &product_ids).await?;
            events::products_changed(conn, product_ids).await?;
            let created = store::collection::load(conn, Some((&row.id, true)), true)
                .await?
                .into_iter()
                .next();
            Ok((row.id, created))
        })
        .await?;
    created.ok_or_else(|| CatalogError::not_found("collection", id))
}

pub(crate) async fn update(
    db: &Database,
    id: &CollectionId,
    changes: CollectionChanges,
) -> Result<Collection> {
    let owned_id = id.to_string();
    let updated = db
        .write(async move |conn| -> Result<Option<Collection>> {
            let id = owned_id.as_str();
            let mut row = store::collection::find_row(conn, id)
                .await?
                .ok_or_else(|| CatalogError::not_found("collection", id))?;
            let old_handle = row.handle.clone();
            let mut changed = Vec::new();
            if let Some(title) = &changes.title {
                row.title = fields::required_text("title", title, MAX_TITLE)?;
            }
            if let Some(handle) = &changes.handle {
                let handle = fields::handle("handle", handle)?;
                if handle != row.handle {
                    row.handle = choose_handle(
                        conn,
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
                check_references(conn, IdTable::Products, "product_ids", &ids).await?;
                changed = store::collection::member_ids(conn, id).await?;
                changed.extend(ids.iter().cloned());
                store::collection::replace_products(conn, id, &ids).await?;
            }
            row.updated_at = now_ms().max(row.updated_at);
            store::collection::update(conn, &row).await?;
            if row.handle != old_handle {
                changed.extend(store::collection::member_ids(conn, id).await?);
            }
            events::products_changed(conn, changed).await?;
            Ok(store::collection::load(conn, Some((id, true)), true)
                .await?
                .into_iter()
                .next())
        })
        .await?;
    updated.ok_or_else(|| CatalogError::not_found("collection", id.as_str()))
}

pub(crate) async fn delete(db: &Database, id: &CollectionId) -> Result<()> {
    let id = id.to_string();
    db.write(async move |conn| {
        let members = store::collection::member_ids(conn, &id).await?;
        if !store::collection::delete(conn, &id).await? {
            return Err(CatalogError::not_found("collection", id));
        }
        events::products_changed(conn, members).await
    })
    .await
}
