//! The catalog's events: which products changed, so readers that keep their own copy
//! (the search index) can follow. Appended in the write that makes the change.

use emporium_kernel::db::Conn;
use serde::{Deserialize, Serialize};

use crate::Result;

/// Event topics (see docs/COMMERCE.md; consumers match on these strings).
pub mod topics {
    /// Products were created, changed, published, unpublished or deleted, or something
    /// they are shown with (a category's handle or place, a collection) changed.
    pub const PRODUCTS_CHANGED: &str = "catalog.products_changed";
}

/// Payload of [`topics::PRODUCTS_CHANGED`]: read each product again; one that is gone
/// or a draft is no longer for sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsChanged {
    pub product_ids: Vec<String>,
}

/// Appends [`topics::PRODUCTS_CHANGED`] for `product_ids` (nothing when empty). The
/// aggregate is the product when there is one, `products` for a batch.
pub(crate) async fn products_changed(
    conn: &mut Conn<'_>,
    mut product_ids: Vec<String>,
) -> Result<()> {
    product_ids.sort();
    product_ids.dedup();
    let aggregate = match product_ids.as_slice() {
        [] => return Ok(()),
        [one] => one.clone(),
        _ => "products".to_owned(),
    };
    emporium_kernel::events::append(
        conn,
        topics::PRODUCTS_CHANGED,
        &aggregate,
        &ProductsChanged { product_ids },
        None,
    )
    .await?;
    Ok(())
}
