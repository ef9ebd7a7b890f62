//! Price lists: per-currency prices for some variants, for one customer group or for
//! every shopper, within an optional date window. Where several apply, the shopper pays
//! the lowest; callers compare that with the variant's own price and take the lower
//! (see [`crate::Catalog::best_prices`] and [`crate::Catalog::apply_price_lists`]).
//!
//! A customer group is an opaque `cgrp_…` id of the accounts service: the catalog
//! stores it and compares it with the groups a caller says the shopper is in, nothing
//! more (no foreign key: groups may live in another database).
//!
//! Resolution reads every list price of the asked variants and currencies with its
//! list's audience and window, and picks in memory. That set depends on neither the
//! shopper nor the clock, so it is what the memo keeps: one entry serves every shopper
//! at every moment until a write changes it.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use emporium_kernel::{
    cache::{Freshness, Memo},
    clock::now_ms,
    db::{Conn, Database},
    id::{has_prefix, VariantId},
    money::Currency,
    wire,
};
use serde::Serialize;

use crate::{
    error::CatalogError,
    fields::{self, MAX_AMOUNT, MAX_DESCRIPTION, MAX_TITLE},
    store::{self, pricing::PriceListRow},
    Price, Result, Variant,
};

emporium_kernel::typed_id!(
    /// A price list (`plist_…`).
    PriceListId, "plist", "price list"
);

/// The prefix of the accounts service's customer group ids.
const GROUP_PREFIX: &str = "cgrp";
/// Most prices in one list: enough for a whole catalog's worth of variants in a few
/// currencies, and a bound on the size of one write transaction.
pub(crate) const MAX_LIST_PRICES: usize = 10_000;
/// Latest time a window may name: 9999-12-31T23:59:59.999Z, the last instant RFC 3339
/// can write with four-digit years.
const MAX_TIME: i64 = 253_402_300_799_999;

/// One price of a price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListPrice {
    pub variant_id: VariantId,
    #[serde(serialize_with = "wire::currency")]
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
}

/// A price list. `Serialize` in its wire shape: currencies as ISO codes, times as
/// RFC 3339 (`null` for an open end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceList {
    pub id: PriceListId,
    pub name: String,
    pub description: Option<String>,
    /// The customer group (`cgrp_…`) the list is for; `None`: every shopper.
    pub customer_group_id: Option<String>,
    /// Applies from this moment on (inclusive); `None`: since ever.
    #[serde(serialize_with = "wire::opt_time")]
    pub starts_at: Option<i64>,
    /// Applies until this moment (exclusive); `None`: for good.
    #[serde(serialize_with = "wire::opt_time")]
    pub ends_at: Option<i64>,
    /// Sorted by variant id, then currency code.
    pub prices: Vec<ListPrice>,
    #[serde(serialize_with = "wire::time")]
    pub created_at: i64,
    #[serde(serialize_with = "wire::time")]
    pub updated_at: i64,
}

/// A price to put on a list (checked by the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewListPrice {
    pub variant_id: VariantId,
    pub currency: Currency,
    /// Minor units, 0..=10^12.
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPriceList {
    /// 1..=200 characters.
    pub name: String,
    /// Blank means none.
    pub description: Option<String>,
    /// A `cgrp_…` id; `None` targets every shopper.
    pub customer_group_id: Option<String>,
    /// Unix ms; `ends_at` must be after `starts_at` when both are given.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    /// At most one price per variant and currency.
    pub prices: Vec<NewListPrice>,
}

/// Changes to a price list: `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceListChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub customer_group_id: Option<Option<String>>,
    pub starts_at: Option<Option<i64>>,
    pub ends_at: Option<Option<i64>>,
    /// Replaces every price of the list.
    pub prices: Option<Vec<NewListPrice>>,
}

/// A list price with its list's audience and window: what resolution picks from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub amount: i64,
    pub customer_group_id: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

impl Candidate {
    /// Whether its list targets this shopper (everyone, or one of `groups`) and its
    /// window holds `now` (`starts_at <= now < ends_at`, open ends allowed).
    fn applies(&self, groups: &[String], now: i64) -> bool {
        let audience = self
            .customer_group_id
            .as_ref()
            .is_none_or(|group| groups.contains(group));
        audience
            && self.starts_at.is_none_or(|start| start <= now)
            && self.ends_at.is_none_or(|end| now < end)
    }
}

/// The memo of list prices by (variant, currency): every candidate, whichever applies.
pub(crate) type ListPriceMemo = Memo<(VariantId, Currency), Arc<[Candidate]>>;

