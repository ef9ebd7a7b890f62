//! Every amount a cart or checkout shows is computed here, in one pure function, so the
//! cart page, the checkout snapshot and the order agree to the minor unit.
//!
//! Rules: subtotal = Σ unit_price × quantity; the discount applies to the subtotal
//! (percentages rounded half-up, fixed amounts capped at the subtotal); shipping is free
//! when the subtotal before discount reaches the option's threshold; tax applies to
//! `subtotal - discount + shipping` — added on top when the region's prices exclude tax,
//! only reported (the part already contained) when they include it.

pub use emporium_kernel::money::Totals;

/// A discount ready to apply (already checked for dates, minimum, usage and currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountRule {
    /// Basis points of the subtotal: 1000 = 10 %.
    Percentage { rate_bp: i64 },
    /// Minor units in the cart's currency; never more than the subtotal.
    Fixed { amount: i64 },
}

/// The chosen shipping option's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingRule {
    pub amount: i64,
    /// Shipping costs nothing when the subtotal (before discount) is at least this.
    pub free_above: Option<i64>,
}

impl ShippingRule {
    /// The price of this option for a cart with `subtotal`.
    pub fn amount_for(&self, subtotal: i64) -> i64 {
        match self.free_above {
            Some(threshold) if subtotal >= threshold => 0,
            _ => self.amount,
        }
    }
}

/// The region's tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRule {
    /// Basis points: 2000 = 20 %.
    pub rate_bp: i64,
    /// Prices already contain the tax (EU style) rather than having it added (US style).
    pub inclusive: bool,
}

/// Amounts beyond what an `i64` of minor units holds: absurd input, never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cart's amounts are too large to compute")]
pub struct TotalsOverflow;

/// `numerator / denominator` rounded half-up (half away from zero for the non-negative
/// amounts used here), computed in i128 so intermediate products cannot overflow.
fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

fn to_i64(v: i128) -> Result<i64, TotalsOverflow> {
    i64::try_from(v).map_err(|_| TotalsOverflow)
}

