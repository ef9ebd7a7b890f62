//! Generation: the whole demo catalog in memory, from one ChaCha8 stream with a fixed
//! seed and fixed timestamps (never the clock), as the catalog's import types.

use std::collections::HashSet;

use emporium_catalog::{
    import::{
        first_free_handle, slugify, ImportCategory, ImportCollection, ImportImage, ImportOption,
        ImportProduct, ImportVariant,
    },
    OptionValue, Price, ProductStatus,
};
use emporium_kernel::{id::id_from_parts, money::Currency};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::shape::{Department, Leaf, Node, OptionSpec, COLLECTIONS, DEPARTMENTS, GENERIC_DETAILS};

/// The seed of the one random stream everything is drawn from.
const RNG_SEED: u64 = 0x456d_706f_7269_756d; // "Emporium"
/// 2026-11-01T00:00:00Z: products were created during the year before this instant.
const CATALOG_EPOCH_MS: i64 = 1_793_491_200_000;
const YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;
/// Categories and collections were set up shortly before the first product.
const SETUP_MS: i64 = CATALOG_EPOCH_MS - YEAR_MS - 7 * 24 * 60 * 60 * 1000;

pub(crate) struct DemoProduct {
    pub product: ImportProduct,
    /// Index of the department, for collections drawn from some departments only.
    pub department: usize,
}

/// The whole demo catalog, in the order it is written.
pub(crate) struct Demo {
    pub categories: Vec<ImportCategory>,
    /// Oldest first.
    pub products: Vec<DemoProduct>,
    pub collections: Vec<ImportCollection>,
}

/// A leaf category products can be filed under.
struct LeafRef {
    category_id: String,
    department: usize,
    leaf: &'static Leaf,
}

pub(crate) fn generate(product_count: usize) -> Demo {
    let mut rng = ChaCha8Rng::seed_from_u64(RNG_SEED);
    let mut categories: Vec<ImportCategory> = Vec::new();
    let mut leaves: Vec<LeafRef> = Vec::new();
    let mut handles: Vec<String> = Vec::new();
    for (d, department) in DEPARTMENTS.iter().enumerate() {
        let id = add_category(
            &mut rng,
            &mut categories,
            &mut handles,
            department.name,
            department.blurb,
            None,
            d,
        );
        add_children(
            &mut rng,
            &mut categories,
            &mut handles,
            &mut leaves,
            department.children,
            &id,
            d,
        );
    }

    let mut products: Vec<DemoProduct> = Vec::with_capacity(product_count);
    let mut product_handles: HashSet<String> = HashSet::new();
    let mut titles: HashSet<String> = HashSet::new();
    for i in 0..product_count {
        let at = rng.random_range(0..leaves.len());
        products.push(generate_product(
            &mut rng,
            i,
            &leaves[at],
            &mut titles,
            &mut product_handles,
        ));
    }
    // Ids are time-sortable: keep the list in creation order, like a real shop's history.
    products.sort_by(|a, b| {
        a.product
            .created_at
            .cmp(&b.product.created_at)
            .then_with(|| a.product.id.cmp(&b.product.id))
    });

    let collections = generate_collections(&mut rng, &products);
    Demo {
        categories,
        products,
        collections,
    }
}

fn add_category(
    rng: &mut ChaCha8Rng,
    categories: &mut Vec<ImportCategory>,
    handles: &mut Vec<String>,
    name: &str,
    description: &str,
    parent_id: Option<&str>,
    position: usize,
) -> String {
    let i = categories.len() as i64;
    let id = id_from_parts("pcat", (SETUP_MS + i) as u64, rng.random::<u128>());
    let handle = first_free_handle(&slugify(name, "category"), handles);
    handles.push(handle.clone());
    categories.push(ImportCategory {
        id: id.clone(),
        parent_id: parent_id.map(str::to_owned),
        handle,
        name: name.to_owned(),
        description: description.to_owned(),
        position: position as i64,
        created_at: SETUP_MS + i,
        updated_at: SETUP_MS + i,
    });
    id
}

fn add_children(
    rng: &mut ChaCha8Rng,
    categories: &mut Vec<ImportCategory>,
    handles: &mut Vec<String>,
    leaves: &mut Vec<LeafRef>,
    children: &'static [Node],
    parent_id: &str,
    department: usize,
) {
    for (position, child) in children.iter().enumerate() {
        match child {
            Node::Branch(name, grandchildren) => {
                let description = format!(
                    "Everything in {}, from everyday essentials to new favourites.",
                    name.to_lowercase()
                );
                let id = add_category(
                    rng,
                    categories,
                    handles,
                    name,
                    &description,
                    Some(parent_id),
                    position,
                );
                add_children(
                    rng,
                    categories,
                    handles,
                    leaves,
                    grandchildren,
                    &id,
                    department,
                );
            }
            Node::Leaf(leaf) => {
                let description = format!(
                    "Our {} range: {}.",
                    leaf.name.to_lowercase(),
                    leaf.nouns.join(", ").to_lowercase()
                );
                let id = add_category(
                    rng,
                    categories,
                    handles,
                    leaf.name,
                    &description,
                    Some(parent_id),
                    position,
                );
                leaves.push(LeafRef {
                    category_id: id,
                    department,
                    leaf,
                });
            }
        }
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A contiguous run of `n` values (S–L rather than S, XL), as shops usually stock.
fn window<'a>(
    rng: &mut ChaCha8Rng,
    values: &'a [&'static str],
    n: usize,
) -> (usize, &'a [&'static str]) {
    let n = n.clamp(1, values.len());
    let start = rng.random_range(0..=values.len() - n);
    (start, &values[start..start + n])
}

