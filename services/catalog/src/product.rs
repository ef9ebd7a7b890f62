//! Product writes and reads: validation of titles, handles, options, variants, prices and
//! images, then one read or one write transaction per call through the store.

use emporium_kernel::{
    clock::now_ms,
    db::{Conn, Database},
    id::{has_prefix, ImageId, OptionId, ProductId, VariantId},
};

use crate::{
    error::CatalogError,
    events,
    fields::{self, MAX_DESCRIPTION, MAX_TITLE},
    store::{
        self,
        product::{IdTable, ImageRow, OptionRow, PositionTable, ProductRow, VariantRow},
        HandleTable,
    },
    Image, NewImage, NewOption, NewProduct, NewVariant, OptionValue, Product, ProductChanges,
    ProductStatus, Result, Variant, VariantChanges,
};

pub(crate) const MAX_SEO_DESCRIPTION: usize = 1_000;
pub(crate) const MAX_ALT: usize = 500;
const MAX_SKU: usize = 64;
pub(crate) const MAX_OPTIONS: usize = 10;
const MAX_OPTION_VALUES: usize = 100;
pub(crate) const MAX_VARIANTS: usize = 250;
/// A tonne: far above any parcel, low enough to catch a unit mistake (kg given as mg).
const MAX_WEIGHT_GRAMS: i64 = 1_000_000;