/// Computes the totals of `lines` (`(unit_price, quantity)` pairs).
pub fn compute_totals(
    lines: &[(i64, i64)],
    discount: Option<&DiscountRule>,
    shipping: Option<ShippingRule>,
    tax: TaxRule,
) -> Result<Totals, TotalsOverflow> {
    let subtotal = lines.iter().try_fold(0_i64, |sum, &(price, quantity)| {
        price
            .checked_mul(quantity)
            .and_then(|line| sum.checked_add(line))
            .ok_or(TotalsOverflow)
    })?;
    let discount_total = match discount {
        None => 0,
        Some(DiscountRule::Percentage { rate_bp }) => to_i64(div_round_half_up(
            i128::from(subtotal) * i128::from((*rate_bp).clamp(0, 10_000)),
            10_000,
        ))?,
        Some(DiscountRule::Fixed { amount }) => (*amount).clamp(0, subtotal.max(0)),
    };
    let shipping_total = shipping.map_or(0, |s| s.amount_for(subtotal));
    let taxable = subtotal
        .checked_sub(discount_total)
        .and_then(|v| v.checked_add(shipping_total))
        .ok_or(TotalsOverflow)?;
    let rate = i128::from(tax.rate_bp.max(0));
    let (tax_total, total) = if tax.inclusive {
        let contained = to_i64(div_round_half_up(i128::from(taxable) * rate, 10_000 + rate))?;
        (contained, taxable)
    } else {
        let added = to_i64(div_round_half_up(i128::from(taxable) * rate, 10_000))?;
        (added, taxable.checked_add(added).ok_or(TotalsOverflow)?)
    };
    Ok(Totals {
        subtotal,
        discount_total,
        shipping_total,
        tax_total,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_TAX: TaxRule = TaxRule {
        rate_bp: 0,
        inclusive: false,
    };
    const EU: TaxRule = TaxRule {
        rate_bp: 2000,
        inclusive: true,
    };
    const US: TaxRule = TaxRule {
        rate_bp: 825,
        inclusive: false,
    };

    fn totals(
        lines: &[(i64, i64)],
        discount: Option<DiscountRule>,
        shipping: Option<ShippingRule>,
        tax: TaxRule,
    ) -> Totals {
        compute_totals(lines, discount.as_ref(), shipping, tax)
            .unwrap_or_else(|e| panic!("totals: {e}"))
    }

    #[test]
    fn subtotal_is_the_sum_of_unit_price_times_quantity() {
        let t = totals(&[(4500, 2), (1999, 3)], None, None, NO_TAX);
        assert_eq!(t.subtotal, 9000 + 5997);
        assert_eq!(t.total, 14997);
        assert_eq!((t.discount_total, t.shipping_total, t.tax_total), (0, 0, 0));
    }

    #[test]
    fn an_empty_cart_totals_zero_but_still_pays_shipping() {
        let ship = ShippingRule {
            amount: 495,
            free_above: Some(5000),
        };
        let t = totals(&[], None, Some(ship), NO_TAX);
        assert_eq!((t.subtotal, t.shipping_total, t.total), (0, 495, 495));
    }

    #[test]
    fn percentage_discounts_round_half_up_to_the_minor_unit() {
        // 10 % of 1005 = 100.5 -> 101; 10 % of 1004 = 100.4 -> 100.
        let ten = Some(DiscountRule::Percentage { rate_bp: 1000 });
        assert_eq!(totals(&[(1005, 1)], ten, None, NO_TAX).discount_total, 101);
        assert_eq!(totals(&[(1004, 1)], ten, None, NO_TAX).discount_total, 100);
        // 12.5 % of 999 = 124.875 -> 125.
        let odd = Some(DiscountRule::Percentage { rate_bp: 1250 });
        assert_eq!(totals(&[(999, 1)], odd, None, NO_TAX).discount_total, 125);
        // 100 % takes everything.
        let all = Some(DiscountRule::Percentage { rate_bp: 10_000 });
        let t = totals(&[(999, 3)], all, None, NO_TAX);
        assert_eq!((t.discount_total, t.total), (2997, 0));
    }

    #[test]
    fn fixed_discounts_are_capped_at_the_subtotal() {
        let five = Some(DiscountRule::Fixed { amount: 500 });
        assert_eq!(totals(&[(300, 1)], five, None, NO_TAX).discount_total, 300);
        assert_eq!(totals(&[(300, 1)], five, None, NO_TAX).total, 0);
        assert_eq!(totals(&[(3000, 1)], five, None, NO_TAX).total, 2500);
    }

    #[test]
    fn shipping_is_free_from_the_threshold_measured_before_the_discount() {
        let ship = Some(ShippingRule {
            amount: 495,
            free_above: Some(5000),
        });
        assert_eq!(totals(&[(4999, 1)], None, ship, NO_TAX).shipping_total, 495);
        assert_eq!(totals(&[(5000, 1)], None, ship, NO_TAX).shipping_total, 0);
        // 5000 - 10 % = 4500 is below the threshold, shipping stays free.
        let ten = Some(DiscountRule::Percentage { rate_bp: 1000 });
        let t = totals(&[(5000, 1)], ten, ship, NO_TAX);
        assert_eq!((t.shipping_total, t.total), (0, 4500));
        let express = Some(ShippingRule {
            amount: 1495,
            free_above: None,
        });
        assert_eq!(
            totals(&[(100_000, 1)], None, express, NO_TAX).shipping_total,
            1495
        );
    }

    #[test]
    fn inclusive_tax_is_the_share_contained_in_the_gross_and_is_not_added() {
        // 9000 - 900 + 495 = 8595 gross; 8595 × 2000 / 12000 = 1432.5 -> 1433.
        let ten = Some(DiscountRule::Percentage { rate_bp: 1000 });
        let ship = Some(ShippingRule {
            amount: 495,
            free_above: Some(10_000),
        });
        let t = totals(&[(4500, 2)], ten, ship, EU);
        assert_eq!(
            t,
            Totals {
                subtotal: 9000,
                discount_total: 900,
                shipping_total: 495,
                tax_total: 1433,
                total: 8595,
            }
        );
        // 1200 gross at 20 % contains exactly 200.
        assert_eq!(totals(&[(1200, 1)], None, None, EU).tax_total, 200);
        // 1 × 2000 / 12000 = 0.1666 -> 0; 3 × 2000 / 12000 = 0.5 -> 1 (half-up).
        assert_eq!(totals(&[(1, 1)], None, None, EU).tax_total, 0);
        assert_eq!(totals(&[(3, 1)], None, None, EU).tax_total, 1);
    }

    #[test]
    fn exclusive_tax_is_added_and_rounded_half_up() {
        // 1000 × 8.25 % = 82.5 -> 83; total 1083.
        let t = totals(&[(1000, 1)], None, None, US);
        assert_eq!((t.tax_total, t.total), (83, 1083));
        // 999 × 8.25 % = 82.4175 -> 82.
        assert_eq!(totals(&[(999, 1)], None, None, US).tax_total, 82);
        // Tax covers shipping too: (2000 + 599) × 8.25 % = 214.4175 -> 214.
        let ship = Some(ShippingRule {
            amount: 599,
            free_above: Some(7500),
        });
        let t = totals(&[(1000, 2)], None, ship, US);
        assert_eq!((t.tax_total, t.total), (214, 2000 + 599 + 214));
    }

    #[test]
    fn amounts_beyond_i64_are_an_error_not_a_panic() {
        assert_eq!(
            compute_totals(&[(i64::MAX, 2)], None, None, NO_TAX),
            Err(TotalsOverflow)
        );
        assert_eq!(
            compute_totals(&[(i64::MAX, 1), (1, 1)], None, None, NO_TAX),
            Err(TotalsOverflow)
        );
        let ship = Some(ShippingRule {
            amount: 1,
            free_above: None,
        });
        assert_eq!(
            compute_totals(&[(i64::MAX, 1)], None, ship, NO_TAX),
            Err(TotalsOverflow)
        );
        // Large but representable: the tax product is computed without overflow.
        let t = compute_totals(&[(i64::MAX / 2, 1)], None, None, EU);
        assert!(t.is_ok());
    }
}