// ----- admin -----

pub(crate) async fn list(db: &Database) -> Result<Vec<PriceList>> {
    db.read(async |conn| store::pricing::load(conn, None).await)
        .await
}

pub(crate) async fn get(db: &Database, id: &PriceListId) -> Result<PriceList> {
    db.read(async |conn| store::pricing::load(conn, Some(id.as_str())).await)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| CatalogError::not_found("price list", id.as_str()))
}

pub(crate) async fn create(db: &Database, input: NewPriceList) -> Result<PriceList> {
    let name = fields::required_text("name", &input.name, MAX_TITLE)?;
    let description = check_description(input.description.as_deref())?;
    let customer_group_id = check_group(input.customer_group_id.as_deref())?;
    let starts_at = check_time("starts_at", input.starts_at)?;
    let ends_at = check_time("ends_at", input.ends_at)?;
    check_window(starts_at, ends_at, "ends_at")?;
    let prices = check_prices(&input.prices)?;

    let id = PriceListId::new();
    let owned_id = id.to_string();
    let created = db
        .write(async move |conn| -> Result<Option<PriceList>> {
            check_variants_exist(conn, &prices).await?;
            let now = now_ms();
            let row = PriceListRow {
                id: owned_id,
                name,
                description,
                customer_group_id,
                starts_at,
                ends_at,
                created_at: now,
                updated_at: now,
            };
            store::pricing::insert(conn, &row).await?;
            store::pricing::replace_prices(conn, &row.id, &prices).await?;
            Ok(store::pricing::load(conn, Some(&row.id))
                .await?
                .into_iter()
                .next())
        })
        .await?;
    created.ok_or_else(|| CatalogError::not_found("price list", id.as_str()))
}

pub(crate) async fn update(
    db: &Database,
    id: &PriceListId,
    changes: PriceListChanges,
) -> Result<PriceList> {
    // What needs no stored data is checked before the transaction.
    let name = changes
        .name
        .as_deref()
        .map(|name| fields::required_text("name", name, MAX_TITLE))
        .transpose()?;
    let description = changes
        .description
        .as_ref()
        .map(|d| check_description(d.as_deref()))
        .transpose()?;
    let customer_group_id = changes
        .customer_group_id
        .as_ref()
        .map(|g| check_group(g.as_deref()))
        .transpose()?;
    let starts_at = changes
        .starts_at
        .map(|t| check_time("starts_at", t))
        .transpose()?;
    let ends_at = changes
        .ends_at
        .map(|t| check_time("ends_at", t))
        .transpose()?;
    let prices = changes.prices.as_deref().map(check_prices).transpose()?;

    let owned_id = id.to_string();
    let updated = db
        .write(async move |conn| -> Result<Option<PriceList>> {
            let id = owned_id.as_str();
            let mut row = store::pricing::find_row(conn, id)
                .await?
                .ok_or_else(|| CatalogError::not_found("price list", id))?;
            if let Some(name) = name {
                row.name = name;
            }
            if let Some(description) = description {
                row.description = description;
            }
            if let Some(group) = customer_group_id {
                row.customer_group_id = group;
            }
            // Name the field the caller changed: moving only the start past the stored
            // end is a mistake in `starts_at`.
            let blame = if ends_at.is_some() {
                "ends_at"
            } else {
                "starts_at"
            };
            if let Some(starts_at) = starts_at {
                row.starts_at = starts_at;
            }
            if let Some(ends_at) = ends_at {
                row.ends_at = ends_at;
            }
            check_window(row.starts_at, row.ends_at, blame)?;
            if let Some(prices) = &prices {
                check_variants_exist(conn, prices).await?;
                store::pricing::replace_prices(conn, id, prices).await?;
            }
            row.updated_at = now_ms().max(row.updated_at);
            store::pricing::update(conn, &row).await?;
            Ok(store::pricing::load(conn, Some(id))
                .await?
                .into_iter()
                .next())
        })
        .await?;
    updated.ok_or_else(|| CatalogError::not_found("price list", id.as_str()))
}

pub(crate) async fn delete(db: &Database, id: &PriceListId) -> Result<()> {
    let id = id.to_string();
    db.write(async move |conn| {
        if !store::pricing::delete(conn, &id).await? {
            return Err(CatalogError::not_found("price list", id));
        }
        Ok(())
    })
    .await
}

// ----- checks -----

fn check_description(value: Option<&str>) -> Result<Option<String>> {
    fields::optional_text("description", value, MAX_DESCRIPTION)
}

