//! The Meilisearch engine: the same [`SearchIndex`] over a Meilisearch server, for
//! catalogs and traffic beyond what one process should carry.
//!
//! The index's settings make Meilisearch answer as the embedded engine does: words are
//! looked up in the title, SKUs and description (in that order of weight), every word
//! must match (`matchingStrategy: all`), typos are allowed from 5 and 9 letters and the
//! last word is a prefix; a chosen sort comes before relevance (the `sort` rule first),
//! and equal matches rank the more popular product first (`popularity:desc` last).
//!
//! Each product becomes one document (the primary key is its id: Meilisearch accepts
//! letters, digits, `-` and `_`, which `prod_…` ids are):
//!
//! - `categories`: every handle on every path of the product, so a filter on a category
//!   matches its descendants; `category_edges`: `parent/child` for each step of a path
//!   and `/root` for its root, so the counts of a category's children are the edges
//!   that start with `category/`;
//! - `options`: `name=value` lower case, to filter; `option_labels`: `Name=Value` as
//!   written, to count;
//! - `in_stock`, `created_at`, `popularity`, and `price_eur`, … for each currency.
//!
//! Every change waits for its Meilisearch task, so the next search sees it. A rebuild
//! fills a temporary index with the same settings and swaps it with the live one.

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use meilisearch_sdk::{
    client::{Client, SwapIndexes},
    errors::{Error as MeiliError, ErrorCode, ErrorType, MeilisearchError},
    search::{MatchingStrategies, Selectors},
    settings::{
        FacetingSettings, MinWordSizeForTypos, PaginationSetting, Settings, TypoToleranceSettings,
    },
    task_info::TaskInfo,
    tasks::Task,
};
use serde::{Deserialize, Serialize};

use crate::{
    document::{currency_codes, facet_segment},
    highlight::{push_span, ELLIPSIS, SNIPPET_WORDS},
    query::{check, MAX_HITS},
    FacetCount, Facets, Hit, ProductDocument, Rebuild, Result, SearchError, SearchIndex,
    SearchQuery, SearchResults, Sort, Span,
};

const PRIMARY_KEY: &str = "id";
/// Most time one HTTP request may take (the SDK's client sets no limit).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most time to wait for a task (an index change, settings, a swap).
const TASK_TIMEOUT: Duration = Duration::from_secs(300);
const TASK_POLL_INTERVAL: Duration = Duration::from_millis(25);
/// Documents per request.
const BATCH: usize = 1_000;
/// Meilisearch caps index uids at 400 bytes; a rebuild's temporary index adds a suffix.
const MAX_UID_BYTES: usize = 360;
/// Highlight tags: private-use code points, which product text does not contain.
const PRE_TAG: &str = "\u{E000}";
const POST_TAG: &str = "\u{E001}";

/// The ranking: a requested sort first (it orders every match, as in the embedded
/// engine), then Meilisearch's relevance rules, then popularity to break ties.
const RANKING_RULES: [&str; 7] = [
    "sort",
    "words",
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "popularity:desc",
];
const SEARCHABLE: [&str; 3] = ["title", "skus", "description"];
const CATEGORIES: &str = "categories";
const CATEGORY_EDGES: &str = "category_edges";
const OPTIONS: &str = "options";
const OPTION_LABELS: &str = "option_labels";
/// Separates an option's name and value in `options` and `option_labels`.
const OPTION_SEPARATOR: char = '=';
/// Separates a parent and child handle in `category_edges`.
const EDGE_SEPARATOR: char = '/';

/// The Meilisearch engine: one index of a server.
#[derive(Clone)]
pub struct MeiliIndex {
    client: Client,
    url: String,
    uid: String,
    currencies: Vec<String>,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

/// Unix time in ms, to name a rebuild's index.
fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// One product as a Meilisearch document (see the module docs).
#[derive(Serialize)]
struct MeiliDocument<'a> {
    id: &'a str,
    handle: &'a str,
    title: &'a str,
    description: &'a str,
    skus: &'a [String],
    categories: Vec<String>,
    category_edges: Vec<String>,
    options: Vec<String>,
    option_labels: Vec<String>,
    in_stock: bool,
    created_at: i64,
    popularity: i64,
    #[serde(flatten)]
    prices: BTreeMap<String, i64>,
}