/// `prefix.name`, or just `name` for top-level inputs (add_variant, update_variant).
fn sub(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

// ----- reads -----

pub(crate) async fn get(
    db: &Database,
    id_or_handle: &str,
    include_drafts: bool,
) -> Result<Product> {
    let by_id = has_prefix(id_or_handle, ProductId::PREFIX);
    db.read(async |conn| {
        let row = store::product::find(conn, id_or_handle, by_id, include_drafts)
            .await?
            .ok_or_else(|| CatalogError::not_found("product", id_or_handle))?;
        store::product::load_full(conn, row).await
    })
    .await
}

pub(crate) async fn is_empty(db: &Database) -> Result<bool> {
    let count = db
        .read(async |conn| store::product::count(conn).await)
        .await?;
    Ok(count == 0)
}

// ----- products -----

pub(crate) async fn create(db: &Database, input: NewProduct) -> Result<Product> {
    let title = fields::required_text("title", &input.title, MAX_TITLE)?;
    let explicit_handle = explicit_handle(input.handle.as_deref())?;
    let description = fields::free_text("description", &input.description, MAX_DESCRIPTION)?;
    let seo_title = fields::optional_text("seo_title", input.seo_title.as_deref(), MAX_TITLE)?;
    let seo_description = fields::optional_text(
        "seo_description",
        input.seo_description.as_deref(),
        MAX_SEO_DESCRIPTION,
    )?;
    let category_ids = fields::distinct_ids("category_ids", &input.category_ids)?;
    let collection_ids = fields::distinct_ids("collection_ids", &input.collection_ids)?;

    let now = now_ms();
    let product_id: String = ProductId::new().into();
    let options = check_options(&product_id, &input.options)?;
    if input.variants.len() > MAX_VARIANTS {
        return Err(CatalogError::invalid(
            "variants",
            format!("at most {MAX_VARIANTS} variants per product"),
        ));
    }
    let mut variants: Vec<VariantRow> = Vec::with_capacity(input.variants.len());
    for (i, new) in input.variants.iter().enumerate() {
        let field = format!("variants[{i}]");
        let variant = check_new_variant(&field, new, &options, &product_id, i as i64, now)?;
        if variants.iter().any(|v| v.sku == variant.sku) {
            return Err(CatalogError::Conflict {
                field: format!("{field}.sku"),
                message: format!(
                    "SKU `{}` is given to two variants: each variant needs its own",
                    variant.sku
                ),
            });
        }
        check_combination_is_new(&field, &variant, &variants, &options)?;
        variants.push(variant);
    }
    let images = input
        .images
        .iter()
        .enumerate()
        .map(|(i, image)| check_image(&format!("images[{i}]"), image, &product_id, i as i64))
        .collect::<Result<Vec<_>>>()?;
    let status = input.status;

    db.write(async move |conn| {
        check_references(conn, IdTable::Categories, "category_ids", &category_ids).await?;
        check_references(
            conn,
            IdTable::Collections,
            "collection_ids",
            &collection_ids,
        )
        .await?;
        let handle = choose_handle(
            conn,
            HandleTable::Products,
            explicit_handle,
            &title,
            "product",
            None,
        )
        .await?;
        let skus: Vec<String> = variants.iter().map(|v| v.sku.clone()).collect();
        if let Some(taken) = store::product::skus_taken(conn, &skus, None).await?.first() {
            let i = skus.iter().position(|s| s == taken).unwrap_or(0);
            return Err(sku_taken(&format!("variants[{i}].sku"), taken));
        }

        let row = ProductRow {
            id: product_id.clone(),
            handle,
            title,
            description,
            status,
            seo_title,
            seo_description,
            created_at: now,
            updated_at: now,
        };
        store::product::insert(conn, std::slice::from_ref(&row)).await?;
        store::product::insert_options(conn, &options).await?;
        store::product::insert_variants(conn, &variants).await?;
        store::product::insert_images(conn, &images).await?;
        store::product::replace_categories(conn, &product_id, &category_ids).await?;
        store::product::replace_collections(conn, &product_id, &collection_ids).await?;
        store::product::refresh_prices(conn, std::slice::from_ref(&product_id)).await?;
        events::products_changed(conn, vec![product_id.clone()]).await?;
        store::product::load_full(conn, row).await
    })
    .await
}

pub(crate) async fn update(
    db: &Database,
    id: &ProductId,
    changes: ProductChanges,
) -> Result<Product> {
    let id = id.to_string();
    db.write(async move |conn| {
        let mut row = find_for_write(conn, &id).await?;
        if let Some(title) = &changes.title {
            row.title = fields::required_text("title", title, MAX_TITLE)?;
        }
        if let Some(handle) = &changes.handle {
            let handle = fields::handle("handle", handle)?;
            if handle != row.handle {
                row.handle = choose_handle(
                    conn,
                    HandleTable::Products,
                    Some(handle),
                    &row.title,
                    "product",
                    Some(&row.id),
                )
                .await?;
            }
        }
        if let Some(description) = &changes.description {
            row.description = fields::free_text("description", description, MAX_DESCRIPTION)?;
        }
        if let Some(seo_title) = &changes.seo_title {
            row.seo_title = fields::optional_text("seo_title", Some(seo_title), MAX_TITLE)?;
        }
        if let Some(seo_description) = &changes.seo_description {
            row.seo_description = fields::optional_text(
                "seo_description",
                Some(seo_description),
                MAX_SEO_DESCRIPTION,
            )?;
        }
        if let Some(ids) = &changes.category_ids {
            let ids = fields::distinct_ids("category_ids", ids)?;
            check_references(conn, IdTable::Categories, "category_ids", &ids).await?;
            store::product::replace_categories(conn, &row.id, &ids).await?;
        }
        if let Some(ids) = &changes.collection_ids {
            let ids = fields::distinct_ids("collection_ids", ids)?;
            check_references(conn, IdTable::Collections, "collection_ids", &ids).await?;
            store::product::replace_collections(conn, &row.id, &ids).await?;
        }
        row.updated_at = now_ms().max(row.updated_at);
        store::product::update(conn, &row).await?;
        events::products_changed(conn, vec![row.id.clone()]).await?;
        store::product::load_full(conn, row).await
    })
    .await
}

pub(crate) async fn set_status(
    db: &Database,
    id: &ProductId,
    status: ProductStatus,
) -> Result<Product> {
    let id = id.to_string();
    db.write(async move |conn| {
        let mut row = find_for_write(conn, &id).await?;
        row.status = status;
        row.updated_at = now_ms().max(row.updated_at);
        store::product::update(conn, &row).await?;
        events::products_changed(conn, vec![row.id.clone()]).await?;
        store::product::load_full(conn, row).await
    })
    .await
}

pub(crate) async fn delete(db: &Database, id: &ProductId) -> Result<()> {
    let id = id.to_string();
    db.write(async move |conn| {
        if !store::product::delete(conn, &id).await? {
            return Err(CatalogError::not_found("product", id));
        }
        events::products_changed(conn, vec![id]).await
    })
    .await
}

// ----- variants -----

pub(crate) async fn add_variant(
    db: &Database,
    product_id: &ProductId,
    input: NewVariant,
) -> Result<Variant> {
    let product_id = product_id.to_string();
    db.write(async move |conn| {
        let product = find_for_write(conn, &product_id).await?;
        let options = store::product::load_options(conn, &product.id).await?;
        let existing = store::product::load_variants(conn, &product.id).await?;
        if existing.len() >= MAX_VARIANTS {
            return Err(CatalogError::Conflict {
                field: "variants".to_owned(),
                message: format!("a product has at most {MAX_VARIANTS} variants: delete one first"),
            });
        }
        let now = now_ms();
        let position =
            store::product::next_position(conn, PositionTable::Variants, &product.id).await?;
        let variant = check_new_variant("", &input, &options, &product.id, position, now)?;
        if !store::product::skus_taken(conn, std::slice::from_ref(&variant.sku), None)
            .await?
            .is_empty()
        {
            return Err(sku_taken("sku", &variant.sku));
        }
        check_combination_is_new("", &variant, &existing, &options)?;
        store::product::insert_variants(conn, std::slice::from_ref(&variant)).await?;
        store::product::refresh_prices(conn, std::slice::from_ref(&product.id)).await?;
        store::product::touch(conn, &product.id, now).await?;
        events::products_changed(conn, vec![product.id.clone()]).await?;
        store::product::variant(variant, &options)
    })
    .await
}

pub(crate) async fn update_variant(
    db: &Database,
    product_id: &ProductId,
    variant_id: &VariantId,
    changes: VariantChanges,
) -> Result<Variant> {
    let (product_id, variant_id) = (product_id.to_string(), variant_id.to_string());
    db.write(async move |conn| {
        let product = find_for_write(conn, &product_id).await?;
        let options = store::product::load_options(conn, &product.id).await?;
        let mut others = store::product::load_variants(conn, &product.id).await?;
        let at = others
            .iter()
            .position(|v| v.id == variant_id)
            .ok_or_else(|| CatalogError::not_found("variant", &variant_id))?;
        let mut variant = others.remove(at);

        if let Some(sku) = &changes.sku {
            let sku = check_sku("sku", sku)?;
            if sku != variant.sku
                && !store::product::skus_taken(conn, std::slice::from_ref(&sku), Some(&variant.id))
                    .await?
                    .is_empty()
            {
                return Err(sku_taken("sku", &sku));
            }
            variant.sku = sku;
        }
        if let Some(given) = &changes.options {
            let old_title_was_derived = variant.title == derived_title(&variant.option_values);
            variant.option_values = check_option_values("", given, &options)?;
            check_combination_is_new("", &variant, &others, &options)?;
            if old_title_was_derived && changes.title.is_none() {
                variant.title = derived_title(&variant.option_values);
            }
        }
        if let Some(title) = &changes.title {
            variant.title = fields::required_text("title", title, MAX_TITLE)?;
        }
        if let Some(weight) = changes.weight_grams {
            variant.weight_grams = Some(check_weight("weight_grams", weight)?);
        }
        if let Some(prices) = &changes.prices {
            variant.prices = fields::prices("prices", prices)?;
        }
        let now = now_ms();
        variant.updated_at = now.max(variant.updated_at);
        store::product::update_variant(conn, &variant).await?;
        store::product::refresh_prices(conn, std::slice::from_ref(&product.id)).await?;
        store::product::touch(conn, &product.id, now).await?;
        events::products_changed(conn, vec![product.id.clone()]).await?;
        store::product::variant(variant, &options)
    })
    .await
}

pub(crate) async fn delete_variant(
    db: &Database,
    product_id: &ProductId,
    variant_id: &VariantId,
) -> Result<()> {
    let (product_id, variant_id) = (product_id.to_string(), variant_id.to_string());
    db.write(async move |conn| {
        let product = find_for_write(conn, &product_id).await?;
        if !store::product::delete_variant(conn, &product.id, &variant_id).await? {
            return Err(CatalogError::not_found("variant", variant_id));
        }
        store::product::refresh_prices(conn, std::slice::from_ref(&product.id)).await?;
        store::product::touch(conn, &product.id, now_ms()).await?;
        events::products_changed(conn, vec![product.id.clone()]).await?;
        Ok(())
    })
    .await
}

// ----- images -----

pub(crate) async fn add_image(
    db: &Database,
    product_id: &ProductId,
    input: NewImage,
) -> Result<Image> {
    let product_id = product_id.to_string();
    db.write(async move |conn| {
        let product = find_for_write(conn, &product_id).await?;
        let position =
            store::product::next_position(conn, PositionTable::Images, &product.id).await?;
        let image = check_image("", &input, &product.id, position)?;
        store::product::insert_images(conn, std::slice::from_ref(&image)).await?;
        store::product::touch(conn, &product.id, now_ms()).await?;
        image.into_image()
    })
    .await
}

pub(crate) async fn delete_image(
    db: &Database,
    product_id: &ProductId,
    image_id: &ImageId,
) -> Result<()> {
    let (product_id, image_id) = (product_id.to_string(), image_id.to_string());
    db.write(async move |conn| {
        let product = find_for_write(conn, &product_id).await?;
        if !store::product::delete_image(conn, &product.id, &image_id).await? {
            return Err(CatalogError::not_found("image", image_id));
        }
        store::product::touch(conn, &product.id, now_ms()).await?;
        Ok(())
    })
    .await
}

// ----- shared checks -----

/// Admin writes name a product by id; drafts included.
async fn find_for_write(conn: &mut Conn<'_>, id: &str) -> Result<ProductRow> {
    store::product::find(conn, id, true, true)
        .await?
        .ok_or_else(|| CatalogError::not_found("product", id))
}

/// A handle the caller gave (blank means "derive one").
pub(crate) fn explicit_handle(handle: Option<&str>) -> Result<Option<String>> {
    match handle.map(str::trim) {
        None | Some("") => Ok(None),
        Some(h) => fields::handle("handle", h).map(Some),
    }
}

/// The handle to store: an explicit one must be free (else `Conflict{handle}`); a derived
/// one takes the first free `-2`, `-3`, … suffix.
pub(crate) async fn choose_handle(
    conn: &mut Conn<'_>,
    table: HandleTable,
    explicit: Option<String>,
    title: &str,
    fallback: &str,
    except_id: Option<&str>,
) -> Result<String> {
    match explicit {
        Some(handle) => {
            if store::handle_taken(conn, table, &handle, except_id).await? {
                return Err(CatalogError::Conflict {
                    field: "handle".to_owned(),
                    message: format!("`{handle}` is already used: choose another handle"),
                });
            }
            Ok(handle)
        }
        None => {
            let base = fields::slugify(title, fallback);
            let taken = store::handles_like(conn, table, &base).await?;
            Ok(fields::first_free_handle(&base, &taken))
        }
    }
}

/// Every id must name an existing row; the first missing one is reported by index.
pub(crate) async fn check_references(
    conn: &mut Conn<'_>,
    table: IdTable,
    field: &str,
    ids: &[String],
) -> Result<()> {
    let found = store::product::existing_ids(conn, table, ids).await?;
    if let Some((i, missing)) = ids.iter().enumerate().find(|(_, id)| !found.contains(id)) {
        let what = match table {
            IdTable::Products => "product",
            IdTable::Categories => "category",
            IdTable::Collections => "collection",
        };
        return Err(CatalogError::invalid(
            format!("{field}[{i}]"),
            format!("no {what} has id `{missing}`"),
        ));
    }
    Ok(())
}

fn sku_taken(field: &str, sku: &str) -> CatalogError {
    CatalogError::Conflict {
        field: field.to_owned(),
        message: format!("SKU `{sku}` is already used by another variant: choose another SKU"),
    }
}

fn check_options(product_id: &str, input: &[NewOption]) -> Result<Vec<OptionRow>> {
    if input.len() > MAX_OPTIONS {
        return Err(CatalogError::invalid(
            "options",
            format!("at most {MAX_OPTIONS} options per product"),
        ));
    }
    let mut options: Vec<OptionRow> = Vec::with_capacity(input.len());
    for (i, option) in input.iter().enumerate() {
        let option = check_option(
            OptionId::new().into(),
            product_id,
            i as i64,
            (&option.name, &option.values),
            &options,
        )
        .map_err(|e| fields::under(|| format!("options[{i}]"), e))?;
        options.push(option);
    }
    Ok(options)
}

/// One option: a name no option in `earlier` has, and 1..=100 distinct values. Errors
/// name `name`, `values` or `values[j]` (see [`fields::under`]).
pub(crate) fn check_option(
    id: String,
    product_id: &str,
    position: i64,
    (name, given_values): (&str, &[String]),
    earlier: &[OptionRow],
) -> Result<OptionRow> {
    let name = fields::required_text("name", name, MAX_TITLE)?;
    if earlier.iter().any(|o| o.name == name) {
        return Err(CatalogError::invalid(
            "name",
            format!("option `{name}` is given twice: option names must be unique"),
        ));
    }
    if given_values.is_empty() || given_values.len() > MAX_OPTION_VALUES {
        return Err(CatalogError::invalid(
            "values",
            format!("give 1 to {MAX_OPTION_VALUES} values (e.g. S, M, L)"),
        ));
    }
    let mut values: Vec<String> = Vec::with_capacity(given_values.len());
    for (j, value) in given_values.iter().enumerate() {
        let field = || format!("values[{j}]");
        let value =
            fields::required_text("", value, MAX_TITLE).map_err(|e| fields::under(field, e))?;
        if values.contains(&value) {
            return Err(CatalogError::invalid(
                field(),
                format!("`{value}` is listed twice"),
            ));
        }
        values.push(value);
    }
    Ok(OptionRow {
        id,
        product_id: product_id.to_owned(),
        name,
        position,
        values,
    })
}

pub(crate) fn check_sku(field: &str, sku: &str) -> Result<String> {
    let sku = sku.trim();
    if sku.is_empty()
        || sku.chars().count() > MAX_SKU
        || sku.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CatalogError::invalid(
            field,
            format!("a SKU is 1 to {MAX_SKU} characters without spaces (e.g. SHIRT-M-BLUE)"),
        ));
    }
    Ok(sku.to_owned())
}