/// A customer group id, or `None` for every shopper. A blank id is refused rather than
/// read as "every shopper": a slip in a form must not open a group's prices to all.
fn check_group(value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let group = value.trim();
    if !has_prefix(group, GROUP_PREFIX) {
        return Err(CatalogError::invalid(
            "customer_group_id",
            format!(
                "`{group}` is not a customer group id: group ids look like \
                 {GROUP_PREFIX}_01j9z3…; leave the field out to target every shopper"
            ),
        ));
    }
    Ok(Some(group.to_owned()))
}

fn check_time(field: &str, value: Option<i64>) -> Result<Option<i64>> {
    match value {
        Some(ms) if !(0..=MAX_TIME).contains(&ms) => Err(CatalogError::invalid(
            field,
            "must be a time between 1970 and 9999 (Unix milliseconds)",
        )),
        other => Ok(other),
    }
}

/// A window that holds at least one instant; `blame` is the field to name when not.
fn check_window(starts_at: Option<i64>, ends_at: Option<i64>, blame: &str) -> Result<()> {
    match (starts_at, ends_at) {
        (Some(start), Some(end)) if end <= start => Err(CatalogError::invalid(
            blame,
            "ends_at must be after starts_at: the list would never apply",
        )),
        _ => Ok(()),
    }
}

/// Amounts in 0..=10^12 and at most one price per variant and currency; returned in the
/// given order. Whether the variants exist is checked in the write's transaction.
fn check_prices(input: &[NewListPrice]) -> Result<Vec<ListPrice>> {
    if input.len() > MAX_LIST_PRICES {
        return Err(CatalogError::invalid(
            "prices",
            format!("at most {MAX_LIST_PRICES} prices per list: split it into several lists"),
        ));
    }
    let mut seen: HashSet<(&VariantId, Currency)> = HashSet::with_capacity(input.len());
    let mut out = Vec::with_capacity(input.len());
    for (i, price) in input.iter().enumerate() {
        if !(0..=MAX_AMOUNT).contains(&price.amount) {
            return Err(CatalogError::invalid(
                format!("prices[{i}].amount"),
                format!("must be between 0 and {MAX_AMOUNT} minor units (e.g. 1999 for 19.99)"),
            ));
        }
        if !seen.insert((&price.variant_id, price.currency)) {
            return Err(CatalogError::invalid(
                format!("prices[{i}]"),
                format!(
                    "variant `{}` already has a {} price in this list: give one price per \
                     variant and currency",
                    price.variant_id, price.currency
                ),
            ));
        }
        out.push(ListPrice {
            variant_id: price.variant_id.clone(),
            currency: price.currency,
            amount: price.amount,
        });
    }
    Ok(out)
}

