//! The deterministic demo catalog: the same products, ids and prices on every run.
//!
//! Everything comes from one ChaCha8 stream with a fixed seed and from fixed timestamps
//! (never the clock), so two fresh databases seeded with the same [`DemoOptions`] hold
//! identical rows. The catalog is generated in memory first and then written with
//! multi-row INSERTs, one write per [`BATCH`] products, rather than one service call (and
//! one transaction) per product.
//!
//! Product images are local paths, `/media/demo/{product_handle}-{n}.svg`, drawn on request
//! by [`demo_image_svg`], so the demo needs no files on disk and no network.

use std::collections::HashSet;

use emporium_kernel::{db::Database, id::id_from_parts, money::Currency};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{
    error::CatalogError,
    fields::{first_free_handle, slugify},
    store::{
        self,
        category::CategoryRow,
        collection::CollectionRow,
        product::{ImageRow, OptionRow, ProductRow, VariantRow},
    },
    Catalog, Price, PriceRange, ProductStatus, Result,
};

/// How big a demo catalog to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// At least 1,000 for `emporium seed --demo`.
    pub products: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { products: 1_200 }
    }
}

/// What the seed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub products: usize,
    pub variants: usize,
    pub categories: usize,
    pub collections: usize,
}

/// Products written per transaction.
const BATCH: usize = 100;
/// The seed of the one random stream everything is drawn from.
const RNG_SEED: u64 = 0x456d_706f_7269_756d; // "Emporium"
/// 2026-11-01T00:00:00Z: products were created during the year before this instant.
const CATALOG_EPOCH_MS: i64 = 1_793_491_200_000;
const YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;
/// Categories and collections were set up shortly before the first product.
const SETUP_MS: i64 = CATALOG_EPOCH_MS - YEAR_MS - 7 * 24 * 60 * 60 * 1000;

/// Writes the demo catalog into an empty catalog. `progress(done, total)` is called as
/// products are written (the binary draws an indicatif bar with it).
///
/// Errors: `Conflict { field: "catalog" }` when the catalog already has products,
/// categories or collections.
pub async fn seed_demo(
    catalog: &Catalog,
    options: DemoOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<SeedReport> {
    let db: &Database = catalog.database();
    let blank = db
        .read(async |conn| store::catalog_is_blank(conn).await)
        .await?;
    if !blank {
        return Err(CatalogError::Conflict {
            field: "catalog".to_owned(),
            message:
                "the catalog is not empty: the demo catalog is only seeded into an empty database"
                    .to_owned(),
        });
    }
    let demo = generate(options.products);
    let total = demo.products.len() as u64;

    let categories = demo.categories.clone();
    let collection_rows: Vec<CollectionRow> =
        demo.collections.iter().map(|(c, _)| c.clone()).collect();
    db.write(async move |conn| {
        store::category::insert(conn, &categories).await?;
        store::collection::insert(conn, &collection_rows).await
    })
    .await?;

    let mut done = 0u64;
    progress(0, total);
    for batch in demo.products.chunks(BATCH) {
        let rows: Vec<ProductRow> = batch.iter().map(|p| p.row.clone()).collect();
        let options: Vec<OptionRow> = batch
            .iter()
            .flat_map(|p| p.options.iter().cloned())
            .collect();
        let variants: Vec<VariantRow> = batch
            .iter()
            .flat_map(|p| p.variants.iter().cloned())
            .collect();
        let images: Vec<ImageRow> = batch
            .iter()
            .flat_map(|p| p.images.iter().cloned())
            .collect();
        let links: Vec<(String, String)> = batch
            .iter()
            .map(|p| (p.row.id.clone(), p.category_id.clone()))
            .collect();
        let ranges: Vec<(String, PriceRange)> = batch
            .iter()
            .flat_map(|p| {
                price_ranges(&p.variants)
                    .into_iter()
                    .map(|r| (p.row.id.clone(), r))
            })
            .collect();
        db.write(async move |conn| {
            store::product::insert(conn, &rows).await?;
            store::product::insert_options(conn, &options).await?;
            store::product::insert_variants(conn, &variants).await?;
            store::product::insert_images(conn, &images).await?;
            store::product::insert_category_links(conn, &links).await?;
            store::product::insert_price_ranges(conn, &ranges).await
        })
        .await?;
        done += batch.len() as u64;
        progress(done, total);
    }

    let members: Vec<(String, Vec<String>)> = demo
        .collections
        .iter()
        .map(|(collection, members)| (collection.id.clone(), members.clone()))
        .collect();
    db.write(async move |conn| -> Result<()> {
        for (collection_id, members) in &members {
            store::collection::insert_members(conn, collection_id, members).await?;
        }
        Ok(())
    })
    .await?;

    Ok(SeedReport {
        products: demo.products.len(),
        variants: demo.products.iter().map(|p| p.variants.len()).sum(),
        categories: demo.categories.len(),
        collections: demo.collections.len(),
    })
}

fn price_ranges(variants: &[VariantRow]) -> Vec<PriceRange> {
    let mut ranges: Vec<PriceRange> = Vec::new();
    for price in variants.iter().flat_map(|v| v.prices.iter()) {
        match ranges.iter_mut().find(|r| r.currency == price.currency) {
            Some(r) => {
                r.min_amount = r.min_amount.min(price.amount);
                r.max_amount = r.max_amount.max(price.amount);
            }
            None => ranges.push(PriceRange {
                currency: price.currency,
                min_amount: price.amount,
                max_amount: price.amount,
            }),
        }
    }
    ranges
}

// ----- the catalog's shape -----

struct OptionSpec {
    name: &'static str,
    values: &'static [&'static str],
    /// Whether later values cost more (sizes, capacities).
    priced: bool,
}