pub(crate) fn check_weight(field: &str, grams: i64) -> Result<i64> {
    if !(0..=MAX_WEIGHT_GRAMS).contains(&grams) {
        return Err(CatalogError::invalid(
            field,
            format!("must be between 0 and {MAX_WEIGHT_GRAMS} grams"),
        ));
    }
    Ok(grams)
}

/// The variant's value for every option, as (option id, value) in option order. Each
/// option must be named exactly once, with one of that option's values.
pub(crate) fn check_option_values(
    prefix: &str,
    given: &[OptionValue],
    options: &[OptionRow],
) -> Result<Vec<(String, String)>> {
    let mut chosen: Vec<Option<String>> = vec![None; options.len()];
    for (k, pair) in given.iter().enumerate() {
        let name = pair.option.trim();
        let Some(i) = options.iter().position(|o| o.name == name) else {
            let known: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
            let hint = if known.is_empty() {
                "the product has no options: leave the variant's options empty".to_owned()
            } else {
                format!("use one of: {}", known.join(", "))
            };
            return Err(CatalogError::invalid(
                sub(prefix, &format!("options[{k}].option")),
                format!("the product has no option `{name}`: {hint}"),
            ));
        };
        if chosen[i].is_some() {
            return Err(CatalogError::invalid(
                sub(prefix, &format!("options[{k}].option")),
                format!("option `{name}` is given twice: give one value per option"),
            ));
        }
        let value = pair.value.trim();
        if !options[i].values.iter().any(|v| v == value) {
            return Err(CatalogError::invalid(
                sub(prefix, &format!("options[{k}].value")),
                format!(
                    "`{value}` is not a value of option `{name}`: use one of {}",
                    options[i].values.join(", ")
                ),
            ));
        }
        chosen[i] = Some(value.to_owned());
    }
    options
        .iter()
        .zip(chosen)
        .map(|(option, value)| {
            value.map(|v| (option.id.clone(), v)).ok_or_else(|| {
                CatalogError::invalid(
                    sub(prefix, "options"),
                    format!(
                        "missing a value for option `{}`: every variant has one value per option",
                        option.name
                    ),
                )
            })
        })
        .collect()
}