/// What a hit brings back besides `_formatted`.
#[derive(Deserialize)]
struct StoredHit {
    id: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    title: String,
}

fn price_field(code: &str) -> String {
    format!("price_{}", code.to_ascii_lowercase())
}

/// `name=value` as filters compare it. `=` in a name would make the pair ambiguous.
fn option_filter_value(name: &str, value: &str) -> String {
    format!(
        "{}{OPTION_SEPARATOR}{}",
        facet_segment(name).replace(OPTION_SEPARATOR, "-"),
        facet_segment(value)
    )
}

fn document<'a>(p: &'a ProductDocument, currencies: &[String]) -> MeiliDocument<'a> {
    let mut categories = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for path in &p.categories {
        let handles: Vec<String> = path
            .iter()
            .map(|h| facet_segment(h))
            .filter(|h| !h.is_empty())
            .collect();
        let mut parent = "";
        for handle in &handles {
            edges.insert(format!("{parent}{EDGE_SEPARATOR}{handle}"));
            categories.insert(handle.clone());
            parent = handle;
        }
    }
    let mut options = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for (name, value) in &p.options {
        if facet_segment(name).is_empty() || facet_segment(value).is_empty() {
            continue;
        }
        options.insert(option_filter_value(name, value));
        labels.insert(format!(
            "{}{OPTION_SEPARATOR}{}",
            name.trim().replace(OPTION_SEPARATOR, "-"),
            value.trim()
        ));
    }
    let prices = currencies
        .iter()
        .filter_map(|code| {
            p.prices
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(code))
                .map(|(_, amount)| (price_field(code), *amount))
        })
        .collect();
    MeiliDocument {
        id: &p.id,
        handle: &p.handle,
        title: &p.title,
        description: &p.description,
        skus: &p.skus,
        categories: categories.into_iter().collect(),
        category_edges: edges.into_iter().collect(),
        options: options.into_iter().collect(),
        option_labels: labels.into_iter().collect(),
        in_stock: p.in_stock,
        created_at: p.created_at,
        popularity: p.popularity,
        prices,
    }
}

/// A filter value in double quotes; Meilisearch unescapes `\"` and `\\`.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text Meilisearch formatted with [`PRE_TAG`]/[`POST_TAG`], as spans.
fn parse_highlight(formatted: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut rest = formatted;
    while let Some(start) = rest.find(PRE_TAG) {
        push_span(&mut spans, &rest[..start], false);
        let marked = &rest[start + PRE_TAG.len()..];
        let end = marked.find(POST_TAG).unwrap_or(marked.len());
        push_span(&mut spans, &marked[..end], true);
        rest = marked.get(end + POST_TAG.len()..).unwrap_or_default();
    }
    push_span(&mut spans, rest, false);
    spans
}

/// A cropped description as a snippet: the crop markers as their own spans (as the
/// embedded engine cuts), empty when no word matched.
fn parse_snippet(formatted: &str) -> Vec<Span> {
    let spans = parse_highlight(formatted);
    if !spans.iter().any(|s| s.matched) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(spans.len() + 2);
    let last = spans.len() - 1;
    for (i, span) in spans.into_iter().enumerate() {
        let mut text = span.text.as_str();
        let lead = !span.matched && i == 0 && text.starts_with(ELLIPSIS);
        if lead {
            out.push(Span {
                text: ELLIPSIS.to_owned(),
                matched: false,
            });
            text = &text[ELLIPSIS.len()..];
        }
        let trail = !span.matched && i == last && text.ends_with(ELLIPSIS);
        if trail {
            text = &text[..text.len() - ELLIPSIS.len()];
        }
        if !text.is_empty() {
            out.push(Span {
                text: text.to_owned(),
                matched: span.matched,
            });
        }
        if trail {
            out.push(Span {
                text: ELLIPSIS.to_owned(),
                matched: false,
            });
        }
    }
    out
}

/// Counts per value of a facet distribution, by value.
fn counts(distribution: impl IntoIterator<Item = (String, usize)>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = distribution
        .into_iter()
        .map(|(value, count)| FacetCount {
            value,
            count: u64::try_from(count).unwrap_or(u64::MAX),
        })
        .collect();
    out.sort_by(|a, b| a.value.cmp(&b.value));
    out
}

