//! Discount codes: creation rules, and whether a code applies to a cart right now.

use emporium_kernel::{clock::now_ms, db::Database, id::new_id, money::Currency};

use crate::{
    error::CartError, store, totals::DiscountRule, Discount, DiscountKind, NewDiscount, Result,
};

const MAX_CODE: usize = 64;

/// Codes match case-insensitively: they are stored and compared upper case.
pub(crate) fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Whether `d` applies to a cart in `currency` with `subtotal` at `now`; the error says
/// why not. The same rules serve `apply_discount` (an error) and the cart view (a note).
pub(crate) fn rule_for(
    d: &Discount,
    now: i64,
    subtotal: i64,
    currency: Currency,
) -> Result<DiscountRule> {
    if let Some(starts_at) = d.starts_at.filter(|&s| now < s) {
        return Err(CartError::DiscountNotStarted {
            code: d.code.clone(),
            starts_at,
        });
    }
    if let Some(ended_at) = d.ends_at.filter(|&e| now >= e) {
        return Err(CartError::DiscountExpired {
            code: d.code.clone(),
            ended_at,
        });
    }
    if d.usage_limit.is_some_and(|limit| d.used_count >= limit) {
        return Err(CartError::DiscountUsedUp {
            code: d.code.clone(),
        });
    }
    if let DiscountKind::Fixed {
        currency: own_currency,
        ..
    } = d.kind
    {
        if own_currency != currency {
            return Err(CartError::DiscountCurrencyMismatch {
                code: d.code.clone(),
                discount_currency: own_currency.to_string(),
                cart_currency: currency.to_string(),
            });
        }
    }
    if let Some(minimum) = d.min_subtotal.filter(|&m| subtotal < m) {
        return Err(CartError::DiscountMinimumNotMet {
            code: d.code.clone(),
            minimum,
            subtotal,
        });
    }
    Ok(match d.kind {
        DiscountKind::Percentage { rate_bp } => DiscountRule::Percentage { rate_bp },
        DiscountKind::Fixed { amount, .. } => DiscountRule::Fixed { amount },
    })
}

fn validate(input: &NewDiscount) -> Result<String> {
    let code = normalize_code(&input.code);
    if code.is_empty() || code.len() > MAX_CODE {
        return Err(CartError::invalid(
            "code",
            format!("give a code of 1 to {MAX_CODE} characters"),
        ));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CartError::invalid(
            "code",
            "use only letters, digits, `-` and `_`",
        ));
    }
    match input.kind {
        DiscountKind::Percentage { rate_bp } if !(1..=10_000).contains(&rate_bp) => {
            return Err(CartError::invalid(
                "kind.rate_bp",
                "give basis points from 1 (0.01 %) to 10000 (100 %)",
            ));
        }
        DiscountKind::Fixed { amount, .. } if amount <= 0 => {
            return Err(CartError::invalid(
                "kind.amount",
                "give a positive amount in minor units",
            ));
        }
        _ => {}
    }
    if input.min_subtotal.is_some_and(|m| m < 0) {
        return Err(CartError::invalid("min_subtotal", "must not be negative"));
    }
    if input.usage_limit.is_some_and(|l| l < 1) {
        return Err(CartError::invalid(
            "usage_limit",
            "give at least 1, or no limit",
        ));
    }
    if let (Some(starts), Some(ends)) = (input.starts_at, input.ends_at) {
        if ends <= starts {
            return Err(CartError::invalid("ends_at", "must be after starts_at"));
        }
    }
    Ok(code)
}

pub(crate) async fn create(db: &Database, input: NewDiscount) -> Result<Discount> {
    let code = validate(&input)?;
    let discount = Discount {
        id: new_id("disc"),
        code,
        kind: input.kind,
        min_subtotal: input.min_subtotal,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        usage_limit: input.usage_limit,
        used_count: 0,
        created_at: now_ms(),
    };
    let inserted = discount.clone();
    db.write(async move |conn| store::discount::insert(conn, &inserted, false).await)
        .await?;
    tracing::info!(discount_id = %discount.id, code = %discount.code, "discount created");
    Ok(discount)
}

pub(crate) async fn list(db: &Database) -> Result<Vec<Discount>> {
    db.read(async |conn| store::discount::all(conn).await).await
}

/// Deletes a code. Carts holding it then show a note instead of a discount.
pub(crate) async fn delete(db: &Database, id: &str) -> Result<()> {
    let deleting = id.to_owned();
    let deleted = db
        .write(async move |conn| store::discount::delete(conn, &deleting).await)
        .await?;
    if !deleted {
        return Err(CartError::DiscountNotFound {
            code: id.to_owned(),
        });
    }
    tracing::info!(discount_id = %id, "discount deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discount(kind: DiscountKind) -> Discount {
        Discount {
            id: "disc_x".into(),
            code: "SAVE".into(),
            kind,
            min_subtotal: None,
            starts_at: None,
            ends_at: None,
            usage_limit: None,
            used_count: 0,
            created_at: 0,
        }
    }

    #[test]
    fn a_code_is_valid_from_its_start_up_to_but_excluding_its_end() {
        let mut d = discount(DiscountKind::Percentage { rate_bp: 1000 });
        d.starts_at = Some(100);
        d.ends_at = Some(200);
        assert!(matches!(
            rule_for(&d, 99, 0, Currency::EUR),
            Err(CartError::DiscountNotStarted { starts_at: 100, .. })
        ));
        assert!(rule_for(&d, 100, 0, Currency::EUR).is_ok());
        assert!(rule_for(&d, 199, 0, Currency::EUR).is_ok());
        assert!(matches!(
            rule_for(&d, 200, 0, Currency::EUR),
            Err(CartError::DiscountExpired { ended_at: 200, .. })
        ));
    }

    #[test]
    fn a_fixed_code_applies_only_to_carts_in_its_currency() {
        let d = discount(DiscountKind::Fixed {
            amount: 500,
            currency: Currency::EUR,
        });
        assert_eq!(
            rule_for(&d, 0, 1000, Currency::EUR).ok(),
            Some(DiscountRule::Fixed { amount: 500 })
        );
        assert!(matches!(
            rule_for(&d, 0, 1000, Currency::USD),
            Err(CartError::DiscountCurrencyMismatch { .. })
        ));
    }

    #[test]
    fn codes_are_normalised_to_upper_case_and_validated() {
        assert_eq!(normalize_code(" welcome10 "), "WELCOME10");
        let bad = NewDiscount {
            code: "no spaces".into(),
            kind: DiscountKind::Percentage { rate_bp: 10 },
            min_subtotal: None,
            starts_at: None,
            ends_at: None,
            usage_limit: None,
        };
        assert!(
            matches!(validate(&bad), Err(CartError::InvalidField { field, .. }) if field == "code")
        );
        let too_much = NewDiscount {
            code: "ALL".into(),
            kind: DiscountKind::Percentage { rate_bp: 10_001 },
            ..bad
        };
        assert!(
            matches!(validate(&too_much), Err(CartError::InvalidField { field, .. }) if field == "kind.rate_bp")
        );
    }
}