/// "M / Blue" from the option values, "Default" without options.
pub(crate) fn derived_title(option_values: &[(String, String)]) -> String {
    if option_values.is_empty() {
        "Default".to_owned()
    } else {
        option_values
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

fn check_new_variant(
    prefix: &str,
    input: &NewVariant,
    options: &[OptionRow],
    product_id: &str,
    position: i64,
    now: i64,
) -> Result<VariantRow> {
    let sku = check_sku(&sub(prefix, "sku"), &input.sku)?;
    let option_values = check_option_values(prefix, &input.options, options)?;
    let title = match input.title.as_deref().map(str::trim) {
        None | Some("") => derived_title(&option_values),
        Some(title) => fields::required_text(&sub(prefix, "title"), title, MAX_TITLE)?,
    };
    let weight_grams = input
        .weight_grams
        .map(|w| check_weight(&sub(prefix, "weight_grams"), w))
        .transpose()?;
    let prices = fields::prices(&sub(prefix, "prices"), &input.prices)?;
    Ok(VariantRow {
        id: VariantId::new().into(),
        product_id: product_id.to_owned(),
        sku,
        title,
        weight_grams,
        position,
        option_values,
        prices,
        created_at: now,
        updated_at: now,
    })
}

/// Two variants of one product may not share an option combination: a shopper could not
/// tell them apart.
pub(crate) fn check_combination_is_new(
    prefix: &str,
    variant: &VariantRow,
    others: &[VariantRow],
    options: &[OptionRow],
) -> Result<()> {
    let same = |other: &VariantRow| {
        let mut a = other.option_values.clone();
        let mut b = variant.option_values.clone();
        a.sort();
        b.sort();
        a == b
    };
    if let Some(twin) = others.iter().find(|o| same(o)) {
        let message = if options.is_empty() {
            format!(
                "variant `{}` already exists and the product has no options: \
                 a product without options has one variant",
                twin.sku
            )
        } else {
            format!(
                "variant `{}` already has {}: give each variant a different combination",
                twin.sku,
                derived_title(&variant.option_values)
            )
        };
        return Err(CatalogError::Conflict {
            field: sub(prefix, "options"),
            message,
        });
    }
    Ok(())
}

fn check_image(
    prefix: &str,
    input: &NewImage,
    product_id: &str,
    position: i64,
) -> Result<ImageRow> {
    Ok(ImageRow {
        id: ImageId::new().into(),
        product_id: product_id.to_owned(),
        url: fields::image_url(&sub(prefix, "url"), &input.url)?,
        alt: fields::free_text(&sub(prefix, "alt"), &input.alt, MAX_ALT)?,
        position,
    })
}
