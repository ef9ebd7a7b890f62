//! Collections: hand-picked, ordered lists of products.

use emporium_kernel::{db::Conn, id::CollectionId, sql};

use super::{corrupt, insert_rows, unique_as_conflict, Arg, Sql};
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
    conn: &mut Conn<'_>,
    by: Option<(&str, bool)>,
    include_drafts: bool,
) -> Result<Vec<Collection>> {
    let mut sql = Sql::new(
        "SELECT c.id, c.handle, c.title, c.description, COUNT(p.id) \
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
    let mut collections: Vec<Collection> = conn
        .fetch_all(&sql)
        .await?
        .iter()
        .map(|r| {
            let id: String = r.get(0)?;
            Ok(Collection {
                id: CollectionId::parse(&id).map_err(|_| corrupt("collections.id", &id))?,
                handle: r.get(1)?,
                title: r.get(2)?,
                description: r.get(3)?,
                product_count: r.get(4)?,
            })
        })
        .collect::<Result<_>>()?;
    // Byte-wise by title on both databases.
    collections.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    Ok(collections)
}

pub(crate) async fn find_row(conn: &mut Conn<'_>, id: &str) -> Result<Option<CollectionRow>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT id, handle, title, description, created_at, updated_at \
             FROM collections WHERE id = $1",
            id
        ))
        .await?;
    row.map(|r| {
        Ok(CollectionRow {
            id: r.get(0)?,
            handle: r.get(1)?,
            title: r.get(2)?,
            description: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
        })
    })
    .transpose()
}

/// The id of the collection with this handle.
pub(crate) async fn id_by_handle(conn: &mut Conn<'_>, handle: &str) -> Result<Option<String>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT id FROM collections WHERE handle = $1",
            handle
        ))
        .await?;
    Ok(row.map(|r| r.get(0)).transpose()?)
}

pub(crate) async fn insert(conn: &mut Conn<'_>, collections: &[CollectionRow]) -> Result<()> {
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

pub(crate) async fn update(conn: &mut Conn<'_>, c: &CollectionRow) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE collections SET handle = $1, title = $2, description = $3, updated_at = $4 \
         WHERE id = $5",
        &c.handle,
        &c.title,
        &c.description,
        c.updated_at,
        &c.id
    ))
    .await
    .map_err(unique_as_conflict)?;
    Ok(())
}

/// Makes the collection's products exactly `product_ids`, in that order.
/// The products of a collection (for events when it changes).
pub(crate) async fn member_ids(conn: &mut Conn<'_>, collection_id: &str) -> Result<Vec<String>> {
    conn.fetch_all(&sql!(
        "SELECT product_id FROM collection_products WHERE collection_id = $1",
        collection_id
    ))
    .await?
    .iter()
    .map(|row| Ok(row.get::<String>(0)?))
    .collect()
}

pub(crate) async fn replace_products(
    conn: &mut Conn<'_>,
    collection_id: &str,
    product_ids: &[String],
) -> Result<()> {
    conn.execute(&sql!(
        "DELETE FROM collection_products WHERE collection_id = $1",
        collection_id
    ))
    .await?;
    insert_members(conn, collection_id, product_ids).await
}

/// Adds products at positions 0, 1, … in the given order (to an empty collection).
pub(crate) async fn insert_members(
    conn: &mut Conn<'_>,
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

pub(crate) async fn delete(conn: &mut Conn<'_>, id: &str) -> Result<bool> {
    let deleted = conn
        .execute(&sql!("DELETE FROM collections WHERE id = $1", id))
        .await?;
    Ok(deleted > 0)
}
