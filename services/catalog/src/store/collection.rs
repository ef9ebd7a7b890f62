//! Collections: hand-picked, ordered lists of products.

use sqlx::{AnyConnection, Row};

use super::{insert_rows, unique_as_conflict, Arg, Sql};
use crate::{Collection, Result};

#[derive(Debug, Clone)]
pub(crate) struct CollectionRow {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Collections with their product counts; `by` picks one collection (by id or handle).
pub(crate) async fn load(
    conn: &mut AnyConnection,
    by: Option<(&str, bool)>,
    include_drafts: bool,
) -> Result<Vec<Collection>> {
    let mut sql = Sql::new(
        "SELECT c.id, c.handle, c.title, c.description, COUNT(p.id) AS product_count \
         FROM collections c \
         LEFT JOIN collection_products cp ON cp.collection_id = c.id \
         LEFT JOIN products p ON p.id = cp.product_id",
    );
    if !include_drafts {
        sql.push(" AND p.status = 'published'");
    }
    if let Some((key, by_id)) = by {
        sql.push(if by_id {
            " WHERE c.id = "
        } else {
            " WHERE c.handle = "
        })
        .bind(key);
    }
    sql.push(" GROUP BY c.id, c.handle, c.title, c.description");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut collections: Vec<Collection> = rows
        .iter()
        .map(|r| {
            Ok(Collection {
                id: r.try_get("id")?,
                handle: r.try_get("handle")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                product_count: r.try_get("product_count")?,
            })
        })
        .collect::<Result<_>>()?;
    // Byte-wise by title on both databases.
    collections.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    Ok(collections)
}

pub(crate) async fn find_row(conn: &mut AnyConnection, id: &str) -> Result<Option<CollectionRow>> {
    let mut sql =
        Sql::new("SELECT id, handle, title, description, created_at, updated_at FROM collections WHERE id = ");
    sql.bind(id);
    let Some(r) = sql.query().fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    Ok(Some(CollectionRow {
        id: r.try_get("id")?,
        handle: r.try_get("handle")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

/// The id of the collection with this handle.
pub(crate) async fn id_by_handle(conn: &mut AnyConnection, handle: &str) -> Result<Option<String>> {
    let mut sql = Sql::new("SELECT id FROM collections WHERE handle = ");
    sql.bind(handle);
    let row = sql.query().fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

pub(crate) async fn insert(conn: &mut AnyConnection, collections: &[CollectionRow]) -> Result<()> {
    let rows = collections
        .iter()
        .map(|c| {
            vec![
                Arg::from(&c.id),
                Arg::from(&c.handle),
                Arg::from(&c.title),
                Arg::from(&c.description),
                Arg::from(c.created_at),
                Arg::from(c.updated_at),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "collections",
        &[
            "id",
            "handle",
            "title",
            "description",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await
}

pub(crate) async fn update(conn: &mut AnyConnection, c: &CollectionRow) -> Result<()> {
    let mut sql = Sql::new("UPDATE collections SET handle = ");
    sql.bind(&c.handle)
        .push(", title = ")
        .bind(&c.title)
        .push(", description = ")
        .bind(&c.description)
        .push(", updated_at = ")
        .bind(c.updated_at)
        .push(" WHERE id = ")
        .bind(&c.id);
    sql.query()
        .execute(&mut *conn)
        .await
        .map_err(unique_as_conflict)?;
    Ok(())
}

/// Makes the collection's products exactly `product_ids`, in that order.
pub(crate) async fn replace_products(
    conn: &mut AnyConnection,
    collection_id: &str,
    product_ids: &[String],
) -> Result<()> {
    let mut sql = Sql::new("DELETE FROM collection_products WHERE collection_id = ");
    sql.bind(collection_id);
    sql.query().execute(&mut *conn).await?;
    insert_members(conn, collection_id, product_ids).await
}

/// Adds products at positions 0, 1, … in the given order (to an empty collection).
pub(crate) async fn insert_members(
    conn: &mut AnyConnection,
    collection_id: &str,
    product_ids: &[String],
) -> Result<()> {
    let rows = product_ids
        .iter()
        .enumerate()
        .map(|(i, p)| vec![Arg::from(collection_id), Arg::from(p), Arg::from(i as i64)])
        .collect();
    insert_rows(
        conn,
        "collection_products",
        &["collection_id", "product_id", "position"],
        rows,
    )
    .await
}

pub(crate) async fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    let mut sql = Sql::new("DELETE FROM collections WHERE id = ");
    sql.bind(id);
    Ok(sql.query().execute(&mut *conn).await?.rows_affected() > 0)
}