struct Leaf {
    name: &'static str,
    sku: &'static str,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    options: &'static [OptionSpec],
    /// Whole euros.
    euros: (i64, i64),
    grams: (i64, i64),
}

enum Node {
    Branch(&'static str, &'static [Node]),
    Leaf(Leaf),
}

/// A top-level department: its subtree and the words its products are described with.
struct Department {
    name: &'static str,
    blurb: &'static str,
    adjectives: &'static [&'static str],
    /// `{title}`, `{adj}`, `{material}`, `{noun}` are filled in.
    openings: &'static [&'static str],
    details: &'static [&'static str],
    children: &'static [Node],
}

const SIZES: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
const COLOURS: &[&str] = &[
    "Navy", "White", "Sage", "Charcoal", "Sand", "Rust", "Black", "Olive", "Ochre",
];
const HOME_COLOURS: &[&str] = &["Chalk", "Slate", "Moss", "Clay", "Ocean", "Oat"];

const fn size() -> OptionSpec {
    OptionSpec {
        name: "Size",
        values: SIZES,
        priced: false,
    }
}
const fn colour() -> OptionSpec {
    OptionSpec {
        name: "Colour",
        values: COLOURS,
        priced: false,
    }
}
const fn home_colour() -> OptionSpec {
    OptionSpec {
        name: "Colour",
        values: HOME_COLOURS,
        priced: false,
    }
}

const GENERIC_DETAILS: &[&str] = &[
    "Every piece is checked by hand before it leaves our workshop.",
    "It is made in small batches by a family-run supplier we have worked with for years.",
    "Thoughtful details make it a quiet favourite you will reach for again and again.",
    "It arrives in plastic-free packaging that can go straight into the recycling.",
];

