//! The category tree, loaded once per page load and shared through context: the header
//! nav, the home page, category breadcrumbs and product breadcrumbs all read it.

use emporium_client::types::Category;
use leptos::prelude::*;

use crate::{error::AppError, store_api::category_tree};

/// The category tree resource, provided by [`crate::App`].
#[derive(Clone, Copy)]
pub struct CategoryTree(pub Resource<Result<Vec<Category>, AppError>>);

impl CategoryTree {
    /// Creates the resource and puts it into context.
    pub fn provide() {
        provide_context(CategoryTree(Resource::new(|| (), |_| category_tree())));
    }

    /// The tree from context.
    pub fn resource() -> Resource<Result<Vec<Category>, AppError>> {
        expect_context::<CategoryTree>().0
    }
}

/// The categories from a root down to the one with `handle` (itself included), or
/// `None` when no category has that handle.
pub fn category_path<'a>(tree: &'a [Category], handle: &str) -> Option<Vec<&'a Category>> {
    for node in tree {
        if node.handle == handle {
            return Some(vec![node]);
        }
        if let Some(mut path) = category_path(&node.children, handle) {
            path.insert(0, node);
            return Some(path);
        }
    }
    None
}

/// The link to a category page.
pub fn category_href(handle: &str) -> String {
    format!("/categories/{handle}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(handle: &str, children: Vec<Category>) -> Category {
        Category {
            id: format!("cat_{handle}"),
            handle: handle.to_owned(),
            name: handle.to_uppercase(),
            description: String::new(),
            parent_id: None,
            position: 0,
            children,
        }
    }

    #[test]
    fn the_path_runs_from_the_root_to_the_category() {
        let tree = vec![
            node("home", vec![]),
            node("fashion", vec![node("shoes", vec![node("boots", vec![])])]),
        ];
        let path = category_path(&tree, "boots").unwrap_or_default();
        let handles: Vec<_> = path.iter().map(|c| c.handle.as_str()).collect();
        assert_eq!(handles, ["fashion", "shoes", "boots"]);
        assert_eq!(category_path(&tree, "home").map(|p| p.len()), Some(1));
        assert!(category_path(&tree, "hats").is_none());
    }
}
