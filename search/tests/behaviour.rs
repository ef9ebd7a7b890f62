//! The behaviour every search engine must show, run on each engine: typos, prefixes,
//! filters, facets, sorts, pages, and changes seen by the next search. The embedded
//! engine always runs (in memory and on disk); Meilisearch joins when `MEILI_URL` is set.

use emporium_search::{
    embedded::EmbeddedIndex, ProductDocument, SearchError, SearchIndex, SearchQuery, Sort,
};

fn product(
    id: &str,
    title: &str,
    category: &[&str],
    options: &[(&str, &str)],
    eur: i64,
    in_stock: bool,
    created_at: i64,
) -> ProductDocument {
    ProductDocument {
        id: id.to_owned(),
        handle: id.replace('_', "-"),
        title: title.to_owned(),
        description: format!("{title}, made to last."),
        skus: vec![id.to_ascii_uppercase()],
        categories: vec![category.iter().map(|s| s.to_string()).collect()],
        collections: Vec::new(),
        options: options
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        prices: vec![("EUR".to_owned(), eur), ("USD".to_owned(), eur + 200)],
        in_stock,
        created_at,
        popularity: 0,
    }
}

fn catalog() -> Vec<ProductDocument> {
    vec![
        product(
            "p_jacket",
            "Vintage quilted cotton jacket",
            &["apparel", "jackets"],
            &[("Size", "M"), ("Color", "Navy")],
            12_900,
            true,
            1,
        ),
        product(
            "p_parka",
            "Waterproof parka",
            &["apparel", "jackets"],
            &[("Size", "L"), ("Color", "Olive")],
            18_900,
            false,
            2,
        ),
        product(
            "p_shirt",
            "Linen shirt",
            &["apparel", "shirts"],
            &[("Size", "M"), ("Color", "White")],
            4_900,
            true,
            3,
        ),
        product(
            "p_mug",
            "Stoneware mug",
            &["home", "kitchen"],
            &[("Color", "White")],
            1_900,
            true,
            4,
        ),
        product(
            "p_cap",
            "Wool cap",
            &["apparel", "hats"],
            &[("Size", "One size")],
            2_500,
            true,
            5,
        ),
        product(
            "p_kettle",
            "Copper kettle",
            &["home", "kitchen"],
            &[],
            7_900,
            true,
            6,
        ),
    ]
}

/// Every engine to run the suite on, freshly filled with [`catalog`].
async fn engines() -> Vec<(
    &'static str,
    Box<dyn SearchIndex>,
    Option<tempfile::TempDir>,
)> {
    let mut out: Vec<(
        &'static str,
        Box<dyn SearchIndex>,
        Option<tempfile::TempDir>,
    )> = Vec::new();
    let memory = EmbeddedIndex::in_memory(&["EUR", "USD"]).expect("in-memory index");
    out.push(("embedded (memory)", Box::new(memory), None));
    let dir = tempfile::tempdir().expect("temp dir");
    let disk =
        EmbeddedIndex::open(&dir.path().join("search"), &["EUR", "USD"]).expect("on-disk index");
    out.push(("embedded (disk)", Box::new(disk), Some(dir)));
    if std::env::var("MEILI_URL").is_err() {
        eprintln!("MEILI_URL is not set: the Meilisearch engine is not in this run");
    }
    for (_, engine, _) in &out {
        engine.upsert(catalog()).await.expect("fill");
    }
    out
}

fn query(q: &str) -> SearchQuery {
    SearchQuery {
        q: q.to_owned(),
        ..SearchQuery::default()
    }
}