const DEPARTMENTS: &[Department] = &[
    Department {
        name: "Apparel",
        blurb: "Clothing and accessories made to be worn often and kept for years.",
        adjectives: &[
            "Classic",
            "Everyday",
            "Relaxed",
            "Tailored",
            "Vintage",
            "Essential",
            "Heritage",
            "Lightweight",
            "Coastal",
            "Weekend",
        ],
        openings: &[
            "The {title} is cut from {material} for an easy, {adj} fit.",
            "A {adj} {noun} in soft {material} that works from Monday to the weekend.",
            "Made from {material}, this {noun} keeps its shape wash after wash.",
        ],
        details: &[
            "Machine wash at 30 °C and line dry.",
            "True to size: choose one size up for a looser fit.",
            "The fabric softens beautifully with every wear.",
        ],
        children: &[
            Node::Branch(
                "Men",
                &[
                    Node::Leaf(Leaf {
                        name: "Shirts",
                        sku: "SHRT",
                        nouns: &["Shirt", "Overshirt", "Polo Shirt", "Henley"],
                        materials: &[
                            "Linen",
                            "Organic Cotton",
                            "Flannel",
                            "Chambray",
                            "Oxford Cotton",
                        ],
                        options: &[size(), colour()],
                        euros: (35, 89),
                        grams: (220, 420),
                    }),
                    Node::Leaf(Leaf {
                        name: "Trousers",
                        sku: "TRSR",
                        nouns: &["Chinos", "Trousers", "Shorts", "Joggers"],
                        materials: &[
                            "Twill",
                            "Cotton Canvas",
                            "Linen Blend",
                            "Corduroy",
                            "Stretch Denim",
                        ],
                        options: &[
                            OptionSpec {
                                name: "Waist",
                                values: &["28", "30", "32", "34", "36", "38"],
                                priced: false,
                            },
                            colour(),
                        ],
                        euros: (45, 119),
                        grams: (320, 650),
                    }),
                    Node::Leaf(Leaf {
                        name: "Outerwear",
                        sku: "OUTR",
                        nouns: &["Jacket", "Parka", "Gilet", "Field Coat"],
                        materials: &["Waxed Cotton", "Wool", "Recycled Nylon", "Quilted Cotton"],
                        options: &[size(), colour()],
                        euros: (89, 249),
                        grams: (600, 1500),
                    }),
                ],
            ),
            Node::Branch(
                "Women",
                &[
                    Node::Leaf(Leaf {
                        name: "Dresses",
                        sku: "DRSS",
                        nouns: &["Dress", "Midi Dress", "Wrap Dress", "Shirt Dress"],
                        materials: &["Linen", "Silk Blend", "Jersey", "Cotton Poplin", "Tencel"],
                        options: &[size(), colour()],
                        euros: (49, 149),
                        grams: (250, 500),
                    }),
                    Node::Leaf(Leaf {
                        name: "Tops",
                        sku: "TOPS",
                        nouns: &["Blouse", "Tee", "Tank Top", "Camisole"],
                        materials: &["Organic Cotton", "Silk", "Linen", "Modal"],
                        options: &[size(), colour()],
                        euros: (25, 79),
                        grams: (120, 260),
                    }),
                    Node::Leaf(Leaf {
                        name: "Knitwear",
                        sku: "KNIT",
                        nouns: &["Cardigan", "Jumper", "Roll Neck", "Sweater Vest"],
                        materials: &[
                            "Merino",
                            "Cashmere Blend",
                            "Lambswool",
                            "Alpaca",
                            "Cotton Knit",
                        ],
                        options: &[size(), colour()],
                        euros: (59, 179),
                        grams: (300, 700),
                    }),
                ],
            ),
            Node::Branch(
                "Accessories",
                &[
                    Node::Leaf(Leaf {
                        name: "Bags",
                        sku: "BAGS",
                        nouns: &["Tote", "Crossbody Bag", "Weekender", "Pouch"],
                        materials: &["Canvas", "Leather", "Waxed Canvas", "Recycled Polyester"],
                        options: &[colour()],
                        euros: (29, 189),
                        grams: (200, 1400),
                    }),
                    Node::Leaf(Leaf {
                        name: "Hats",
                        sku: "HATS",
                        nouns: &["Beanie", "Cap", "Bucket Hat", "Fedora"],
                        materials: &["Wool", "Cotton Twill", "Felt", "Merino"],
                        options: &[
                            OptionSpec {
                                name: "Size",
                                values: &["S/M", "L/XL"],
                                priced: false,
                            },
                            colour(),
                        ],
                        euros: (19, 69),
                        grams: (60, 180),
                    }),
                    Node::Leaf(Leaf {
                        name: "Scarves",
                        sku: "SCRF",
                        nouns: &["Scarf", "Wrap", "Snood", "Bandana"],
                        materials: &["Wool", "Silk", "Cashmere", "Linen"],
                        options: &[colour()],
                        euros: (25, 119),
                        grams: (60, 300),
                    }),
                ],
            ),
        ],
    },
    Department {
        name: "Home",
        blurb:
            "Things for the kitchen, the living room and the bedroom that work hard and look good.",
        adjectives: &[
            "Nordic",
            "Rustic",
            "Artisan",
            "Minimal",
            "Hand-made",
            "Heritage",
            "Modern",
            "Farmhouse",
            "Studio",
            "Coastal",
        ],
        openings: &[
            "The {title} brings {adj} character to everyday routines.",
            "Made from {material}, this {noun} is built for daily use and years of service.",
            "A {adj} {noun} in {material}, designed to look good and work hard.",
        ],
        details: &[
            "Wipe clean with a damp cloth.",
            "Each one varies slightly, which is part of its charm.",
            "Designed in our studio and made by specialists in their craft.",
        ],
        children: &[
            Node::Branch(
                "Kitchen",
                &[
                    Node::Leaf(Leaf {
                        name: "Cookware",
                        sku: "COOK",
                        nouns: &["Frying Pan", "Saucepan", "Casserole", "Wok", "Sauté Pan"],
                        materials: &[
                            "Cast Iron",
                            "Stainless Steel",
                            "Carbon Steel",
                            "Enamelled Steel",
                            "Copper",
                        ],
                        options: &[OptionSpec {
                            name: "Size",
                            values: &["16 cm", "20 cm", "24 cm", "28 cm", "32 cm"],
                            priced: true,
                        }],
                        euros: (39, 229),
                        grams: (900, 4500),
                    }),
                    Node::Leaf(Leaf {
                        name: "Tableware",
                        sku: "TABL",
                        nouns: &[
                            "Dinner Plate Set",
                            "Bowl Set",
                            "Mug",
                            "Serving Platter",
                            "Side Plate Set",
                        ],
                        materials: &["Stoneware", "Porcelain", "Earthenware", "Glass"],
                        options: &[home_colour()],
                        euros: (15, 89),
                        grams: (300, 2400),
                    }),
                ],
            ),
            Node::Branch(
                "Living",
                &[
                    Node::Leaf(Leaf {
                        name: "Cushions",
                        sku: "CUSH",
                        nouns: &["Cushion", "Throw", "Bolster", "Floor Cushion"],
                        materials: &["Linen", "Velvet", "Wool", "Bouclé", "Cotton"],
                        options: &[
                            home_colour(),
                            OptionSpec {
                                name: "Size",
                                values: &["40 × 40 cm", "45 × 45 cm", "50 × 50 cm", "60 × 60 cm"],
                                priced: true,
                            },
                        ],
                        euros: (25, 129),
                        grams: (300, 1500),
                    }),
                    Node::Leaf(Leaf {
                        name: "Lighting",
                        sku: "LAMP",
                        nouns: &["Table Lamp", "Floor Lamp", "Pendant Light", "Wall Light"],
                        materials: &["Brass", "Rattan", "Ceramic", "Oak", "Paper"],
                        options: &[OptionSpec {
                            name: "Finish",
                            values: &["Matte Black", "Natural", "Off-white", "Smoke"],
                            priced: false,
                        }],
                        euros: (49, 299),
                        grams: (800, 6000),
                    }),
                ],
            ),
            Node::Branch(
                "Bedroom",
                &[
                    Node::Leaf(Leaf {
                        name: "Bedding",
                        sku: "BEDD",
                        nouns: &["Duvet Cover", "Sheet Set", "Pillowcase Pair", "Quilt"],
                        materials: &["Percale Cotton", "Washed Linen", "Sateen", "Bamboo Lyocell"],
                        options: &[
                            OptionSpec {
                                name: "Size",
                                values: &["Single", "Double", "King", "Super King"],
                                priced: true,
                            },
                            home_colour(),
                        ],
                        euros: (39, 189),
                        grams: (500, 2500),
                    }),
                    Node::Leaf(Leaf {
                        name: "Blankets",
                        sku: "BLNK",
                        nouns: &["Blanket", "Throw", "Bedspread"],
                        materials: &["Wool", "Waffle Cotton", "Merino", "Mohair Blend"],
                        options: &[home_colour()],
                        euros: (49, 199),
                        grams: (700, 2200),
                    }),
                ],
            ),
        ],
    },
    Department {
        name: "Outdoors",
        blurb: "Gear for camping, hiking and cycling, tested in all weathers.",
        adjectives: &[
            "Alpine",
            "Trail",
            "Expedition",
            "Ultralight",
            "Summit",
            "Backcountry",
            "Ridge",
            "Basecamp",
            "Fjord",
            "Highland",
        ],
        openings: &[
            "The {title} is made for long days outside, in {material} that shrugs off the weather.",
            "A {adj} {noun} built from {material} for trips near and far.",
            "Packed with thoughtful details, this {noun} is ready for the trail.",
        ],
        details: &[
            "Backed by our two-year repair guarantee.",
            "It weighs little and packs small.",
            "Field-tested by our team on long weekends in the hills.",
        ],
        children: &[
            Node::Branch(
                "Camping",
                &[
                    Node::Leaf(Leaf {
                        name: "Tents",
                        sku: "TENT",
                        nouns: &["Tent", "Tarp Shelter", "Bivvy", "Dome Tent"],
                        materials: &["Ripstop Nylon", "Polycotton", "Silnylon", "Canvas"],
                        options: &[OptionSpec {
                            name: "Capacity",
                            values: &["1-person", "2-person", "3-person", "4-person", "6-person"],
                            priced: true,
                        }],
                        euros: (79, 499),
                        grams: (900, 6500),
                    }),
                    Node::Leaf(Leaf {
                        name: "Sleeping bags",
                        sku: "SLPB",
                        nouns: &[
                            "Sleeping Bag",
                            "Mummy Bag",
                            "Sleeping Bag Liner",
                            "Camp Quilt",
                        ],
                        materials: &["Down", "Synthetic Fill", "Recycled Down", "Fleece"],
                        options: &[OptionSpec {
                            name: "Length",
                            values: &["Short", "Regular", "Long", "Extra Long"],
                            priced: true,
                        }],
                        euros: (39, 349),
                        grams: (300, 1900),
                    }),
                    Node::Leaf(Leaf {
                        name: "Camp kitchen",
                        sku: "CAMP",
                        nouns: &["Cook Pot", "Pot Set", "Camp Mug", "Kettle", "Pan"],
                        materials: &["Titanium", "Aluminium", "Stainless Steel", "Enamel"],
                        options: &[OptionSpec {
                            name: "Capacity",
                            values: &["350 ml", "500 ml", "750 ml", "1 l", "1.5 l"],
                            priced: true,
                        }],
                        euros: (12, 119),
                        grams: (80, 900),
                    }),
                ],
            ),
            Node::Branch(
                "Hiking",
                &[
                    Node::Leaf(Leaf {
                        name: "Backpacks",
                        sku: "PACK",
                        nouns: &["Daypack", "Backpack", "Hip Pack", "Trekking Pack"],
                        materials: &["Recycled Nylon", "Cordura", "Waxed Canvas", "Dyneema"],
                        options: &[
                            OptionSpec {
                                name: "Volume",
                                values: &["18 l", "24 l", "32 l", "45 l", "60 l"],
                                priced: true,
                            },
                            colour(),
                        ],
                        euros: (39, 279),
                        grams: (400, 2200),
                    }),
                    Node::Leaf(Leaf {
                        name: "Water bottles",
                        sku: "BOTL",
                        nouns: &[
                            "Water Bottle",
                            "Insulated Flask",
                            "Travel Mug",
                            "Filter Bottle",
                        ],
                        materials: &["Stainless Steel", "Tritan", "Titanium", "Glass"],
                        options: &[
                            OptionSpec {
                                name: "Capacity",
                                values: &["350 ml", "500 ml", "750 ml", "1 l"],
                                priced: true,
                            },
                            colour(),
                        ],
                        euros: (15, 59),
                        grams: (120, 600),
                    }),
                ],
            ),
            Node::Leaf(Leaf {
                name: "Cycling",
                sku: "CYCL",
                nouns: &[
                    "Jersey",
                    "Bib Shorts",
                    "Rain Jacket",
                    "Gloves",
                    "Cycling Cap",
                ],
                materials: &["Merino", "Recycled Polyester", "Softshell", "Lycra"],
                options: &[size(), colour()],
                euros: (25, 199),
                grams: (60, 500),
            }),
        ],
    },
    Department {
        name: "Stationery",
        blurb: "Paper, pens and desk companions for notes, lists and big ideas.",
        adjectives: &[
            "Studio", "Pocket", "Archive", "Daily", "Field", "Classic", "Atelier", "Weekly",
        ],
        openings: &[
            "The {title} makes everyday writing a small pleasure.",
            "A {adj} {noun} in {material}, made for notes, lists and big ideas.",
            "Made from {material}, this {noun} earns its place on any desk.",
        ],
        details: &[
            "It pairs well with the rest of our desk range.",
            "Designed in our studio and made in Europe.",
            "A thoughtful gift for anyone who still writes by hand.",
        ],
        children: &[
            Node::Leaf(Leaf {
                name: "Notebooks",
                sku: "NOTE",
                nouns: &["Notebook", "Journal", "Sketchbook", "Planner"],
                materials: &[
                    "Recycled Paper",
                    "Linen Cover",
                    "Leather Cover",
                    "Cotton Paper",
                ],
                options: &[
                    OptionSpec {
                        name: "Size",
                        values: &["A6", "A5", "A4"],
                        priced: true,
                    },
                    OptionSpec {
                        name: "Ruling",
                        values: &["Plain", "Lined", "Dotted", "Grid"],
                        priced: false,
                    },
                ],
                euros: (6, 39),
                grams: (80, 600),
            }),
            Node::Leaf(Leaf {
                name: "Pens",
                sku: "PENS",
                nouns: &[
                    "Fountain Pen",
                    "Ballpoint",
                    "Rollerball",
                    "Pencil Set",
                    "Fineliner Set",
                ],
                materials: &["Brass", "Aluminium", "Resin", "Cedar"],
                options: &[OptionSpec {
                    name: "Ink colour",
                    values: &["Black", "Blue", "Green", "Burgundy", "Sepia"],
                    priced: false,
                }],
                euros: (4, 129),
                grams: (15, 120),
            }),
            Node::Leaf(Leaf {
                name: "Desk accessories",
                sku: "DESK",
                nouns: &[
                    "Desk Organiser",
                    "Pen Pot",
                    "Letter Tray",
                    "Desk Mat",
                    "Bookends",
                ],
                materials: &["Oak", "Walnut", "Felt", "Cork", "Steel"],
                options: &[OptionSpec {
                    name: "Colour",
                    values: &["Natural", "Black", "Grey", "Forest"],
                    priced: false,
                }],
                euros: (15, 89),
                grams: (150, 1800),
            }),
        ],
    },
    Department {
        name: "Beauty",
        blurb: "Skincare, fragrance and bath products with short ingredient lists.",
        adjectives: &[
            "Gentle",
            "Botanical",
            "Pure",
            "Calm",
            "Radiant",
            "Daily",
            "Nourishing",
            "Restoring",
        ],
        openings: &[
            "The {title} is a {adj} addition to your daily ritual.",
            "Made with {material}, this {noun} is gentle enough for every day.",
            "A {adj} {noun} with {material} and nothing you do not need.",
        ],
        details: &[
            "Free from parabens and never tested on animals.",
            "Suitable for all skin types.",
            "The bottle is made from recycled glass and can be refilled in store.",
        ],
        children: &[
            Node::Leaf(Leaf {
                name: "Skincare",
                sku: "SKIN",
                nouns: &["Face Cream", "Cleanser", "Serum", "Face Oil", "Lip Balm"],
                materials: &["Rosehip", "Aloe", "Oat", "Chamomile", "Sea Buckthorn"],
                options: &[OptionSpec {
                    name: "Size",
                    values: &["15 ml", "30 ml", "50 ml", "100 ml"],
                    priced: true,
                }],
                euros: (8, 59),
                grams: (30, 250),
            }),
            Node::Leaf(Leaf {
                name: "Fragrance",
                sku: "FRAG",
                nouns: &[
                    "Eau de Parfum",
                    "Scented Candle",
                    "Room Spray",
                    "Reed Diffuser",
                ],
                materials: &["Cedarwood", "Fig", "Neroli", "Vetiver", "Bergamot"],
                options: &[OptionSpec {
                    name: "Size",
                    values: &["30 ml", "50 ml", "100 ml", "200 ml"],
                    priced: true,
                }],
                euros: (19, 149),
                grams: (90, 700),
            }),
            Node::Leaf(Leaf {
                name: "Bath & body",
                sku: "BATH",
                nouns: &[
                    "Body Wash",
                    "Hand Cream",
                    "Bath Soak",
                    "Soap Bar",
                    "Body Lotion",
                ],
                materials: &["Lavender", "Eucalyptus", "Oatmeal", "Rosemary", "Sea Salt"],
                options: &[OptionSpec {
                    name: "Size",
                    values: &["100 ml", "250 ml", "500 ml", "1 l"],
                    priced: true,
                }],
                euros: (6, 39),
                grams: (100, 1100),
            }),
        ],
    },
];

