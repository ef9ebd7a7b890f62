//! The order lists (the merchant's, a customer's): newest first, filtered, in keyset
//! pages (`emporium_kernel::keyset`).

use emporium_kernel::keyset;

use crate::{
    error::{CheckoutError, Result},
    model::{OrderPage, OrderQuery},
    store, Checkout,
};

pub(crate) async fn list(co: &Checkout, query: OrderQuery) -> Result<OrderPage> {
    if !(1..=100).contains(&query.limit) {
        return Err(CheckoutError::invalid("limit", "must be between 1 and 100"));
    }
    let after = query
        .cursor
        .as_deref()
        .map(|c| keyset::decode(c, "ord").ok_or(CheckoutError::InvalidCursor))
        .transpose()?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(CheckoutError::invalid(
            "q",
            "must be at most 200 characters",
        ));
    }
    let after = after.as_ref().map(|(at, id)| (*at, id.as_str()));
    // One row more than asked tells whether another page follows.
    let mut items = co
        .db
        .read(async |conn| {
            store::list_orders(
                conn,
                query.customer_id.as_ref().map(|c| c.as_str()),
                query.status,
                q,
                after,
                query.limit + 1,
            )
            .await
        })
        .await?;
    let next_cursor =
        keyset::next_cursor(&mut items, query.limit, |o| (o.created_at, o.id.as_str()));
    Ok(OrderPage { items, next_cursor })
}
