//! The demo catalog's shape: departments with their category trees, the words their
//! products are described with, option values, price and weight ranges, and the
//! collections. Generation (`generate`) draws products from it.

pub(crate) struct OptionSpec {
    pub name: &'static str,
    pub values: &'static [&'static str],
    /// Whether later values cost more (sizes, capacities).
    pub priced: bool,
}

pub(crate) struct Leaf {
    pub name: &'static str,
    pub sku: &'static str,
    pub nouns: &'static [&'static str],
    pub materials: &'static [&'static str],
    pub options: &'static [OptionSpec],
    /// Whole euros.
    pub euros: (i64, i64),
    pub grams: (i64, i64),
}

pub(crate) enum Node {
    Branch(&'static str, &'static [Node]),
    Leaf(Leaf),
}

/// A top-level department: its subtree and the words its products are described with.
pub(crate) struct Department {
    pub name: &'static str,
    pub blurb: &'static str,
    pub adjectives: &'static [&'static str],
    /// `{title}`, `{adj}`, `{material}`, `{noun}` are filled in.
    pub openings: &'static [&'static str],
    pub details: &'static [&'static str],
    pub children: &'static [Node],
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

pub(crate) const GENERIC_DETAILS: &[&str] = &[
    "Every piece is checked by hand before it leaves our workshop.",
    "It is made in small batches by a family-run supplier we have worked with for years.",
    "Thoughtful details make it a quiet favourite you will reach for again and again.",
    "It arrives in plastic-free packaging that can go straight into the recycling.",
];

pub(crate) const DEPARTMENTS: &[Department] = &[
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

pub(crate) struct CollectionSpec {
    pub title: &'static str,
    pub description: &'static str,
    pub size: usize,
}

pub(crate) const COLLECTIONS: &[CollectionSpec] = &[
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