struct CollectionSpec {
    title: &'static str,
    description: &'static str,
    size: usize,
}

const COLLECTIONS: &[CollectionSpec] = &[
    CollectionSpec {
        title: "New arrivals",
        description: "The latest additions to the shop, newest first.",
        size: 30,
    },
    CollectionSpec {
        title: "Bestsellers",
        description: "The pieces our customers come back for.",
        size: 24,
    },
    CollectionSpec {
        title: "Summer sale",
        description: "Clothing and outdoor gear for long summer days.",
        size: 36,
    },
    CollectionSpec {
        title: "Staff picks",
        description: "What the people behind the shop use every day.",
        size: 16,
    },
    CollectionSpec {
        title: "Gifts under €50",
        description: "Thoughtful presents that do not break the bank.",
        size: 28,
    },
];

// ----- generation -----

struct DemoProduct {
    row: ProductRow,
    category_id: String,
    options: Vec<OptionRow>,
    variants: Vec<VariantRow>,
    images: Vec<ImageRow>,
    /// Index of the department, for collections drawn from some departments only.
    department: usize,
}

struct Demo {
    categories: Vec<CategoryRow>,
    products: Vec<DemoProduct>,
    collections: Vec<(CollectionRow, Vec<String>)>,
}

/// A leaf category products can be filed under.
struct LeafRef {
    category_id: String,
    department: usize,
    leaf: &'static Leaf,
}

