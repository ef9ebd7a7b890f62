//! Conversions between the catalog's domain types and the public wire types. The
//! contract (emporium-client) and the domain evolve separately; this is their seam.

use emporium_catalog as catalog;
use emporium_client::types::{self as wire, admin};
use emporium_kernel::clock::rfc3339;

pub fn status(s: catalog::ProductStatus) -> wire::ProductStatus {
    match s {
        catalog::ProductStatus::Draft => wire::ProductStatus::Draft,
        catalog::ProductStatus::Published => wire::ProductStatus::Published,
    }
}

pub fn status_in(s: wire::ProductStatus) -> catalog::ProductStatus {
    match s {
        wire::ProductStatus::Draft => catalog::ProductStatus::Draft,
        wire::ProductStatus::Published => catalog::ProductStatus::Published,
    }
}

pub fn image(i: catalog::Image) -> wire::Image {
    wire::Image {
        id: i.id.into(),
        url: i.url,
        alt: i.alt,
        position: i.position,
    }
}

fn option_value(o: catalog::OptionValue) -> wire::OptionValue {
    wire::OptionValue {
        option: o.option,
        value: o.value,
    }
}

fn option_value_in(o: wire::OptionValue) -> catalog::OptionValue {
    catalog::OptionValue {
        option: o.option,
        value: o.value,
    }
}

fn price(p: catalog::Price) -> wire::Price {
    wire::Price {
        currency: p.currency.to_string(),
        amount: p.amount,
    }
}

fn price_in(p: wire::Price) -> catalog::NewPrice {
    catalog::NewPrice {
        currency: p.currency,
        amount: p.amount,
    }
}

fn link<I: Into<String>>(l: catalog::Link<I>) -> wire::Link {
    wire::Link {
        id: l.id.into(),
        handle: l.handle,
        name: l.name,
    }
}

pub fn variant(v: catalog::Variant) -> wire::Variant {
    wire::Variant {
        id: v.id.into(),
        sku: v.sku,
        title: v.title,
        options: v.options.into_iter().map(option_value).collect(),
        weight_grams: v.weight_grams,
        prices: v.prices.into_iter().map(price).collect(),
        position: v.position,
    }
}

pub fn product(p: catalog::Product) -> wire::Product {
    wire::Product {
        id: p.id.into(),
        handle: p.handle,
        title: p.title,
        description: p.description,
        status: status(p.status),
        seo: wire::Seo {
            title: p.seo_title,
            description: p.seo_description,
        },
        options: p
            .options
            .into_iter()
            .map(|o| wire::ProductOption {
                id: o.id.into(),
                name: o.name,
                values: o.values,
            })
            .collect(),
        variants: p.variants.into_iter().map(variant).collect(),
        images: p.images.into_iter().map(image).collect(),
        categories: p.categories.into_iter().map(link).collect(),
        collections: p.collections.into_iter().map(link).collect(),
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

pub fn product_summary(p: catalog::ProductSummary) -> wire::ProductSummary {
    wire::ProductSummary {
        id: p.id.into(),
        handle: p.handle,
        title: p.title,
        status: status(p.status),
        thumbnail: p.thumbnail.map(image),
        prices: p
            .prices
            .into_iter()
            .map(|r| wire::PriceRange {
                currency: r.currency.to_string(),
                min_amount: r.min_amount,
                max_amount: r.max_amount,
            })
            .collect(),
        variant_count: p.variant_count,
        created_at: rfc3339(p.created_at),
    }
}

pub fn category(c: catalog::Category) -> wire::Category {
    wire::Category {
        id: c.id.into(),
        handle: c.handle,
        name: c.name,
        description: c.description,
        parent_id: c.parent_id.map(String::from),
        position: c.position,
        children: c.children.into_iter().map(category).collect(),
    }
}

pub fn collection(c: catalog::Collection) -> wire::Collection {
    wire::Collection {
        id: c.id.into(),
        handle: c.handle,
        title: c.title,
        description: c.description,
        product_count: c.product_count,
    }
}

pub fn variant_in(v: admin::VariantInput) -> catalog::NewVariant {
    catalog::NewVariant {
        sku: v.sku,
        title: v.title,
        options: v.options.into_iter().map(option_value_in).collect(),
        weight_grams: v.weight_grams,
        prices: v.prices.into_iter().map(price_in).collect(),
    }
}

pub fn variant_patch(v: admin::VariantPatch) -> catalog::VariantChanges {
    catalog::VariantChanges {
        sku: v.sku,
        title: v.title,
        options: v
            .options
            .map(|o| o.into_iter().map(option_value_in).collect()),
        weight_grams: v.weight_grams,
        prices: v.prices.map(|p| p.into_iter().map(price_in).collect()),
    }
}

pub fn image_in(i: admin::ImageInput) -> catalog::NewImage {
    catalog::NewImage {
        url: i.url,
        alt: i.alt,
    }
}

pub fn product_in(p: admin::ProductInput) -> catalog::NewProduct {
    catalog::NewProduct {
        title: p.title,
        handle: p.handle,
        description: p.description,
        status: p
            .status
            .map(status_in)
            .unwrap_or(catalog::ProductStatus::Draft),
        seo_title: p.seo_title,
        seo_description: p.seo_description,
        category_ids: p.category_ids,
        collection_ids: p.collection_ids,
        options: p
            .options
            .into_iter()
            .map(|o| catalog::NewOption {
                name: o.name,
                values: o.values,
            })
            .collect(),
        variants: p.variants.into_iter().map(variant_in).collect(),
        images: p.images.into_iter().map(image_in).collect(),
    }
}

pub fn product_patch(p: admin::ProductPatch) -> catalog::ProductChanges {
    catalog::ProductChanges {
        title: p.title,
        handle: p.handle,
        description: p.description,
        seo_title: p.seo_title,
        seo_description: p.seo_description,
        category_ids: p.category_ids,
        collection_ids: p.collection_ids,
    }
}

pub fn category_in(c: admin::CategoryInput) -> catalog::NewCategory {
    catalog::NewCategory {
        name: c.name,
        handle: c.handle,
        description: c.description,
        parent_id: c.parent_id,
        position: c.position,
    }
}

pub fn category_patch(c: admin::CategoryPatch) -> catalog::CategoryChanges {
    let parent_id = if c.move_to_root {
        Some(None)
    } else {
        c.parent_id.map(Some)
    };
    catalog::CategoryChanges {
        name: c.name,
        handle: c.handle,
        description: c.description,
        parent_id,
        position: c.position,
    }
}

pub fn collection_in(c: admin::CollectionInput) -> catalog::NewCollection {
    catalog::NewCollection {
        title: c.title,
        handle: c.handle,
        description: c.description,
        product_ids: c.product_ids,
    }
}

pub fn collection_patch(c: admin::CollectionPatch) -> catalog::CollectionChanges {
    catalog::CollectionChanges {
        title: c.title,
        handle: c.handle,
        description: c.description,
        product_ids: c.product_ids,
    }
}
