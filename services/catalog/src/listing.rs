//! Product lists for the storefront and the admin: filters, sorts and keyset pages.

use emporium_kernel::{
    db::{Conn, Database},
    id::ProductId,
};

use crate::{
    category,
    cursor::{self, Cursor, SortKey},
    error::CatalogError,
    store::{
        self, corrupt,
        listing::{ListedRow, PageQuery},
    },
    ProductFilter, ProductPage, ProductSort, ProductSummary, Result,
};

const MAX_LIMIT: u32 = 100;

pub(crate) async fn list(db: &Database, filter: &ProductFilter) -> Result<ProductPage> {
    if !(1..=MAX_LIMIT).contains(&filter.limit) {
        return Err(CatalogError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    for (field, value) in [
        ("price_min", filter.price_min),
        ("price_max", filter.price_max),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(CatalogError::invalid(
                field,
                "must be zero or more (minor units, e.g. 1999 for 19.99)",
            ));
        }
    }
    if let (Some(min), Some(max)) = (filter.price_min, filter.price_max) {
        if min > max {
            return Err(CatalogError::invalid(
                "price_min",
                "must not be greater than price_max",
            ));
        }
    }
    let after = filter
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| cursor::decode(c, filter.sort, filter.currency))
        .transpose()?;

    db.read(async |conn| {
        let category_ids = match filter.category.as_deref() {
            None => None,
            Some(handle) => {
                let rows = store::category::load_all(conn).await?;
                let root = rows
                    .iter()
                    .find(|r| r.handle == handle || r.id == handle)
                    .ok_or_else(|| CatalogError::not_found("category", handle))?;
                Some(category::with_descendants(&rows, &root.id))
            }
        };
        let collection_id = match filter.collection.as_deref() {
            None => None,
            Some(handle) => Some(
                store::collection::id_by_handle(conn, handle)
                    .await?
                    .ok_or_else(|| CatalogError::not_found("collection", handle))?,
            ),
        };

        let limit = filter.limit as usize;
        let mut rows = store::listing::page(
            conn,
            &PageQuery {
                include_drafts: filter.include_drafts,
                category_ids: category_ids.as_deref(),
                collection_id: collection_id.as_deref(),
                currency: filter.currency.as_str(),
                price_min: filter.price_min,
                price_max: filter.price_max,
                sort: filter.sort,
                after: after.as_ref(),
                fetch: limit as i64 + 1,
            },
        )
        .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match rows.last() {
            Some(last) if more => {
                let key = match filter.sort {
                    ProductSort::Newest => SortKey::Int(last.created_at),
                    ProductSort::PriceAsc | ProductSort::PriceDesc => {
                        SortKey::Int(last.min_price.unwrap_or_default())
                    }
                    ProductSort::Title => SortKey::Text(last.title.clone()),
                };
                Some(cursor::encode(
                    filter.sort,
                    filter.currency,
                    &Cursor {
                        key,
                        id: last.id.clone(),
                    },
                ))
            }
            _ => None,
        };

        let items = summaries(conn, rows).await?;
        Ok(ProductPage { items, next_cursor })
    })
    .await
}

/// Summaries of `rows`, in their order: one query each for thumbnails, prices and
/// variant counts.
async fn summaries(conn: &mut Conn<'_>, rows: Vec<ListedRow>) -> Result<Vec<ProductSummary>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut extras = store::listing::extras(conn, &ids).await?;
    rows.into_iter()
        .map(|r| {
            Ok(ProductSummary {
                thumbnail: extras
                    .thumbnails
                    .remove(&r.id)
                    .map(|i| i.into_image())
                    .transpose()?,
                prices: extras.prices.remove(&r.id).unwrap_or_default(),
                variant_count: extras.variant_counts.get(&r.id).copied().unwrap_or(0),
                id: ProductId::parse(&r.id).map_err(|_| corrupt("products.id", &r.id))?,
                handle: r.handle,
                title: r.title,
                status: r.status,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// Summaries of the published products among `ids`, in the order of `ids` (search hits
/// come back as ids); drafts and unknown ids are left out.
pub(crate) async fn published_summaries(
    db: &Database,
    ids: &[ProductId],
) -> Result<Vec<ProductSummary>> {
    let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    db.read(async |conn| {
        let mut rows = store::listing::published_rows(conn, &ids).await?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        summaries(conn, rows).await
    })
    .await
}