/// Whether `uid` is a Meilisearch index uid: letters, digits, `-` and `_`.
fn valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= MAX_UID_BYTES
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl MeiliIndex {
    /// Connects to the Meilisearch server at `url` (`http://host:7700`) and makes
    /// index `index_uid` ready: created when missing, its settings applied (pricing in
    /// `currencies`). Fails with [`SearchError::Unavailable`] naming the cause when the
    /// server cannot be reached or refuses `api_key`.
    pub async fn connect(
        url: &str,
        api_key: Option<&str>,
        index_uid: &str,
        currencies: &[&str],
    ) -> Result<Self> {
        let url = url.trim().trim_end_matches('/').to_owned();
        if !valid_uid(index_uid) {
            return Err(unavailable(format!(
                "`{index_uid}` cannot name a Meilisearch index: use up to {MAX_UID_BYTES} \
                 letters, digits, `-` and `_`"
            )));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(unavailable(format!(
                "Meilisearch at {url} is unreachable: give an http:// or https:// address"
            )));
        }
        let api_key = api_key.map(str::trim).filter(|k| !k.is_empty());
        // The SDK panics on a key an HTTP header cannot carry.
        if api_key.is_some_and(|k| !k.bytes().all(|b| b.is_ascii_graphic())) {
            return Err(unavailable(format!(
                "Meilisearch at {url} refused the API key (MEILI_API_KEY): it holds characters \
                 an API key cannot have"
            )));
        }
        let client = Client::new(url.clone(), api_key)
            .map_err(|e| unavailable(format!("Meilisearch at {url} is unreachable: {e}")))?;
        let engine = MeiliIndex {
            client,
            url,
            uid: index_uid.to_owned(),
            currencies: currency_codes(currencies),
        };
        // The health route needs no key: this tells an absent server from a bad key.
        match tokio::time::timeout(REQUEST_TIMEOUT, engine.client.health()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(engine.unreachable(&e)),
            Err(_) => {
                return Err(engine
                    .unreachable(&format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())))
            }
        }
        engine.ensure_index(&engine.uid).await?;
        Ok(engine)
    }

    /// Index `uid` with this engine's settings, created when missing.
    async fn ensure_index(&self, uid: &str) -> Result<()> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.client.get_index(uid)).await {
            Ok(Ok(_)) => {}
            Ok(Err(MeiliError::Meilisearch(e))) if e.error_code == ErrorCode::IndexNotFound => {
                let task = self
                    .call(self.client.create_index(uid, Some(PRIMARY_KEY)))
                    .await?;
                match self.wait(task).await? {
                    Ok(()) => {}
                    // Created meanwhile by another process: as good.
                    Err(e) if e.error_code == ErrorCode::IndexAlreadyExists => {}
                    Err(e) => {
                        return Err(unavailable(format!(
                            "Meilisearch at {} could not create index {uid}: {e}",
                            self.url
                        )))
                    }
                }
            }
            Ok(Err(e)) => return Err(self.error(e)),
            Err(_) => return Err(self.timed_out()),
        }
        let task = self
            .call(self.client.index(uid).set_settings(&self.settings()))
            .await?;
        self.wait_ok(task, &format!("apply the settings of index {uid}"))
            .await
    }

    fn settings(&self) -> Settings {
        let prices: Vec<String> = self.currencies.iter().map(|c| price_field(c)).collect();
        let mut filterable: Vec<String> = [
            CATEGORIES,
            CATEGORY_EDGES,
            OPTIONS,
            OPTION_LABELS,
            "in_stock",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        filterable.extend(prices.iter().cloned());
        let mut sortable = prices;
        sortable.push("created_at".to_owned());
        Settings::new()
            .with_searchable_attributes(SEARCHABLE)
            .with_filterable_attributes(filterable)
            .with_sortable_attributes(sortable)
            .with_ranking_rules(RANKING_RULES)
            .with_typo_tolerance(TypoToleranceSettings {
                enabled: Some(true),
                disable_on_attributes: Some(Vec::new()),
                disable_on_words: Some(Vec::new()),
                min_word_size_for_typos: Some(MinWordSizeForTypos {
                    one_typo: Some(5),
                    two_typos: Some(9),
                }),
                disable_on_numbers: None,
            })
            .with_faceting(FacetingSettings {
                max_values_per_facet: 100,
                sort_facet_values_by: None,
            })
            .with_pagination(PaginationSetting {
                max_total_hits: MAX_HITS,
            })
    }

    fn unreachable(&self, e: &dyn std::fmt::Display) -> SearchError {
        unavailable(format!("Meilisearch at {} is unreachable: {e}", self.url))
    }

    fn error(&self, e: MeiliError) -> SearchError {
        match &e {
            MeiliError::Meilisearch(m) if m.error_type == ErrorType::Auth => unavailable(format!(
                "Meilisearch at {} refused the API key (MEILI_API_KEY): {}",
                self.url, m.error_message
            )),
            MeiliError::HttpError(_) => self.unreachable(&e),
            _ => unavailable(format!("Meilisearch at {}: {e}", self.url)),
        }
    }

    /// One request, within [`REQUEST_TIMEOUT`].
    async fn call<T>(&self, request: impl Future<Output = Result<T, MeiliError>>) -> Result<T> {
        match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(e)),
            Err(_) => Err(self.timed_out()),
        }
    }

    fn timed_out(&self) -> SearchError {
        unavailable(format!(
            "Meilisearch at {} did not answer within {} s",
            self.url,
            REQUEST_TIMEOUT.as_secs()
        ))
    }

    /// Waits for a task: `Err` when Meilisearch could not be asked, `Ok(Err)` when the
    /// task failed.
    async fn wait(&self, task: TaskInfo) -> Result<Result<(), MeilisearchError>> {
        // The SDK's deadline is checked between polls; a poll that hangs is cut here.
        let done = tokio::time::timeout(
            TASK_TIMEOUT + REQUEST_TIMEOUT,
            self.client
                .wait_for_task(task, Some(TASK_POLL_INTERVAL), Some(TASK_TIMEOUT)),
        )
        .await
        .unwrap_or(Err(MeiliError::Timeout));
        match done {
            Ok(Task::Succeeded { .. }) => Ok(Ok(())),
            Ok(Task::Failed { content }) => Ok(Err(content.error)),
            Ok(_) => Err(unavailable(format!(
                "Meilisearch at {} reported an unfinished task as finished",
                self.url
            ))),
            Err(MeiliError::Timeout) => Err(unavailable(format!(
                "Meilisearch at {} did not finish a task within {} s (it may be busy)",
                self.url,
                TASK_TIMEOUT.as_secs()
            ))),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Waits for a task that must succeed; `what` says what it does.
    async fn wait_ok(&self, task: TaskInfo, what: &str) -> Result<()> {
        self.wait(task)
            .await?
            .map_err(|e| unavailable(format!("Meilisearch at {} could not {what}: {e}", self.url)))
    }

    /// Adds or replaces documents in index `uid`, waiting until they are searchable.
    async fn add(&self, uid: &str, documents: &[ProductDocument]) -> Result<()> {
        let index = self.client.index(uid);
        let mut tasks = Vec::new();
        // Enqueued all at once; Meilisearch batches them.
        for chunk in documents.chunks(BATCH) {
            let docs: Vec<MeiliDocument<'_>> = chunk
                .iter()
                .map(|p| document(p, &self.currencies))
                .collect();
            tasks.push(
                self.call(index.add_or_replace(&docs, Some(PRIMARY_KEY)))
                    .await?,
            );
        }
        for task in tasks {
            self.wait_ok(task, "index products").await?;
        }
        Ok(())
    }

    /// Deletes the whole index from the server (tests; retiring a shop), waiting.
    pub async fn delete_index(&self) -> Result<()> {
        let task = self.call(self.client.delete_index(&self.uid)).await?;
        match self.wait(task).await? {
            Ok(()) => Ok(()),
            Err(e) if e.error_code == ErrorCode::IndexNotFound => Ok(()),
            Err(e) => Err(unavailable(format!(
                "Meilisearch at {} could not delete index {}: {e}",
                self.url, self.uid
            ))),
        }
    }

    /// The uid of the index this engine serves.
    pub fn index_uid(&self) -> &str {
        &self.uid
    }
}

#[async_trait::async_trait]
impl SearchIndex for MeiliIndex {
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<()> {
        self.add(&self.uid, &documents).await
    }

    async fn remove(&self, ids: Vec<String>) -> Result<()> {
        let index = self.client.index(&self.uid);
        let mut tasks = Vec::new();
        for chunk in ids.chunks(BATCH) {
            tasks.push(self.call(index.delete_documents(chunk)).await?);
        }
        for task in tasks {
            self.wait_ok(task, "remove products").await?;
        }
        Ok(())
    }

    async fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let checked = check(q, &self.currencies)?;
        // The words as the embedded engine sees them: Meilisearch's own syntax
        // (`"phrases"`, `-negation`) is not offered by the other engine.
        let text = checked.words.join(" ");
        let price = checked.currency.as_deref().map(price_field);
        let mut filters = Vec::new();
        if let Some(category) = &checked.category {
            filters.push(format!("{CATEGORIES} = {}", quoted(category)));
        }
        for (name, value) in &checked.options {
            filters.push(format!(
                "{OPTIONS} = {}",
                quoted(&option_filter_value(name, value))
            ));
        }
        if let Some(field) = &price {
            if let Some(min) = q.price_min {
                filters.push(format!("{field} >= {min}"));
            }
            if let Some(max) = q.price_max {
                filters.push(format!("{field} <= {max}"));
            }
        }
        if let Some(in_stock) = q.in_stock {
            filters.push(format!("in_stock = {in_stock}"));
        }
        let filter = filters.join(" AND ");
        let sort: Vec<String> = match (checked.sort, &price) {
            (Sort::Relevance, _) => Vec::new(),
            (Sort::Newest, _) => vec!["created_at:desc".to_owned()],
            (Sort::PriceAsc, Some(field)) => vec![format!("{field}:asc")],
            (Sort::PriceDesc, Some(field)) => vec![format!("{field}:desc")],
            (Sort::PriceAsc | Sort::PriceDesc, None) => Vec::new(),
        };
        let sort: Vec<&str> = sort.iter().map(String::as_str).collect();
        let facets = [CATEGORY_EDGES, OPTION_LABELS];
        let retrieve = ["id", "handle", "title"];
        let highlight = ["title", "description"];
        let crop = [("description", None)];
        let index = self.client.index(&self.uid);
        let mut request = index.search();
        request
            .with_query(&text)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_facets(Selectors::Some(&facets))
            .with_attributes_to_retrieve(Selectors::Some(&retrieve))
            .with_attributes_to_highlight(Selectors::Some(&highlight))
            .with_attributes_to_crop(Selectors::Some(&crop))
            .with_crop_length(SNIPPET_WORDS)
            .with_crop_marker(ELLIPSIS)
            .with_highlight_pre_tag(PRE_TAG)
            .with_highlight_post_tag(POST_TAG);
        if !filter.is_empty() {
            request.with_filter(&filter);
        }
        if !sort.is_empty() {
            request.with_sort(&sort);
        }
        // Pages give an exact total; an offset between pages only an estimate.
        let paged = q.offset.is_multiple_of(q.limit);
        if paged {
            request
                .with_page(q.offset / q.limit + 1)
                .with_hits_per_page(q.limit);
        } else {
            request.with_offset(q.offset).with_limit(q.limit);
        }
        let found = self.call(request.execute::<StoredHit>()).await?;
        let total = if paged {
            found.total_hits
        } else {
            found.estimated_total_hits
        }
        .unwrap_or(found.hits.len());
        let hits = found
            .hits
            .into_iter()
            .take(checked.limit)
            .map(|hit| {
                let formatted = hit.formatted_result.unwrap_or_default();
                let field = |name: &str| formatted.get(name).and_then(|v| v.as_str());
                let title_highlight = match field("title") {
                    Some(title) => parse_highlight(title),
                    None => parse_highlight(&hit.result.title),
                };
                Hit {
                    snippet: field("description").map(parse_snippet).unwrap_or_default(),
                    title_highlight,
                    id: hit.result.id,
                    handle: hit.result.handle,
                    title: hit.result.title,
                }
            })
            .collect();
        let mut distribution = found.facet_distribution.unwrap_or_default();
        let prefix = match &checked.category {
            Some(category) => format!("{category}{EDGE_SEPARATOR}"),
            None => EDGE_SEPARATOR.to_string(),
        };
        let categories = counts(
            distribution
                .remove(CATEGORY_EDGES)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(edge, count)| {
                    edge.strip_prefix(&prefix)
                        .filter(|child| !child.is_empty())
                        .map(|child| (child.to_owned(), count))
                }),
        );
        let mut options: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
        for (label, count) in distribution.remove(OPTION_LABELS).unwrap_or_default() {
            let Some((name, value)) = label.split_once(OPTION_SEPARATOR) else {
                continue;
            };
            let list = options.entry(facet_segment(name)).or_default();
            match list
                .iter_mut()
                .find(|(v, _)| v.to_lowercase() == value.to_lowercase())
            {
                Some(existing) => existing.1 += count,
                None => list.push((value.to_owned(), count)),
            }
        }
        Ok(SearchResults {
            hits,
            total,
            facets: Facets {
                categories,
                options: options
                    .into_iter()
                    .map(|(name, values)| (name, counts(values)))
                    .collect(),
            },
        })
    }

    async fn rebuild(&self) -> Result<Box<dyn Rebuild>> {
        let temporary = format!("{}_rebuild_{}", self.uid, now_ms());
        let rebuild = MeiliRebuild {
            engine: self.clone(),
            temporary,
            done: false,
        };
        // Dropped on error: the half-made index is deleted.
        self.ensure_index(&rebuild.temporary).await?;
        Ok(Box::new(rebuild))
    }

    fn swap_delay(&self) -> Duration {
        // The swap is one Meilisearch task: every process sees it at once.
        Duration::ZERO
    }
}

