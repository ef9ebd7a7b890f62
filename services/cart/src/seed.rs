//! The default regions and shipping options, written once into a shop that has none, and
//! the demo discount, written only with the demo catalog. Seeding runs at every start, so
//! it must never bring back what a merchant deleted: defaults are skipped as soon as any
//! region exists, and the demo code is written only when the demo seed runs (on an empty
//! catalog).

use emporium_kernel::{clock::now_ms, db::Database, money::Currency};

use crate::{
    error::CartError, store, store::region::ShippingOptionRow, CountryTaxRate, Discount,
    DiscountKind, Region, Result,
};

fn region(
    id: &str,
    name: &str,
    currency: Currency,
    tax_rate_bp: i64,
    tax_inclusive: bool,
    countries: &[&str],
    rates: &[(&str, i64)],
) -> Region {
    Region {
        id: id.to_owned(),
        name: name.to_owned(),
        currency,
        tax_rate_bp,
        tax_inclusive,
        countries: countries.iter().map(|c| (*c).to_owned()).collect(),
        tax_rates: rates
            .iter()
            .map(|(country, rate_bp)| CountryTaxRate {
                country: (*country).to_owned(),
                rate_bp: *rate_bp,
            })
            .collect(),
    }
}

fn option(
    id: &str,
    region_id: &str,
    name: &str,
    amount: i64,
    free_above: Option<i64>,
    position: i64,
) -> ShippingOptionRow {
    ShippingOptionRow {
        id: id.to_owned(),
        region_id: region_id.to_owned(),
        name: name.to_owned(),
        amount,
        free_above,
        position,
    }
}

pub(crate) async fn seed_defaults(db: &Database) -> Result<()> {
    let now = now_ms();
    let regions = [
        region(
            "reg_eu",
            "Europe",
            Currency::EUR,
            2000,
            true,
            &["DE", "FR", "NL", "BE", "AT", "IT", "ES", "IE", "PT", "FI"],
            // Standard VAT rates; 20 % is the region's default for a country not listed.
            &[
                ("DE", 1900),
                ("FR", 2000),
                ("NL", 2100),
                ("BE", 2100),
                ("AT", 2000),
                ("IT", 2200),
                ("ES", 2100),
                ("IE", 2300),
                ("PT", 2300),
                ("FI", 2550),
            ],
        ),
        region(
            "reg_us",
            "United States",
            Currency::USD,
            825,
            false,
            &["US"],
            &[],
        ),
    ];
    let options = [
        option("ship_eu_standard", "reg_eu", "Standard", 495, Some(5000), 0),
        option("ship_eu_express", "reg_eu", "Express", 1495, None, 1),
        option("ship_us_standard", "reg_us", "Standard", 599, Some(7500), 0),
        option("ship_us_express", "reg_us", "Express", 1999, None, 1),
    ];
    let seeded = db
        .write(async move |conn| {
            if store::region::any(conn).await? {
                return Ok::<_, CartError>(false);
            }
            for r in &regions {
                store::region::insert_if_absent(conn, r, now).await?;
            }
            for o in &options {
                store::region::insert_option_if_absent(conn, o, now).await?;
            }
            Ok(true)
        })
        .await?;
    if seeded {
        tracing::info!("default regions and shipping options seeded");
    }
    Ok(())
}

/// The demo discount `WELCOME10` (10 % off, unlimited), for the demo shop only.
pub(crate) async fn seed_demo(db: &Database) -> Result<()> {
    let now = now_ms();
    let welcome = Discount {
        id: "disc_welcome10".to_owned(),
        code: "WELCOME10".to_owned(),
        kind: DiscountKind::Percentage { rate_bp: 1000 },
        min_subtotal: None,
        starts_at: None,
        ends_at: None,
        usage_limit: None,
        used_count: 0,
        created_at: now,
    };
    db.write(async move |conn| store::discount::insert(conn, &welcome, true).await)
        .await?;
    tracing::info!("demo discount seeded");
    Ok(())
}