fn generate_product(
    rng: &mut ChaCha8Rng,
    index: usize,
    leaf_ref: &LeafRef,
    titles: &mut HashSet<String>,
    handles: &mut HashSet<String>,
) -> DemoProduct {
    let leaf = leaf_ref.leaf;
    let department = &DEPARTMENTS[leaf_ref.department];
    let created_at = CATALOG_EPOCH_MS - rng.random_range(0..YEAR_MS);
    let product_id = id_from_parts("prod", created_at as u64, rng.random::<u128>());

    // A few tries for a title no other product has; a repeat is fine, its handle is not.
    let mut parts = ("", "", "");
    let mut title = String::new();
    for _ in 0..6 {
        parts = (
            *pick(rng, department.adjectives),
            *pick(rng, leaf.materials),
            *pick(rng, leaf.nouns),
        );
        title = format!("{} {} {}", parts.0, parts.1, parts.2);
        if !titles.contains(&title) {
            break;
        }
    }
    titles.insert(title.clone());
    let base = slugify(&title, "product");
    let mut handle = base.clone();
    let mut n = 2;
    while handles.contains(&handle) {
        handle = format!("{base}-{n}");
        n += 1;
    }
    handles.insert(handle.clone());

    let description = describe(rng, department, &title, parts);

    // Options and the values this product comes in: 2 to 5 variants.
    let two_options = leaf.options.len() > 1 && rng.random_bool(0.6);
    let chosen: Vec<(&OptionSpec, usize, &[&str])> = if two_options {
        let (first, second) = (&leaf.options[0], &leaf.options[1]);
        let shapes: Vec<(usize, usize)> = [(2, 1), (3, 1), (4, 1), (5, 1), (1, 2), (2, 2), (1, 3)]
            .into_iter()
            .filter(|&(a, b)| a <= first.values.len() && b <= second.values.len())
            .collect();
        let (a, b) = *pick(rng, &shapes);
        let (start_a, values_a) = window(rng, first.values, a);
        let (start_b, values_b) = window(rng, second.values, b);
        vec![(first, start_a, values_a), (second, start_b, values_b)]
    } else {
        let only = &leaf.options[0];
        let n = rng.random_range(2..=only.values.len().min(5));
        let (start, values) = window(rng, only.values, n);
        vec![(only, start, values)]
    };
    let options: Vec<ImportOption> = chosen
        .iter()
        .map(|(spec, _, values)| ImportOption {
            id: id_from_parts("opt", created_at as u64, rng.random::<u128>()),
            name: spec.name.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        })
        .collect();

    // Prices end in .00, .95 or .99 in euros; dollars are about 8% more, ending in .00
    // or .99.
    let base_euros = rng.random_range(leaf.euros.0..=leaf.euros.1);
    let step_euros = (base_euros * 15 / 100).max(1);
    let cents_off = *pick(rng, &[0i64, 5, 1]);
    let base_grams = rng.random_range(leaf.grams.0..=leaf.grams.1);
    let grams_step = ((leaf.grams.1 - leaf.grams.0) / 8).max(5);

    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for (_, _, values) in &chosen {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                (0..values.len()).map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v);
                    next
                })
            })
            .collect();
    }
    let variants: Vec<ImportVariant> = combos
        .iter()
        .enumerate()
        .map(|(position, combo)| {
            // Larger sizes and capacities cost more and weigh more.
            let steps: i64 = combo
                .iter()
                .zip(&chosen)
                .filter(|(_, (spec, _, _))| spec.priced)
                .map(|(v, (_, start, _))| (start + v) as i64)
                .sum();
            let euros = base_euros + step_euros * steps;
            let eur = euros * 100 - cents_off;
            let dollars = (eur * 108 + 5_000) / 10_000;
            let usd = if cents_off == 0 {
                dollars * 100
            } else {
                dollars * 100 - 1
            }
            .max(0);
            let grams = (base_grams + grams_step * steps) / 5 * 5;
            let option_values: Vec<OptionValue> = combo
                .iter()
                .zip(&options)
                .map(|(v, option)| OptionValue {
                    option: option.name.clone(),
                    value: option.values[*v].clone(),
                })
                .collect();
            let variant_title = option_values
                .iter()
                .map(|o| o.value.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            ImportVariant {
                id: id_from_parts(
                    "var",
                    created_at as u64 + position as u64,
                    rng.random::<u128>(),
                ),
                sku: format!("{}-{:05}-{:02}", leaf.sku, index + 1, position + 1),
                title: Some(variant_title),
                options: option_values,
                weight_grams: Some(grams),
                prices: vec![
                    Price {
                        currency: Currency::EUR,
                        amount: eur,
                    },
                    Price {
                        currency: Currency::USD,
                        amount: usd,
                    },
                ],
                created_at,
                updated_at: created_at,
            }
        })
        .collect();

    let image_count = rng.random_range(1..=3);
    let views = ["", ", detail", ", in use"];
    let images = (0..image_count)
        .map(|n| ImportImage {
            id: id_from_parts("img", created_at as u64 + n as u64, rng.random::<u128>()),
            url: format!("/media/demo/{handle}-{}.svg", n + 1),
            alt: format!("{title}{}", views[n]),
        })
        .collect();

    DemoProduct {
        product: ImportProduct {
            id: product_id,
            handle,
            title,
            description,
            status: ProductStatus::Published,
            seo_title: None,
            seo_description: None,
            category_ids: vec![leaf_ref.category_id.clone()],
            options,
            variants,
            images,
            created_at,
            updated_at: created_at,
        },
        department: leaf_ref.department,
    }
}