/// A temporary index being filled, swapped with the live one at the end.
struct MeiliRebuild {
    engine: MeiliIndex,
    temporary: String,
    done: bool,
}

#[async_trait::async_trait]
impl Rebuild for MeiliRebuild {
    async fn add(&mut self, documents: Vec<ProductDocument>) -> Result<()> {
        self.engine.add(&self.temporary, &documents).await
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        let engine = &self.engine;
        let swap = SwapIndexes {
            indexes: (engine.uid.clone(), self.temporary.clone()),
            rename: None,
        };
        let task = engine.call(engine.client.swap_indexes([&swap])).await?;
        engine
            .wait_ok(
                task,
                &format!("swap in the rebuilt index {}", self.temporary),
            )
            .await?;
        self.done = true;
        // The temporary uid now holds the old documents. Not waited for: the swap is
        // what the caller waits on, and a failed deletion leaves only an unused index.
        let _ = engine
            .call(engine.client.delete_index(&self.temporary))
            .await;
        Ok(())
    }
}

impl Drop for MeiliRebuild {
    /// An unfinished rebuild's index is deleted, best effort (in the background).
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let client = self.engine.client.clone();
        let uid = std::mem::take(&mut self.temporary);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(REQUEST_TIMEOUT, client.delete_index(uid)).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn highlights_are_parsed_from_the_tags() {
        let spans = parse_highlight("Vintage quilted cotton \u{E000}jacket\u{E001}");
        assert_eq!(text(&spans), "Vintage quilted cotton jacket");
        assert_eq!(spans.iter().filter(|s| s.matched).count(), 1, "{spans:?}");
        assert!(parse_snippet("…no match here…").is_empty());
        let spans = parse_snippet("…made \u{E000}to\u{E001} last…");
        let texts: Vec<&str> = spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, vec!["…", "made ", "to", " last", "…"]);
    }

    #[test]
    fn documents_carry_every_category_edge_and_both_option_forms() {
        let p = ProductDocument {
            id: "p".into(),
            categories: vec![vec!["Apparel".into(), "jackets".into()]],
            options: vec![("Size".into(), "One size".into())],
            prices: vec![("eur".into(), 100)],
            ..ProductDocument::default()
        };
        let d = document(&p, &["EUR".to_owned(), "USD".to_owned()]);
        assert_eq!(d.categories, vec!["apparel", "jackets"]);
        assert_eq!(d.category_edges, vec!["/apparel", "apparel/jackets"]);
        assert_eq!(d.options, vec!["size=one size"]);
        assert_eq!(d.option_labels, vec!["Size=One size"]);
        assert_eq!(d.prices.get("price_eur"), Some(&100));
        assert_eq!(d.prices.get("price_usd"), None);
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
