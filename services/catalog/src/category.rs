//! The category tree: building it, keeping it a tree (no cycles), and the descendant sets
//! that category filters use.

use std::collections::{HashMap, HashSet};

use emporium_kernel::{clock::now_ms, db::Database, id::CategoryId};

use crate::{
    error::CatalogError,
    events,
    fields::{self, MAX_DESCRIPTION, MAX_TITLE},
    product::{choose_handle, explicit_handle},
    store::{self, category::CategoryRow, corrupt, HandleTable},
    Category, CategoryChanges, NewCategory, Result,
};

/// Children sorted by position, then name (byte-wise), then id.
fn sort_siblings(rows: &mut [&CategoryRow]) {
    rows.sort_by(|a, b| {
        a.position
            .cmp(&b.position)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The forest of all categories. Rows whose parent is missing count as roots. An id that
/// does not parse is a corrupted row.
pub(crate) fn build_tree(rows: &[CategoryRow]) -> Result<Vec<Category>> {
    let ids: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut children: HashMap<&str, Vec<&CategoryRow>> = HashMap::new();
    let mut roots: Vec<&CategoryRow> = Vec::new();
    for row in rows {
        match row.parent_id.as_deref().filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(row),
            None => roots.push(row),
        }
    }
    for list in children.values_mut() {
        sort_siblings(list);
    }
    sort_siblings(&mut roots);
    // Only nodes reachable from a root are visited, so a cycle in corrupted data cannot
    // make this loop forever.
    roots.into_iter().map(|r| node(r, &children)).collect()
}

fn node(row: &CategoryRow, children: &HashMap<&str, Vec<&CategoryRow>>) -> Result<Category> {
    let parse = |id: &str| CategoryId::parse(id).map_err(|_| corrupt("categories.id", id));
    Ok(Category {
        id: parse(&row.id)?,
        handle: row.handle.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        parent_id: row.parent_id.as_deref().map(parse).transpose()?,
        position: row.position,
        children: children
            .get(row.id.as_str())
            .map(|list| list.iter().map(|c| node(c, children)).collect())
            .transpose()?
            .unwrap_or_default(),
    })
}

/// `id` and every category below it.
pub(crate) fn with_descendants(rows: &[CategoryRow], id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    let mut i = 0;
    while i < out.len() {
        let current = out[i].clone();
        for row in rows
            .iter()
            .filter(|r| r.parent_id.as_deref() == Some(current.as_str()))
        {
            if seen.insert(row.id.clone()) {
                out.push(row.id.clone());
            }
        }
        i += 1;
    }
    out
}

/// The subtree rooted at `id`.
fn subtree(rows: &[CategoryRow], id: &str) -> Result<Option<Category>> {
    fn find(nodes: Vec<Category>, id: &str) -> Option<Category> {
        for n in nodes {
            if n.id.as_str() == id {
                return Some(n);
            }
            if let Some(found) = find(n.children, id) {
                return Some(found);
            }
        }
        None
    }
    Ok(find(build_tree(rows)?, id))
}

/// Highest position a caller may give a category: far beyond any real menu, and far
/// from i64 overflow when the next sibling is numbered after it.
const MAX_POSITION: i64 = 1_000_000;

fn position(value: i64) -> Result<i64> {
    if (0..=MAX_POSITION).contains(&value) {
        Ok(value)
    } else {
        Err(CatalogError::invalid(
            "position",
            format!("must be a whole number from 0 to {MAX_POSITION}, got {value}"),
        ))
    }
}

fn next_sibling_position(rows: &[CategoryRow], parent: Option<&str>) -> i64 {
    rows.iter()
        .filter(|r| r.parent_id.as_deref() == parent)
        .map(|r| r.position.saturating_add(1))
        .max()
        .unwrap_or(0)
}

pub(crate) async fn tree(db: &Database) -> Result<Vec<Category>> {
    let rows = db
        .read(async |conn| store::category::load_all(conn).await)
        .await?;
    build_tree(&rows)
}

fn check_parent_exists(rows: &[CategoryRow], parent: &str) -> Result<()> {
    if rows.iter().any(|r| r.id == parent) {
        Ok(())
    } else {
        Err(CatalogError::invalid(
            "parent_id",
            format!("no category has id `{parent}`"),
        ))
    }
}

pub(crate) async fn create(db: &Database, input: NewCategory) -> Result<Category> {
    let name = fields::required_text("name", &input.name, MAX_TITLE)?;
    let handle = explicit_handle(input.handle.as_deref())?;
    let description = fields::free_text("description", &input.description, MAX_DESCRIPTION)?;
    let explicit_position = input.position.map(position).transpose()?;
    let parent_id = input
        .parent_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);

    let (rows, id) = db
        .write(async move |conn| -> Result<(Vec<CategoryRow>, String)> {
            let mut rows = store::category::load_all(conn).await?;
            if let Some(parent) = &parent_id {
                check_parent_exists(&rows, parent)?;
            }
            let handle = choose_handle(
                conn,
                HandleTable::Categories,
                handle,
                &name,
                "category",
                None,
            )
            .await?;
            let now = now_ms();
            let row = CategoryRow {
                id: CategoryId::new().into(),
                position: explicit_position
                    .unwrap_or_else(|| next_sibling_position(&rows, parent_id.as_deref())),
                parent_id,
                handle,
                name,
                description,
                created_at: now,
                updated_at: now,
            };
            store::category::insert(conn, std::slice::from_ref(&row)).await?;
            let id = row.id.clone();
            rows.push(row);
            Ok((rows, id))
        })
        .await?;
    subtree(&rows, &id)?.ok_or_else(|| CatalogError::not_found("category", id))
}

pub(crate) async fn update(
    db: &Database,
    id: &CategoryId,
    changes: CategoryChanges,
) -> Result<Category> {
    let new_position = changes.position.map(position).transpose()?;
    let owned_id = id.to_string();
    let rows = db
        .write(async move |conn| {
            let id = owned_id.as_str();
            let mut rows = store::category::load_all(conn).await?;
            let at = rows
                .iter()
                .position(|r| r.id == id)
                .ok_or_else(|| CatalogError::not_found("category", id))?;
            let mut row = rows[at].clone();
            if let Some(name) = &changes.name {
                row.name = fields::required_text("name", name, MAX_TITLE)?;
            }
            if let Some(handle) = &changes.handle {
                let handle = fields::handle("handle", handle)?;
                if handle != row.handle {
                    row.handle = choose_handle(
                        conn,
                        HandleTable::Categories,
                        Some(handle),
                        &row.name,
                        "category",
                        Some(id),
                    )
                    .await?;
                }
            }
            if let Some(description) = &changes.description {
                row.description = fields::free_text("description", description, MAX_DESCRIPTION)?;
            }
            if let Some(parent) = &changes.parent_id {
                let parent = parent.as_deref().map(str::trim).filter(|p| !p.is_empty());
                if let Some(parent) = parent {
                    check_parent_exists(&rows, parent)?;
                    if with_descendants(&rows, id).iter().any(|d| d == parent) {
                        return Err(CatalogError::Conflict {
                            field: "parent_id".to_owned(),
                            message: format!(
                                "`{parent}` is this category or one of its descendants: a category cannot be moved under itself"
                            ),
                        });
                    }
                }
                row.parent_id = parent.map(str::to_owned);
            }
            if let Some(position) = new_position {
                row.position = position;
            }
            row.updated_at = now_ms().max(row.updated_at);
            store::category::update(conn, &row).await?;
            // The handle and the place are part of every product path below it.
            if row.handle != rows[at].handle || row.parent_id != rows[at].parent_id {
                let subtree = with_descendants(&rows, id);
                let products = store::product::ids_in_categories(conn, &subtree).await?;
                events::products_changed(conn, products).await?;
            }
            rows[at] = row;
            Ok(rows)
        })
        .await?;
    subtree(&rows, id.as_str())?.ok_or_else(|| CatalogError::not_found("category", id.as_str()))
}

pub(crate) async fn delete(db: &Database, id: &CategoryId) -> Result<()> {
    let id = id.to_string();
    db.write(async move |conn| {
        let rows = store::category::load_all(conn).await?;
        let row = rows
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| CatalogError::not_found("category", &id))?;
        let products =
            store::product::ids_in_categories(conn, &with_descendants(&rows, &id)).await?;
        store::category::delete_and_reparent(conn, &id, row.parent_id.as_deref(), now_ms()).await?;
        events::products_changed(conn, products).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of the category a test calls `name`: `pcat_0…0a` for `a`.
    fn cat(name: &str) -> String {
        format!("pcat_{name:0>26}")
    }

    fn row(id: &str, parent: Option<&str>, name: &str, position: i64) -> CategoryRow {
        CategoryRow {
            id: cat(id),
            parent_id: parent.map(cat),
            handle: id.into(),
            name: name.into(),
            description: String::new(),
            position,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_tree_sorts_siblings_by_position_then_name() {
        let rows = vec![
            row("b", None, "Beta", 1),
            row("a", None, "Alpha", 1),
            row("z", None, "Zulu", 0),
            row("a1", Some("a"), "Child", 0),
            row("a1x", Some("a1"), "Grandchild", 0),
        ];
        let tree = build_tree(&rows).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = tree.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Zulu", "Alpha", "Beta"]);
        assert_eq!(tree[1].children[0].children[0].id.as_str(), cat("a1x"));
        let mut below_a = with_descendants(&rows, &cat("a"));
        below_a.sort();
        assert_eq!(below_a, [cat("a"), cat("a1"), cat("a1x")]);
    }

    #[test]
    fn a_stored_id_that_does_not_parse_is_a_corrupted_row() {
        let mut rows = vec![row("a", None, "Alpha", 0)];
        rows[0].id = "a".into();
        assert!(matches!(build_tree(&rows), Err(CatalogError::Database(_))));
    }
}