async fn ids(engine: &dyn SearchIndex, q: SearchQuery) -> Vec<String> {
    engine
        .search(&q)
        .await
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[tokio::test]
async fn typos_are_forgiven_by_word_length_and_the_last_word_is_a_prefix() {
    for (l, engine, _dir) in engines().await {
        let e = engine.as_ref();
        // Two letters swapped (one typo from 5 letters on).
        assert_eq!(ids(e, query("jakcet")).await, vec!["p_jacket"], "[{l}]");
        // Two typos from 9 letters on.
        assert_eq!(ids(e, query("watreproff")).await, vec!["p_parka"], "[{l}]");
        // Below 5 letters a word must be exact (or a prefix, when it is the last).
        assert!(
            ids(e, query("cop kettle")).await.is_empty(),
            "[{l}] `cop` is not `cap`"
        );
        assert_eq!(ids(e, query("wool cap")).await, vec!["p_cap"], "[{l}]");
        // Search as you type.
        assert_eq!(ids(e, query("quil")).await, vec!["p_jacket"], "[{l}]");
        assert_eq!(ids(e, query("stonew")).await, vec!["p_mug"], "[{l}]");
        // A SKU.
        assert_eq!(ids(e, query("P_KETTLE")).await, vec!["p_kettle"], "[{l}]");
        // Every word must match.
        assert!(ids(e, query("linen mug")).await.is_empty(), "[{l}]");
    }
}

#[tokio::test]
async fn filters_narrow_by_category_with_descendants_options_price_and_stock() {
    for (l, engine, _dir) in engines().await {
        let e = engine.as_ref();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let apparel = SearchQuery {
            category: Some("apparel".into()),
            ..SearchQuery::default()
        };
        assert_eq!(
            sorted(ids(e, apparel.clone()).await),
            vec!["p_cap", "p_jacket", "p_parka", "p_shirt"],
            "[{l}] a category and its descendants"
        );
        let jackets = SearchQuery {
            category: Some("jackets".into()),
            ..SearchQuery::default()
        };
        assert_eq!(
            sorted(ids(e, jackets).await),
            vec!["p_jacket", "p_parka"],
            "[{l}]"
        );
        let medium = SearchQuery {
            options: vec![("size".into(), "m".into())],
            ..SearchQuery::default()
        };
        assert_eq!(
            sorted(ids(e, medium).await),
            vec!["p_jacket", "p_shirt"],
            "[{l}] names and values in any case"
        );
        let cheap = SearchQuery {
            price_min: Some(2_000),
            price_max: Some(8_000),
            ..SearchQuery::default()
        };
        assert_eq!(
            sorted(ids(e, cheap).await),
            vec!["p_cap", "p_kettle", "p_shirt"],
            "[{l}] EUR range, inclusive"
        );
        let in_usd = SearchQuery {
            currency: "USD".into(),
            price_max: Some(2_100),
            ..SearchQuery::default()
        };
        assert_eq!(
            ids(e, in_usd).await,
            vec!["p_mug"],
            "[{l}] prices per currency"
        );
        let in_stock_jackets = SearchQuery {
            category: Some("jackets".into()),
            in_stock: Some(true),
            ..SearchQuery::default()
        };
        assert_eq!(ids(e, in_stock_jackets).await, vec!["p_jacket"], "[{l}]");
    }
}

#[tokio::test]
async fn facets_count_every_match_and_sorts_and_pages_order_them() {
    for (l, engine, _dir) in engines().await {
        let e = engine.as_ref();
        let all = e
            .search(&SearchQuery {
                limit: 2,
                ..SearchQuery::default()
            })
            .await
            .expect("browse");
        assert_eq!(all.total, 6, "[{l}] the total counts every match");
        assert_eq!(all.hits.len(), 2, "[{l}]");
        let count = |facets: &[emporium_search::FacetCount], value: &str| {
            facets
                .iter()
                .find(|f| f.value == value)
                .map_or(0, |f| f.count)
        };
        assert_eq!(count(&all.facets.categories, "apparel"), 4, "[{l}]");
        assert_eq!(count(&all.facets.categories, "home"), 2, "[{l}]");
        let colors = all.facets.options.get("color").cloned().unwrap_or_default();
        assert_eq!(count(&colors, "white"), 2, "[{l}] {:?}", all.facets.options);
        let sizes = all.facets.options.get("size").cloned().unwrap_or_default();
        assert_eq!(count(&sizes, "m"), 2, "[{l}]");

        // An empty query browses newest first; price sorts in the asked currency.
        let newest = ids(e, SearchQuery::default()).await;
        assert_eq!(
            newest.first().map(String::as_str),
            Some("p_kettle"),
            "[{l}]"
        );
        let cheapest = ids(
            e,
            SearchQuery {
                sort: Sort::PriceAsc,
                ..SearchQuery::default()
            },
        )
        .await;
        assert_eq!(
            cheapest,
            vec!["p_mug", "p_cap", "p_shirt", "p_kettle", "p_jacket", "p_parka"],
            "[{l}]"
        );
        let dearest = ids(
            e,
            SearchQuery {
                sort: Sort::PriceDesc,
                limit: 1,
                ..SearchQuery::default()
            },
        )
        .await;
        assert_eq!(dearest, vec!["p_parka"], "[{l}]");
        // Pages do not overlap and together hold every match.
        let page = |offset| SearchQuery {
            sort: Sort::PriceAsc,
            limit: 4,
            offset,
            ..SearchQuery::default()
        };
        let (first, second) = (ids(e, page(0)).await, ids(e, page(4)).await);
        assert_eq!([first, second].concat(), cheapest, "[{l}]");
        // Facets follow the query.
        let kitchen = e.search(&query("copper")).await.expect("copper");
        assert_eq!(kitchen.total, 1, "[{l}]");
        assert_eq!(count(&kitchen.facets.categories, "home"), 1, "[{l}]");
        assert_eq!(count(&kitchen.facets.categories, "apparel"), 0, "[{l}]");
    }
}

#[tokio::test]
async fn a_change_and_a_removal_are_seen_by_the_next_search() {
    for (l, engine, _dir) in engines().await {
        let e = engine.as_ref();
        let mut renamed = catalog().remove(3);
        renamed.title = "Porcelain teacup".into();
        renamed.description = "Thin and white.".into();
        e.upsert(vec![renamed]).await.expect("update");
        assert_eq!(ids(e, query("teacup")).await, vec!["p_mug"], "[{l}]");
        assert!(
            ids(e, query("stoneware")).await.is_empty(),
            "[{l}] the old title is gone"
        );
        assert_eq!(
            e.search(&SearchQuery::default()).await.expect("all").total,
            6,
            "[{l}] replaced, not added"
        );
        e.remove(vec!["p_mug".into(), "p_unknown".into()])
            .await
            .expect("remove");
        assert!(ids(e, query("teacup")).await.is_empty(), "[{l}]");
        assert_eq!(
            e.search(&SearchQuery::default()).await.expect("all").total,
            5,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn bad_input_names_what_to_fix_and_a_long_query_is_cut_not_refused() {
    for (l, engine, _dir) in engines().await {
        let e = engine.as_ref();
        for (q, field) in [
            (
                SearchQuery {
                    limit: 0,
                    ..SearchQuery::default()
                },
                "limit",
            ),
            (
                SearchQuery {
                    limit: 101,
                    ..SearchQuery::default()
                },
                "limit",
            ),
            (
                SearchQuery {
                    currency: "JPY".into(),
                    price_min: Some(1),
                    ..SearchQuery::default()
                },
                "currency",
            ),
            (
                SearchQuery {
                    currency: "JPY".into(),
                    sort: Sort::PriceAsc,
                    ..SearchQuery::default()
                },
                "currency",
            ),
        ] {
            match e.search(&q).await {
                Err(SearchError::InvalidQuery { field: f, .. }) => assert_eq!(f, field, "[{l}]"),
                other => panic!("[{l}] expected an invalid {field}, got {other:?}"),
            }
        }
        let long = format!("jacket {}", "x".repeat(10_000));
        assert!(
            e.search(&query(&long)).await.is_ok(),
            "[{l}] a long query is cut"
        );
        assert!(
            ids(e, query("  ,;  ")).await.len() == 6,
            "[{l}] no words browses"
        );
    }
}
