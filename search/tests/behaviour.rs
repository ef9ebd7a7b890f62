//! The behaviour every search engine must show, run on each engine: typos, prefixes,
//! filters, facets, sorts, pages, highlights, rebuilds, and changes seen by the next
//! search. The embedded engine always runs (in memory and on disk); Meilisearch joins
//! when `MEILI_URL` is set (`MEILI_API_KEY` too when the server has a master key), each
//! test on a fresh index of its own, deleted at the end.

use std::{
    io::Write,
    path::Path,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use emporium_search::{
    embedded::EmbeddedIndex, meili::MeiliIndex, FacetCount, Hit, ProductDocument, SearchError,
    SearchIndex, SearchQuery, Sort, Span,
};

const CURRENCIES: [&str; 2] = ["EUR", "USD"];

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

/// A lamp whose description is long and shares no word with its title.
fn lamp() -> ProductDocument {
    ProductDocument {
        description: "Turned metal, a linen shade, a weighted base and a switch on the cord; \
                      it takes any E27 bulb and lights a bedside table or a reading corner \
                      warmly."
            .to_owned(),
        ..product(
            "p_lamp",
            "Brass desk lamp",
            &["home", "lighting"],
            &[],
            8_900,
            true,
            7,
        )
    }
}

/// An engine under test; what it needs is cleaned up when it is dropped.
struct Engine {
    label: &'static str,
    index: Box<dyn SearchIndex>,
    /// The on-disk engine's directory.
    _dir: Option<tempfile::TempDir>,
    _meili: Option<MeiliCleanup>,
}

impl Engine {
    fn index(&self) -> &dyn SearchIndex {
        self.index.as_ref()
    }
}

/// Deletes a test's Meilisearch index, and the rebuild indexes named after it, even
/// when the test panicked (on a thread of its own: the test's runtime may be gone).
struct MeiliCleanup {
    url: String,
    key: Option<String>,
    uid: String,
}

impl Drop for MeiliCleanup {
    fn drop(&mut self) {
        let (url, key, uid) = (self.url.clone(), self.key.clone(), self.uid.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(client) = meilisearch_sdk::client::Client::new(url, key) else {
                    return;
                };
                let Ok(indexes) = client.list_all_indexes_raw().await else {
                    return;
                };
                let uids: Vec<String> = indexes["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["uid"].as_str())
                    .filter(|u| *u == uid || u.starts_with(&format!("{uid}_rebuild_")))
                    .map(str::to_owned)
                    .collect();
                for uid in uids {
                    if let Ok(task) = client.delete_index(&uid).await {
                        let _ = client.wait_for_task(task, None, None).await;
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

fn meili_settings() -> Option<(String, Option<String>)> {
    match std::env::var("MEILI_URL") {
        Ok(url) if !url.trim().is_empty() => Some((url, std::env::var("MEILI_API_KEY").ok())),
        _ => {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                let ci = std::env::var("CI").is_ok_and(|v| v == "true");
                // Straight to stderr: the test harness would hide an eprintln! of a
                // passing test.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nnote: MEILI_URL is not set: the Meilisearch engine is not in this \
                     run{} (set MEILI_URL, and MEILI_API_KEY for a server with a master \
                     key, to include it)\n",
                    if ci { "; CI has no Meilisearch" } else { "" }
                );
            });
            None
        }
    }
}

/// Every engine to run `test` on, empty.
async fn empty_engines(test: &str) -> Vec<Engine> {
    let mut out = vec![Engine {
        label: "embedded (memory)",
        index: Box::new(EmbeddedIndex::in_memory(&CURRENCIES).expect("in-memory index")),
        _dir: None,
        _meili: None,
    }];
    let dir = tempfile::tempdir().expect("temp dir");
    let disk = EmbeddedIndex::open(&dir.path().join("search"), &CURRENCIES).expect("on-disk index");
    out.push(Engine {
        label: "embedded (disk)",
        index: Box::new(disk),
        _dir: Some(dir),
        _meili: None,
    });
    if let Some((url, key)) = meili_settings() {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let uid = format!("emporium_test_{test}_{}_{nanos}", std::process::id());
        let cleanup = MeiliCleanup {
            url: url.clone(),
            key: key.clone(),
            uid: uid.clone(),
        };
        let meili = MeiliIndex::connect(&url, key.as_deref(), &uid, &CURRENCIES)
            .await
            .unwrap_or_else(|e| panic!("MEILI_URL is set but: {e}"));
        out.push(Engine {
            label: "meilisearch",
            index: Box::new(meili),
            _dir: None,
            _meili: Some(cleanup),
        });
    }
    out
}

/// Every engine to run `test` on, filled with [`catalog`].
async fn engines(test: &str) -> Vec<Engine> {
    let out = empty_engines(test).await;
    for engine in &out {
        engine.index().upsert(catalog()).await.expect("fill");
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

async fn first_hit(engine: &dyn SearchIndex, q: &str) -> Hit {
    engine
        .search(&query(q))
        .await
        .expect("search")
        .hits
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hit for {q:?}"))
}

fn count(facets: &[FacetCount], value: &str) -> u64 {
    facets
        .iter()
        .find(|f| f.value == value)
        .map_or(0, |f| f.count)
}

fn pairs(facets: &[FacetCount]) -> Vec<(&str, u64)> {
    facets.iter().map(|f| (f.value.as_str(), f.count)).collect()
}

fn joined(spans: &[Span]) -> String {
    spans.iter().map(|s| s.text.as_str()).collect()
}

fn marked(spans: &[Span]) -> Vec<&str> {
    spans
        .iter()
        .filter(|s| s.matched)
        .map(|s| s.text.as_str())
        .collect()
}

#[tokio::test]
async fn typos_are_forgiven_by_word_length_and_the_last_word_is_a_prefix() {
    for engine in engines("typos").await {
        let (l, e) = (engine.label, engine.index());
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
    for engine in engines("filters").await {
        let (l, e) = (engine.label, engine.index());
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
        let unknown = SearchQuery {
            category: Some("garden".into()),
            ..SearchQuery::default()
        };
        assert!(ids(e, unknown).await.is_empty(), "[{l}] no such category");
        let medium = SearchQuery {
            options: vec![("size".into(), "m".into())],
            ..SearchQuery::default()
        };
        assert_eq!(
            sorted(ids(e, medium).await),
            vec!["p_jacket", "p_shirt"],
            "[{l}] names and values in any case"
        );
        let one_size = SearchQuery {
            options: vec![("SIZE".into(), "one SIZE".into())],
            ..SearchQuery::default()
        };
        assert_eq!(ids(e, one_size).await, vec!["p_cap"], "[{l}]");
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
        // A value with quotes and backslashes is a value, not filter syntax.
        let odd = SearchQuery {
            options: vec![("size".into(), r#"m" OR size = "l\"#.into())],
            ..SearchQuery::default()
        };
        assert!(ids(e, odd).await.is_empty(), "[{l}]");
    }
}

#[tokio::test]
async fn facets_count_every_match_and_sorts_and_pages_order_them() {
    for engine in engines("facets").await {
        let (l, e) = (engine.label, engine.index());
        let all = e
            .search(&SearchQuery {
                limit: 2,
                ..SearchQuery::default()
            })
            .await
            .expect("browse");
        assert_eq!(all.total, 6, "[{l}] the total counts every match");
        assert_eq!(all.hits.len(), 2, "[{l}]");
        assert_eq!(
            pairs(&all.facets.categories),
            vec![("apparel", 4), ("home", 2)],
            "[{l}] top-level categories without a filter"
        );
        // Option values as written; names in lower case.
        let colors = all.facets.options.get("color").cloned().unwrap_or_default();
        assert_eq!(
            pairs(&colors),
            vec![("Navy", 1), ("Olive", 1), ("White", 2)],
            "[{l}] {:?}",
            all.facets.options
        );
        let sizes = all.facets.options.get("size").cloned().unwrap_or_default();
        assert_eq!(
            pairs(&sizes),
            vec![("L", 1), ("M", 2), ("One size", 1)],
            "[{l}]"
        );

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
        // A sort orders the matches of a query too.
        let made_by_price = ids(
            e,
            SearchQuery {
                q: "made".into(),
                sort: Sort::PriceDesc,
                ..SearchQuery::default()
            },
        )
        .await;
        let mut dearest_first = cheapest.clone();
        dearest_first.reverse();
        assert_eq!(made_by_price, dearest_first, "[{l}]");
        // Pages do not overlap and together hold every match.
        let page = |offset| SearchQuery {
            sort: Sort::PriceAsc,
            limit: 4,
            offset,
            ..SearchQuery::default()
        };
        let (first, second) = (ids(e, page(0)).await, ids(e, page(4)).await);
        assert_eq!([first, second].concat(), cheapest, "[{l}]");
        let between = e
            .search(&SearchQuery {
                sort: Sort::PriceAsc,
                limit: 2,
                offset: 3,
                ..SearchQuery::default()
            })
            .await
            .expect("an offset between pages");
        let between: Vec<String> = between.hits.into_iter().map(|h| h.id).collect();
        assert_eq!(between, cheapest[3..5].to_vec(), "[{l}]");
        // Facets follow the query.
        let kitchen = e.search(&query("copper")).await.expect("copper");
        assert_eq!(kitchen.total, 1, "[{l}]");
        assert_eq!(count(&kitchen.facets.categories, "home"), 1, "[{l}]");
        assert_eq!(count(&kitchen.facets.categories, "apparel"), 0, "[{l}]");
    }
}

#[tokio::test]
async fn a_category_filter_counts_its_children() {
    for engine in engines("children").await {
        let (l, e) = (engine.label, engine.index());
        let apparel = e
            .search(&SearchQuery {
                category: Some("apparel".into()),
                ..SearchQuery::default()
            })
            .await
            .expect("apparel");
        assert_eq!(
            pairs(&apparel.facets.categories),
            vec![("hats", 1), ("jackets", 2), ("shirts", 1)],
            "[{l}]"
        );
        let jackets = e
            .search(&SearchQuery {
                category: Some("jackets".into()),
                ..SearchQuery::default()
            })
            .await
            .expect("jackets");
        assert!(
            jackets.facets.categories.is_empty(),
            "[{l}] a leaf has no children: {:?}",
            jackets.facets.categories
        );
        // The counts follow the other filters.
        let in_stock = e
            .search(&SearchQuery {
                category: Some("apparel".into()),
                in_stock: Some(true),
                ..SearchQuery::default()
            })
            .await
            .expect("in stock");
        assert_eq!(count(&in_stock.facets.categories, "jackets"), 1, "[{l}]");
    }
}

#[tokio::test]
async fn equal_matches_rank_the_more_popular_first() {
    for engine in engines("popularity").await {
        let (l, e) = (engine.label, engine.index());
        let tote = |id: &str, sku: &str, popularity: i64| ProductDocument {
            skus: vec![sku.to_owned()],
            popularity,
            ..product(id, "Canvas tote bag", &["bags"], &[], 3_000, true, 10)
        };
        // The more popular one is indexed last: it does not win by order.
        e.upsert(vec![tote("p_tote_plain", "TB-1", 5)])
            .await
            .expect("plain");
        e.upsert(vec![tote("p_tote_loved", "TB-2", 50)])
            .await
            .expect("loved");
        assert_eq!(
            ids(e, query("tote")).await,
            vec!["p_tote_loved", "p_tote_plain"],
            "[{l}]"
        );
        e.upsert(vec![tote("p_tote_plain", "TB-1", 500)])
            .await
            .expect("now popular");
        assert_eq!(
            ids(e, query("canvas tote")).await,
            vec!["p_tote_plain", "p_tote_loved"],
            "[{l}]"
        );
        // Popularity breaks ties only: a title match beats a description match.
        let mut described = tote("p_tote_described", "TB-3", 5_000);
        described.title = "Market bag".into();
        described.description = "A tote for the market.".into();
        e.upsert(vec![described]).await.expect("described");
        assert_eq!(
            ids(e, query("tote")).await.last().map(String::as_str),
            Some("p_tote_described"),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn hits_mark_the_matched_words_of_the_title_and_a_snippet_of_the_description() {
    for engine in engines("highlights").await {
        let (l, e) = (engine.label, engine.index());
        e.upsert(vec![lamp()]).await.expect("lamp");

        let jacket = first_hit(e, "jakcet").await;
        assert_eq!(joined(&jacket.title_highlight), jacket.title, "[{l}]");
        assert_eq!(
            marked(&jacket.title_highlight),
            vec!["jacket"],
            "[{l}] a typo still marks the word: {:?}",
            jacket.title_highlight
        );
        assert!(
            marked(&jacket.snippet).contains(&"jacket"),
            "[{l}] {:?}",
            jacket.snippet
        );

        // The last word as a prefix marks (at least) what was typed.
        let typed = first_hit(e, "quil").await;
        let quilted = marked(&typed.title_highlight);
        assert!(
            quilted.len() == 1 && quilted[0].starts_with("quil"),
            "[{l}] {:?}",
            typed.title_highlight
        );

        // A title match alone: no snippet.
        let lamp = first_hit(e, "lamp").await;
        assert_eq!(marked(&lamp.title_highlight), vec!["lamp"], "[{l}]");
        assert!(lamp.snippet.is_empty(), "[{l}] {:?}", lamp.snippet);

        // A description match: a dozen words or so around it, cut with "…".
        let base = first_hit(e, "weighted").await;
        assert_eq!(base.id, "p_lamp", "[{l}]");
        assert!(marked(&base.title_highlight).is_empty(), "[{l}]");
        assert_eq!(joined(&base.title_highlight), base.title, "[{l}]");
        assert_eq!(marked(&base.snippet), vec!["weighted"], "[{l}]");
        let text = joined(&base.snippet);
        let inner = text.trim_matches('…');
        assert!(
            text != inner && lamp_description().contains(inner),
            "[{l}] cut from the description: {text:?}"
        );
        let words = inner.split_whitespace().count();
        assert!((8..=14).contains(&words), "[{l}] {words} words: {text:?}");
        for ellipsis in base.snippet.iter().filter(|s| s.text.contains('…')) {
            assert_eq!(ellipsis.text, "…", "[{l}] the cut is a span of its own");
        }

        // Browsing marks nothing.
        let browse = e.search(&SearchQuery::default()).await.expect("browse");
        assert!(browse
            .hits
            .iter()
            .all(|h| marked(&h.title_highlight).is_empty() && h.snippet.is_empty()));
        assert!(browse
            .hits
            .iter()
            .all(|h| joined(&h.title_highlight) == h.title));
    }
}

fn lamp_description() -> String {
    lamp().description
}

#[tokio::test]
async fn a_change_and_a_removal_are_seen_by_the_next_search() {
    for engine in engines("changes").await {
        let (l, e) = (engine.label, engine.index());
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
        e.upsert(Vec::new()).await.expect("nothing to add");
        e.remove(Vec::new()).await.expect("nothing to remove");
    }
}

#[tokio::test]
async fn a_rebuild_is_swapped_in_whole_and_a_dropped_one_changes_nothing() {
    for engine in engines("rebuild").await {
        let (l, e) = (engine.label, engine.index());
        let mut rebuild = e.rebuild().await.expect("start");
        rebuild.add(vec![lamp()]).await.expect("add");
        rebuild
            .add(vec![catalog().remove(5)])
            .await
            .expect("add more");
        // Until it is finished, searches and changes use the current index.
        assert!(ids(e, query("lamp")).await.is_empty(), "[{l}]");
        assert_eq!(ids(e, query("jacket")).await, vec!["p_jacket"], "[{l}]");
        let mut renamed = catalog().remove(4);
        renamed.title = "Wool beanie".into();
        e.upsert(vec![renamed]).await.expect("a change meanwhile");
        assert_eq!(ids(e, query("beanie")).await, vec!["p_cap"], "[{l}]");

        rebuild.finish().await.expect("finish");
        assert_eq!(ids(e, query("lamp")).await, vec!["p_lamp"], "[{l}]");
        assert!(
            ids(e, query("jacket")).await.is_empty(),
            "[{l}] replaced whole"
        );
        let all = e.search(&SearchQuery::default()).await.expect("all");
        assert_eq!(all.total, 2, "[{l}]");
        assert_eq!(
            pairs(&all.facets.categories),
            vec![("home", 2)],
            "[{l}] facets of the new index"
        );
        // The new index takes changes.
        e.upsert(vec![catalog().remove(0)]).await.expect("after");
        assert_eq!(ids(e, query("jacket")).await, vec!["p_jacket"], "[{l}]");

        let mut dropped = e.rebuild().await.expect("start again");
        dropped.add(vec![catalog().remove(1)]).await.expect("add");
        drop(dropped);
        assert_eq!(ids(e, query("lamp")).await, vec!["p_lamp"], "[{l}]");
        assert!(ids(e, query("parka")).await.is_empty(), "[{l}]");
        assert_eq!(
            e.search(&SearchQuery::default()).await.expect("all").total,
            3,
            "[{l}]"
        );

        // An empty rebuild empties the index.
        e.rebuild()
            .await
            .expect("start")
            .finish()
            .await
            .expect("finish");
        assert_eq!(
            e.search(&SearchQuery::default()).await.expect("all").total,
            0,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn bad_input_names_what_to_fix_and_a_long_query_is_cut_not_refused() {
    for engine in engines("input").await {
        let (l, e) = (engine.label, engine.index());
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
                    offset: 10_001,
                    ..SearchQuery::default()
                },
                "offset",
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
        assert!(
            ids(e, query(r#""jacket" -vintage"#)).await == vec!["p_jacket"],
            "[{l}] no engine syntax: words only"
        );
        // A page running past the first 10 000 matches is cut there, not refused.
        for (offset, limit) in [(9_990, 30), (9_995, 20), (10_000, 20)] {
            let deep = e
                .search(&SearchQuery {
                    offset,
                    limit,
                    ..SearchQuery::default()
                })
                .await
                .expect("the deepest pages");
            assert!(deep.hits.is_empty(), "[{l}]");
            assert_eq!(deep.total, 6, "[{l}]");
        }
    }
}

/// Polls `check` until it holds or `within` has passed; whether it held.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn generations(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    out.sort();
    out
}

/// The server process serves while the `reindex` command, another process, rebuilds
/// the same directory: two engines opened on one directory stand for the two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_disk_another_process_follows_a_rebuild_and_writes_to_the_new_generation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    let server = EmbeddedIndex::open(&path, &CURRENCIES).expect("server");
    let cli = EmbeddedIndex::open(&path, &CURRENCIES).expect("command");
    let (server_ref, cli_ref) = (&server, &cli);
    assert_eq!(generations(&path).len(), 1, "one first generation");
    server.upsert(catalog()).await.expect("fill");
    // The other process's reader follows commits to the generation.
    assert!(
        eventually(Duration::from_secs(3), move || async move {
            ids(cli_ref, query("jacket")).await == vec!["p_jacket"]
        })
        .await
    );
    // Both may write at once: the writer lock takes turns.
    let (a, b) = tokio::join!(
        server.upsert(vec![catalog().remove(0)]),
        cli.upsert(vec![catalog().remove(1)])
    );
    a.expect("server write");
    b.expect("command write");

    let mut rebuild = cli.rebuild().await.expect("start");
    rebuild.add(vec![lamp()]).await.expect("add");
    assert_eq!(ids(&server, query("jacket")).await, vec!["p_jacket"]);
    rebuild.finish().await.expect("finish");
    assert_eq!(ids(&cli, query("lamp")).await, vec!["p_lamp"]);

    // The server notices the swap within its swap delay.
    let started = Instant::now();
    assert!(
        eventually(server.swap_delay(), move || async move {
            ids(server_ref, query("lamp")).await == vec!["p_lamp"]
        })
        .await,
        "the server still reads the old generation after {:?}",
        started.elapsed()
    );
    assert!(ids(&server, query("jacket")).await.is_empty());
    // Its changes now land in the new generation, which the command process reads.
    let mut rug = lamp();
    rug.id = "p_rug".into();
    rug.title = "Wool rug".into();
    server.upsert(vec![rug]).await.expect("server write");
    assert!(
        eventually(Duration::from_secs(3), move || async move {
            ids(cli_ref, query("rug")).await == vec!["p_rug"]
        })
        .await
    );
    // The replaced generation stays (the other process may still read it).
    assert_eq!(generations(&path).len(), 2);

    // A later rebuild deletes the generations before the one it replaces.
    let rebuild = server.rebuild().await.expect("start");
    rebuild.finish().await.expect("finish");
    assert_eq!(generations(&path).len(), 2);
    assert!(ids(&server, query("lamp")).await.is_empty());
    assert!(
        eventually(server.swap_delay(), move || async move {
            ids(cli_ref, SearchQuery::default()).await.is_empty()
        })
        .await
    );

    // A dropped rebuild's directory goes.
    let mut dropped = server.rebuild().await.expect("start");
    dropped.add(vec![lamp()]).await.expect("add");
    assert_eq!(generations(&path).len(), 3);
    drop(dropped);
    let path_ref = &path;
    assert!(
        eventually(Duration::from_secs(5), move || async move {
            generations(path_ref).len() == 2
        })
        .await
    );

    // A process opening the directory later reads the live generation.
    let late = EmbeddedIndex::open(&path, &CURRENCIES).expect("late");
    let late_ref = &late;
    server.upsert(vec![lamp()]).await.expect("write");
    assert!(
        eventually(Duration::from_secs(3), move || async move {
            ids(late_ref, query("lamp")).await == vec!["p_lamp"]
        })
        .await
    );
}

#[tokio::test]
async fn on_disk_an_index_built_for_other_currencies_serves_again_after_a_rebuild() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    let eur = EmbeddedIndex::open(&path, &["EUR"]).expect("open");
    eur.upsert(catalog()).await.expect("fill");
    drop(eur);
    let both = EmbeddedIndex::open(&path, &CURRENCIES).expect("opens, stale");
    match both.search(&SearchQuery::default()).await {
        Err(SearchError::Unavailable(message)) => {
            assert!(message.contains("rebuild"), "{message}")
        }
        other => panic!("expected the stale index to be refused, got {other:?}"),
    }
    let mut rebuild = both.rebuild().await.expect("start");
    rebuild.add(catalog()).await.expect("add");
    rebuild.finish().await.expect("finish");
    let usd = SearchQuery {
        currency: "USD".into(),
        price_max: Some(2_100),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&both, usd).await, vec!["p_mug"]);
}

#[tokio::test]
async fn meilisearch_explains_an_unreachable_server_and_a_refused_key() {
    let unreachable = MeiliIndex::connect("http://127.0.0.1:9", None, "emporium_x", &CURRENCIES)
        .await
        .err()
        .expect("nothing listens on port 9");
    assert!(
        unreachable
            .to_string()
            .contains("Meilisearch at http://127.0.0.1:9 is unreachable"),
        "{unreachable}"
    );
    let Some((url, key)) = meili_settings() else {
        return;
    };
    if key.is_none() {
        eprintln!("MEILI_API_KEY is not set: the refused-key case is not in this run");
        return;
    }
    let refused = MeiliIndex::connect(&url, Some("not-the-key"), "emporium_x", &CURRENCIES)
        .await
        .err()
        .expect("a wrong key is refused");
    assert!(
        matches!(&refused, SearchError::Unavailable(m)
            if m.contains("refused the API key (MEILI_API_KEY)")),
        "{refused}"
    );
}