fn generate(product_count: usize) -> Demo {
    let mut rng = ChaCha8Rng::seed_from_u64(RNG_SEED);
    let mut categories: Vec<CategoryRow> = Vec::new();
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
        a.row
            .created_at
            .cmp(&b.row.created_at)
            .then_with(|| a.row.id.cmp(&b.row.id))
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
    categories: &mut Vec<CategoryRow>,
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
    categories.push(CategoryRow {
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
    categories: &mut Vec<CategoryRow>,
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
    let options: Vec<OptionRow> = chosen
        .iter()
        .enumerate()
        .map(|(k, (spec, _, values))| OptionRow {
            id: id_from_parts("opt", created_at as u64, rng.random::<u128>()),
            product_id: product_id.clone(),
            name: spec.name.to_owned(),
            position: k as i64,
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
    let variants: Vec<VariantRow> = combos
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
            let option_values: Vec<(String, String)> = combo
                .iter()
                .zip(&options)
                .map(|(v, option)| (option.id.clone(), option.values[*v].clone()))
                .collect();
            let variant_title = option_values
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            VariantRow {
                id: id_from_parts(
                    "var",
                    created_at as u64 + position as u64,
                    rng.random::<u128>(),
                ),
                product_id: product_id.clone(),
                sku: format!("{}-{:05}-{:02}", leaf.sku, index + 1, position + 1),
                title: variant_title,
                weight_grams: Some(grams),
                position: position as i64,
                option_values,
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
        .map(|n| ImageRow {
            id: id_from_parts("img", created_at as u64 + n as u64, rng.random::<u128>()),
            product_id: product_id.clone(),
            url: format!("/media/demo/{handle}-{}.svg", n + 1),
            alt: format!("{title}{}", views[n]),
            position: n as i64,
        })
        .collect();

    DemoProduct {
        row: ProductRow {
            id: product_id,
            handle,
            title: title.clone(),
            description,
            status: ProductStatus::Published,
            seo_title: None,
            seo_description: None,
            created_at,
            updated_at: created_at,
        },
        category_id: leaf_ref.category_id.clone(),
        options,
        variants,
        images,
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

fn generate_collections(
    rng: &mut ChaCha8Rng,
    products: &[DemoProduct],
) -> Vec<(CollectionRow, Vec<String>)> {
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
                        p.variants
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
                .map(|p| p.row.id.clone())
                .collect();
            let at = SETUP_MS + 1_000 + i as i64;
            let handle = first_free_handle(&slugify(spec.title, "collection"), &handles);
            handles.push(handle.clone());
            let row = CollectionRow {
                id: id_from_parts("pcol", at as u64, rng.random::<u128>()),
                handle,
                title: spec.title.to_owned(),
                description: spec.description.to_owned(),
                created_at: at,
                updated_at: at,
            };
            (row, members)
        })
        .collect()
}

// ----- demo images -----

/// The SVG drawn for a demo image path: `/media/demo/{product_handle}-{n}.svg` or just its
/// file name `{product_handle}-{n}.svg`. A gradient in colours derived from the handle,
/// the product's initials and its name; `n` varies the composition so each view of a
/// product looks different. `None` for anything that is not such a name.
pub fn demo_image_svg(path_name: &str) -> Option<String> {
    let file = path_name.strip_prefix("/media/demo/").unwrap_or(path_name);
    let stem = file.strip_suffix(".svg")?;
    let (handle, view) = stem.rsplit_once('-')?;
    if view.is_empty() || view.len() > 2 || !view.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let view: u64 = view.parse().ok()?;
    if view == 0 || crate::fields::handle("handle", handle).is_err() {
        return None;
    }

    let hash = fnv1a(handle.as_bytes());
    let hue = (hash % 360) as i64;
    let hue2 = (hue + 35 + ((hash >> 12) % 50) as i64) % 360;
    let angle = (hash >> 20) % 4 + view;
    let (x2, y2) = [(1, 1), (0, 1), (1, 0), (1, 1)][(angle % 4) as usize];

    // Words of the handle, without a trailing "-2" that only made it unique.
    let mut words: Vec<&str> = handle.split('-').collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
    {
        words.pop();
    }
    let name = words
        .iter()
        .map(|w| capitalise(w))
        .collect::<Vec<_>>()
        .join(" ");
    let initials: String = words
        .iter()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    let (line1, line2) = wrap(&name, 26);

    let mut circles = String::new();
    for k in 0..3u64 {
        let h = fnv1a(&[hash.to_le_bytes().as_slice(), &[k as u8, view as u8]].concat());
        let cx = 80 + h % 640;
        let cy = 80 + (h >> 16) % 640;
        let r = 60 + (h >> 32) % 180;
        circles.push_str(&format!(
            r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="#ffffff" fill-opacity="{op:.2}"/>"##,
            op = 0.08 + k as f64 * 0.04
        ));
    }
    let second_line = line2
        .map(|l| {
            format!(
                r#"<text x="400" y="700" text-anchor="middle" class="name">{}</text>"#,
                escape(&l)
            )
        })
        .unwrap_or_default();
    let first_y = if second_line.is_empty() { 690 } else { 652 };
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800" viewBox="0 0 800 800" role="img" aria-label="{label}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="{x2}" y2="{y2}"><stop offset="0" stop-color="hsl({hue}, 58%, 64%)"/><stop offset="1" stop-color="hsl({hue2}, 50%, 36%)"/></linearGradient><linearGradient id="shade" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.28"/></linearGradient>
<style>.initials{{font:600 240px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#fff;fill-opacity:.92}}.name{{font:500 38px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#fff}}.view{{font:500 22px system-ui,sans-serif;fill:#fff;fill-opacity:.7;letter-spacing:4px}}</style></defs>
<rect width="800" height="800" fill="url(#bg)"/>{circles}<rect y="520" width="800" height="280" fill="url(#shade)"/>
<text x="400" y="470" text-anchor="middle" class="initials">{initials}</text>
<text x="400" y="{first_y}" text-anchor="middle" class="name">{line1}</text>{second_line}
<text x="400" y="760" text-anchor="middle" class="view">VIEW {view}</text>
</svg>
"##,
        label = escape(&name),
        initials = escape(&initials),
        line1 = escape(&line1),
    ))
}

/// FNV-1a: a tiny, stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Up to two lines of at most `width` characters, the second shortened with "…".
fn wrap(text: &str, width: usize) -> (String, Option<String>) {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let current = lines.last_mut().map(|l| l.len()).unwrap_or(0);
        if current > 0 && current + 1 + word.len() > width {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    let mut lines = lines.into_iter();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<String> = lines.collect();
    if rest.is_empty() {
        return (first, None);
    }
    let mut second = rest.join(" ");
    if second.len() > width {
        second.truncate(width.saturating_sub(1));
        second = format!("{}…", second.trim_end());
    }
    (first, Some(second))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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
                .map(|p| (p.row.id.clone(), p.row.handle.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert!(a.categories.len() >= 20);
        for p in &a.products {
            assert!(
                (2..=5).contains(&p.variants.len()),
                "{} has {} variants",
                p.row.title,
                p.variants.len()
            );
            let sentences = p.row.description.matches(". ").count() + 1;
            assert!((2..=4).contains(&sentences), "{}", p.row.description);
            for v in &p.variants {
                let usd = v
                    .prices
                    .iter()
                    .find(|pr| pr.currency == Currency::USD)
                    .map(|pr| pr.amount % 100);
                assert!(matches!(usd, Some(0) | Some(99)), "{usd:?}");
            }
        }
        let handles: HashSet<&str> = a.products.iter().map(|p| p.row.handle.as_str()).collect();
        assert_eq!(handles.len(), a.products.len());
    }

    #[test]
    fn demo_images_render_for_demo_paths_only() {
        let svg = demo_image_svg("/media/demo/alpine-ripstop-tent-2.svg").expect("an SVG");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(">AR<") && svg.contains("Alpine Ripstop Tent"));
        assert_eq!(demo_image_svg("alpine-ripstop-tent-2.svg"), Some(svg));
        for junk in [
            "",
            "x.png",
            "../etc/passwd-1.svg",
            "Tent-1.svg",
            "tent.svg",
            "tent-0.svg",
            "tent-1.svg.gz",
            "<b>-1.svg",
        ] {
            assert_eq!(demo_image_svg(junk), None, "{junk}");
        }
    }
}