/// Two to four sentences: an opening naming the product, then details.
fn describe(
    rng: &mut ChaCha8Rng,
    department: &Department,
    title: &str,
    parts: (&str, &str, &str),
) -> String {
    let (adj, material, noun) = parts;
    let opening = pick(rng, department.openings)
        .replace("{title}", title)
        .replace("{adj}", &adj.to_lowercase())
        .replace("{material}", &material.to_lowercase())
        .replace("{noun}", &noun.to_lowercase());
    let mut pool: Vec<&str> = department
        .details
        .iter()
        .chain(GENERIC_DETAILS)
        .copied()
        .collect();
    pool.shuffle(rng);
    let extra = rng.random_range(1..=3);
    let mut sentences = vec![opening];
    sentences.extend(pool.into_iter().take(extra).map(str::to_owned));
    sentences.join(" ")
}

fn generate_collections(rng: &mut ChaCha8Rng, products: &[DemoProduct]) -> Vec<ImportCollection> {
    let mut handles: Vec<String> = Vec::new();
    COLLECTIONS
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut candidates: Vec<&DemoProduct> = match spec.title {
                // Newest first, as the name promises.
                "New arrivals" => products.iter().rev().collect(),
                "Summer sale" => products
                    .iter()
                    .filter(|p| matches!(DEPARTMENTS[p.department].name, "Apparel" | "Outdoors"))
                    .collect(),
                "Gifts under €50" => products
                    .iter()
                    .filter(|p| {
                        p.product
                            .variants
                            .iter()
                            .flat_map(|v| &v.prices)
                            .any(|pr| pr.currency == Currency::EUR && pr.amount < 5_000)
                    })
                    .collect(),
                _ => products.iter().collect(),
            };
            if spec.title != "New arrivals" {
                candidates.shuffle(rng);
            }
            let members: Vec<String> = candidates
                .into_iter()
                .take(spec.size)
                .map(|p| p.product.id.clone())
                .collect();
            let at = SETUP_MS + 1_000 + i as i64;
            let handle = first_free_handle(&slugify(spec.title, "collection"), &handles);
            handles.push(handle.clone());
            ImportCollection {
                id: id_from_parts("pcol", at as u64, rng.random::<u128>()),
                handle,
                title: spec.title.to_owned(),
                description: spec.description.to_owned(),
                product_ids: members,
                created_at: at,
                updated_at: at,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_realistic() {
        let a = generate(300);
        let b = generate(300);
        let ids = |d: &Demo| {
            d.products
                .iter()
                .map(|p| (p.product.id.clone(), p.product.handle.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert!(a.categories.len() >= 20);
        for p in a.products.iter().map(|p| &p.product) {
            assert!(
                (2..=5).contains(&p.variants.len()),
                "{} has {} variants",
                p.title,
                p.variants.len()
            );
            let sentences = p.description.matches(". ").count() + 1;
            assert!((2..=4).contains(&sentences), "{}", p.description);
            for v in &p.variants {
                let usd = v
                    .prices
                    .iter()
                    .find(|pr| pr.currency == Currency::USD)
                    .map(|pr| pr.amount % 100);
                assert!(matches!(usd, Some(0) | Some(99)), "{usd:?}");
            }
        }
        let handles: HashSet<&str> = a
            .products
            .iter()
            .map(|p| p.product.handle.as_str())
            .collect();
        assert_eq!(handles.len(), a.products.len());
    }
}