/// Every price must name an existing variant; the first that does not is reported by
/// its index.
async fn check_variants_exist(conn: &mut Conn<'_>, prices: &[ListPrice]) -> Result<()> {
    let mut ids: Vec<&str> = prices.iter().map(|p| p.variant_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let found = store::pricing::existing_variants(conn, &ids).await?;
    if let Some((i, missing)) = prices
        .iter()
        .enumerate()
        .find(|(_, p)| !found.contains(p.variant_id.as_str()))
    {
        return Err(CatalogError::invalid(
            format!("prices[{i}].variant_id"),
            format!("no variant has id `{}`", missing.variant_id),
        ));
    }
    Ok(())
}

// ----- resolution -----

/// The candidates of every (variant, currency) asked, an empty set where no list prices
/// it. [`Freshness::Recent`] answers from `memo` where it can and reads the rest in one
/// go; [`Freshness::Current`] reads everything. What is read is remembered either way.
pub(crate) async fn candidates(
    db: &Database,
    memo: &ListPriceMemo,
    variant_ids: &[VariantId],
    currencies: &[Currency],
    freshness: Freshness,
) -> Result<HashMap<(VariantId, Currency), Arc<[Candidate]>>> {
    let mut found = HashMap::with_capacity(variant_ids.len() * currencies.len());
    let mut seen: HashSet<&VariantId> = HashSet::with_capacity(variant_ids.len());
    let mut missing: Vec<VariantId> = Vec::new();
    for id in variant_ids {
        if !seen.insert(id) {
            continue;
        }
        let mut complete = freshness == Freshness::Recent;
        for &currency in currencies {
            if !complete {
                break;
            }
            let key = (id.clone(), currency);
            match memo.get(&key) {
                Some(known) => {
                    found.insert(key, known);
                }
                None => complete = false,
            }
        }
        if !complete {
            missing.push(id.clone());
        }
    }
    if missing.is_empty() || currencies.is_empty() {
        return Ok(found);
    }

    // Stamped before the read: a write that commits meanwhile keeps it out of the memo.
    let stamp = memo.stamp();
    let rows = db
        .read(async |conn| store::pricing::candidates(conn, &missing, currencies).await)
        .await?;
    let mut read: HashMap<(VariantId, Currency), Vec<Candidate>> = HashMap::new();
    for (variant_id, currency, candidate) in rows {
        read.entry((variant_id, currency))
            .or_default()
            .push(candidate);
    }
    for id in missing {
        for &currency in currencies {
            let key = (id.clone(), currency);
            // A variant no list prices is remembered too (as an empty set): most are.
            let set: Arc<[Candidate]> = read.remove(&key).unwrap_or_default().into();
            memo.put(stamp, key.clone(), Arc::clone(&set));
            found.insert(key, set);
        }
    }
    Ok(found)
}

/// The lowest amount among the candidates that apply to this shopper now.
pub(crate) fn best(candidates: &[Candidate], groups: &[String], now: i64) -> Option<i64> {
    candidates
        .iter()
        .filter(|c| c.applies(groups, now))
        .map(|c| c.amount)
        .min()
}

/// Lowers each of the variant's prices to the best applicable list price where that is
/// lower, keeping the regular price in `compare_at_prices`; restores the regular price
/// where no list price is lower. Starts from the regular prices even when applied
/// before, so applying again (for another shopper) does not compound. Currencies the
/// variant has no price in are left out: it is not sold in them.
pub(crate) fn lower(
    variant: &mut Variant,
    candidates: &HashMap<(VariantId, Currency), Arc<[Candidate]>>,
    groups: &[String],
    now: i64,
) {
    let regular: Vec<Price> = variant
        .prices
        .iter()
        .map(|p| Price {
            currency: p.currency,
            amount: variant.compare_at_amount(p.currency).unwrap_or(p.amount),
        })
        .collect();
    let mut compare_at = Vec::new();
    for (price, regular) in variant.prices.iter_mut().zip(regular) {
        let listed = candidates
            .get(&(variant.id.clone(), price.currency))
            .and_then(|set| best(set, groups, now));
        match listed {
            Some(amount) if amount < regular.amount => {
                price.amount = amount;
                compare_at.push(regular);
            }
            _ => price.amount = regular.amount,
        }
    }
    // `prices` is sorted by currency, so `compare_at` is too.
    variant.compare_at_prices = compare_at;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(
        amount: i64,
        group: Option<&str>,
        window: (Option<i64>, Option<i64>),
    ) -> Candidate {
        Candidate {
            amount,
            customer_group_id: group.map(str::to_owned),
            starts_at: window.0,
            ends_at: window.1,
        }
    }

    #[test]
    fn a_window_includes_its_start_and_excludes_its_end() {
        let c = candidate(1, None, (Some(100), Some(200)));
        assert!(!c.applies(&[], 99));
        assert!(c.applies(&[], 100));
        assert!(c.applies(&[], 199));
        assert!(!c.applies(&[], 200));
        assert!(candidate(1, None, (None, None)).applies(&[], i64::MIN));
    }

    #[test]
    fn the_best_price_is_the_lowest_that_targets_the_shopper() {
        let vip = "cgrp_01j9z3aaaaaaaaaaaaaaaaaaaa".to_owned();
        let set = [
            candidate(900, None, (None, None)),
            candidate(700, Some(&vip), (None, None)),
            candidate(500, Some("cgrp_01j9z3bbbbbbbbbbbbbbbbbbbb"), (None, None)),
        ];
        assert_eq!(best(&set, &[], 0), Some(900));
        assert_eq!(best(&set, std::slice::from_ref(&vip), 0), Some(700));
        assert_eq!(best(&[], &[], 0), None);
    }

    #[test]
    fn prices_are_checked_in_order_and_named_by_index() {
        let v = VariantId::new();
        let price = |amount| NewListPrice {
            variant_id: v.clone(),
            currency: Currency::EUR,
            amount,
        };
        let err = check_prices(&[price(1), price(-1)]).expect_err("negative");
        assert!(
            matches!(err, CatalogError::Invalid { ref field, .. } if field == "prices[1].amount")
        );
        let err = check_prices(&[price(1), price(2)]).expect_err("duplicate");
        assert!(matches!(err, CatalogError::Invalid { ref field, .. } if field == "prices[1]"));
    }
}
