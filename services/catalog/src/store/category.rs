//! The category tree. It is small (tens to hundreds of rows), so reads load it whole and
//! the tree logic (descendants, cycles) runs in Rust.

use emporium_kernel::{db::Conn, sql};

use super::{insert_rows, unique_as_conflict, Arg};
use crate::Result;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CategoryRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) async fn load_all(conn: &mut Conn<'_>) -> Result<Vec<CategoryRow>> {
    conn.fetch_all(&sql!(
        "SELECT id, parent_id, handle, name, description, position, created_at, updated_at \
         FROM categories"
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(CategoryRow {
            id: r.get(0)?,
            parent_id: r.get(1)?,
            handle: r.get(2)?,
            name: r.get(3)?,
            description: r.get(4)?,
            position: r.get(5)?,
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
        })
    })
    .collect()
}

pub(crate) async fn insert(conn: &mut Conn<'_>, categories: &[CategoryRow]) -> Result<()> {
    let rows = categories
        .iter()
        .map(|c| {
            vec![
                Arg::from(&c.id),
                Arg::from(&c.parent_id),
                Arg::from(&c.handle),
                Arg::from(&c.name),
                Arg::from(&c.description),
                Arg::from(c.position),
                Arg::from(c.created_at),
                Arg::from(c.updated_at),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "categories",
        &[
            "id",
            "parent_id",
            "handle",
            "name",
            "description",
            "position",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await
}

pub(crate) async fn update(conn: &mut Conn<'_>, c: &CategoryRow) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE categories SET parent_id = $1, handle = $2, name = $3, description = $4, \
         position = $5, updated_at = $6 WHERE id = $7",
        &c.parent_id,
        &c.handle,
        &c.name,
        &c.description,
        c.position,
        c.updated_at,
        &c.id
    ))
    .await
    .map_err(unique_as_conflict)?;
    Ok(())
}

/// Moves the children of `id` under `new_parent`, then deletes `id`. Its product links
/// go with it (ON DELETE CASCADE); the products stay.
pub(crate) async fn delete_and_reparent(
    conn: &mut Conn<'_>,
    id: &str,
    new_parent: Option<&str>,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE categories SET parent_id = $1, updated_at = $2 WHERE parent_id = $3",
        new_parent,
        now,
        id
    ))
    .await?;
    conn.execute(&sql!(
        "DELETE FROM product_categories WHERE category_id = $1",
        id
    ))
    .await?;
    conn.execute(&sql!("DELETE FROM categories WHERE id = $1", id))
        .await?;
    Ok(())
}
