//! The category tree. It is small (tens to hundreds of rows), so reads load it whole and
//! the tree logic (descendants, cycles) runs in Rust.

use sqlx::{AnyConnection, Row};

use super::{insert_rows, unique_as_conflict, Arg, Sql};
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

pub(crate) async fn load_all(conn: &mut AnyConnection) -> Result<Vec<CategoryRow>> {
    let rows = sqlx::query(
        "SELECT id, parent_id, handle, name, description, position, created_at, updated_at FROM categories",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CategoryRow {
                id: r.try_get("id")?,
                parent_id: r.try_get("parent_id")?,
                handle: r.try_get("handle")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                position: r.try_get("position")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

pub(crate) async fn insert(conn: &mut AnyConnection, categories: &[CategoryRow]) -> Result<()> {
    let rows = categories
        .iter()
        .map(|c| {
            vec![
                Arg::from(&c.id),
                Arg::from(c.parent_id.clone()),
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

pub(crate) async fn update(conn: &mut AnyConnection, c: &CategoryRow) -> Result<()> {
    let mut sql = Sql::new("UPDATE categories SET parent_id = ");
    sql.bind(c.parent_id.clone())
        .push(", handle = ")
        .bind(&c.handle)
        .push(", name = ")
        .bind(&c.name)
        .push(", description = ")
        .bind(&c.description)
        .push(", position = ")
        .bind(c.position)
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

/// Moves the children of `id` under `new_parent`, then deletes `id`. Its product links
/// go with it (ON DELETE CASCADE); the products stay.
pub(crate) async fn delete_and_reparent(
    conn: &mut AnyConnection,
    id: &str,
    new_parent: Option<&str>,
    now: i64,
) -> Result<()> {
    let mut sql = Sql::new("UPDATE categories SET parent_id = ");
    sql.bind(new_parent.map(str::to_owned))
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE parent_id = ")
        .bind(id);
    sql.query().execute(&mut *conn).await?;
    let mut sql = Sql::new("DELETE FROM product_categories WHERE category_id = ");
    sql.bind(id);
    sql.query().execute(&mut *conn).await?;
    let mut sql = Sql::new("DELETE FROM categories WHERE id = ");
    sql.bind(id);
    sql.query().execute(&mut *conn).await?;
    Ok(())
}
