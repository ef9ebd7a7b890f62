//! The embedded engine: a tantivy index in a directory (the data dir's `search/`), or in
//! memory for tests. No server: the default of the one-binary shop.
//!
//! Text is matched word by word in the title (boosted), SKUs and description, each word
//! allowing the typos Meilisearch allows by default (none below 5 letters, 1 from 5, 2
//! from 9) and the last word also as a prefix (search as you type). Categories and
//! options are tantivy facets, so a category filter matches its descendants and counts
//! come from one collector. Prices are one fast field per currency the index was opened
//! with (`price_eur`, …): filters are range queries, sorts read the column.

use std::{ops::Bound, path::Path, sync::Arc};

use tantivy::{
    collector::{Count, FacetCollector, TopDocs},
    query::{
        AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
    },
    schema::{
        Facet, FacetOptions, Field, IndexRecordOption, Schema, Value, FAST, INDEXED, STORED,
        STRING, TEXT,
    },
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};
use tokio::sync::Mutex;

use crate::{
    query::{MAX_LIMIT, MAX_QUERY_CHARS},
    FacetCount, Facets, Hit, ProductDocument, Result, SearchError, SearchIndex, SearchQuery,
    SearchResults, Sort,
};

/// Memory the index writer may buffer before it flushes a segment.
const WRITER_HEAP_BYTES: usize = 50_000_000;
/// Title matches count this many times a description match.
const TITLE_BOOST: f32 = 3.0;

struct Fields {
    id: Field,
    handle: Field,
    title: Field,
    description: Field,
    skus: Field,
    category: Field,
    option: Field,
    in_stock: Field,
    created_at: Field,
    /// (ISO code, field) for each currency of the index.
    prices: Vec<(String, Field)>,
}

/// The tantivy engine.
pub struct EmbeddedIndex {
    inner: Arc<Inner>,
}

struct Inner {
    fields: Fields,
    reader: IndexReader,
    /// One writer per index; changes run one at a time.
    writer: Mutex<IndexWriter>,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

fn invalid(field: &str, message: impl Into<String>) -> SearchError {
    SearchError::InvalidQuery {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn schema(currencies: &[&str]) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let handle = b.add_text_field("handle", STRING | STORED);
    let title = b.add_text_field("title", TEXT | STORED);
    let description = b.add_text_field("description", TEXT);
    let skus = b.add_text_field("skus", TEXT);
    let category = b.add_facet_field("category", FacetOptions::default());
    let option = b.add_facet_field("option", FacetOptions::default());
    let in_stock = b.add_u64_field("in_stock", INDEXED | FAST);
    let created_at = b.add_i64_field("created_at", FAST);
    let prices = currencies
        .iter()
        .map(|c| {
            let code = c.to_ascii_uppercase();
            let field = b.add_i64_field(
                &format!("price_{}", code.to_ascii_lowercase()),
                INDEXED | FAST,
            );
            (code, field)
        })
        .collect();
    let fields = Fields {
        id,
        handle,
        title,
        description,
        skus,
        category,
        option,
        in_stock,
        created_at,
        prices,
    };
    (b.build(), fields)
}

/// Facet path segments: lower case, `/` (tantivy's separator) replaced.
fn segment(text: &str) -> String {
    text.trim().to_lowercase().replace('/', "-")
}

impl EmbeddedIndex {
    /// A fresh index in memory, pricing in `currencies` (for tests and previews).
    pub fn in_memory(currencies: &[&str]) -> Result<Self> {
        let (schema, fields) = schema(currencies);
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    /// The index in `dir`, created when the directory is empty. An index made with
    /// other currencies is an error: rebuild it (`emporium search reindex`).
    pub fn open(dir: &Path, currencies: &[&str]) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
        let (schema, fields) = schema(currencies);
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) => {
                return Err(unavailable(format!(
                    "the index in {} was built for other fields: rebuild it",
                    dir.display()
                )))
            }
            Err(_) => Index::create_in_dir(dir, schema).map_err(unavailable)?,
        };
        Self::with_index(index, fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(unavailable)?;
        let writer = index.writer(WRITER_HEAP_BYTES).map_err(unavailable)?;
        Ok(EmbeddedIndex {
            inner: Arc::new(Inner {
                fields,
                reader,
                writer: Mutex::new(writer),
            }),
        })
    }
}

impl Inner {
    fn document(&self, p: &ProductDocument) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &p.id);
        doc.add_text(f.handle, &p.handle);
        doc.add_text(f.title, &p.title);
        doc.add_text(f.description, &p.description);
        for sku in &p.skus {
            doc.add_text(f.skus, sku);
        }
        for path in &p.categories {
            if !path.is_empty() {
                doc.add_facet(
                    f.category,
                    Facet::from_path(path.iter().map(|s| segment(s))),
                );
            }
        }
        for (name, value) in &p.options {
            doc.add_facet(f.option, Facet::from_path([segment(name), segment(value)]));
        }
        doc.add_u64(f.in_stock, u64::from(p.in_stock));
        doc.add_i64(f.created_at, p.created_at);
        for (code, field) in &f.prices {
            if let Some((_, amount)) = p.prices.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)) {
                doc.add_i64(*field, *amount);
            }
        }
        doc
    }

    fn price_field(&self, currency: &str) -> Result<Field> {
        self.fields
            .prices
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(currency))
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let known: Vec<&str> = self.fields.prices.iter().map(|(c, _)| c.as_str()).collect();
                invalid(
                    "currency",
                    format!(
                        "not a currency of this shop; use one of: {}",
                        known.join(", ")
                    ),
                )
            })
    }

    /// The text part: every word must match (in the title, SKUs or description), with
    /// typos by length and the last word also as a prefix.
    fn text_query(&self, q: &str) -> Option<Box<dyn Query>> {
        let text: String = q.chars().take(MAX_QUERY_CHARS).collect();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let last = words.len().checked_sub(1)?;
        let f = &self.fields;
        let clauses = words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let typos = match word.chars().count() {
                    0..=4 => 0,
                    5..=8 => 1,
                    _ => 2,
                };
                let per_field = [(f.title, TITLE_BOOST), (f.skus, 1.0), (f.description, 1.0)]
                    .into_iter()
                    .map(|(field, boost)| {
                        let term = Term::from_field_text(field, word);
                        let query: Box<dyn Query> = if i == last {
                            Box::new(FuzzyTermQuery::new_prefix(term, typos, true))
                        } else {
                            Box::new(FuzzyTermQuery::new(term, typos, true))
                        };
                        (
                            Occur::Should,
                            Box::new(BoostQuery::new(query, boost)) as Box<dyn Query>,
                        )
                    })
                    .collect();
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(per_field)) as Box<dyn Query>,
                )
            })
            .collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn query(&self, q: &SearchQuery) -> Result<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = self.text_query(&q.q) {
            clauses.push((Occur::Must, text));
        }
        if let Some(category) = q.category.as_deref().filter(|c| !c.trim().is_empty()) {
            // A product is indexed under its full path; its ancestors match too.
            let facet = self.category_facet(category);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.category, &facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        for (name, value) in &q.options {
            let facet = Facet::from_path([segment(name), segment(value)]);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.option, &facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if q.price_min.is_some() || q.price_max.is_some() {
            let field = self.price_field(&q.currency)?;
            let bound = |v: Option<i64>| match v {
                Some(v) => Bound::Included(Term::from_field_i64(field, v)),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(q.price_min), bound(q.price_max))),
            ));
        }
        if let Some(in_stock) = q.in_stock {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.in_stock, u64::from(in_stock)),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if clauses.is_empty() {
            return Ok(Box::new(AllQuery));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// The facet of category `handle`: the first indexed path that ends with it, so a
    /// filter names a category by its handle alone.
    fn category_facet(&self, handle: &str) -> Facet {
        let handle = segment(handle);
        let searcher = self.reader.searcher();
        let mut collector = FacetCollector::for_field("category");
        collector.add_facet(Facet::root());
        let mut found = None;
        if let Ok(counts) = searcher.search(&AllQuery, &collector) {
            let mut frontier: Vec<Facet> = counts.get("/").map(|(f, _)| f.clone()).collect();
            // Breadth first over the tree the counts reveal, a level per search.
            while found.is_none() && !frontier.is_empty() {
                if let Some(hit) = frontier
                    .iter()
                    .find(|f| f.to_path().last() == Some(&handle.as_str()))
                {
                    found = Some(hit.clone());
                    break;
                }
                let mut next = FacetCollector::for_field("category");
                for f in &frontier {
                    next.add_facet(f.clone());
                }
                let Ok(counts) = searcher.search(&AllQuery, &next) else {
                    break;
                };
                frontier = frontier
                    .iter()
                    .flat_map(|f| {
                        counts
                            .get(&f.to_path_string())
                            .map(|(c, _)| c.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect();
            }
        }
        found.unwrap_or_else(|| Facet::from_path([handle]))
    }

    fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        if !(1..=MAX_LIMIT).contains(&q.limit) {
            return Err(invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let query = self.query(q)?;
        let searcher = self.reader.searcher();
        let page = TopDocs::with_limit(q.limit).and_offset(q.offset);
        let mut categories = FacetCollector::for_field("category");
        categories.add_facet(Facet::root());
        let mut option_names = FacetCollector::for_field("option");
        option_names.add_facet(Facet::root());
        let sort = match (q.sort, q.q.trim().is_empty()) {
            (Sort::Relevance, true) => Sort::Newest,
            (sort, _) => sort,
        };
        let (addresses, total, category_counts, names): (Vec<DocAddress>, usize, _, _) = match sort
        {
            Sort::Relevance => {
                let (top, total, c, n) = searcher
                    .search(
                        &query,
                        &(page.order_by_score(), Count, categories, option_names),
                    )
                    .map_err(unavailable)?;
                (top.into_iter().map(|(_, a)| a).collect(), total, c, n)
            }
            Sort::Newest => {
                let (top, total, c, n) = searcher
                    .search(
                        &query,
                        &(
                            page.order_by_fast_field::<i64>("created_at", Order::Desc),
                            Count,
                            categories,
                            option_names,
                        ),
                    )
                    .map_err(unavailable)?;
                (top.into_iter().map(|(_, a)| a).collect(), total, c, n)
            }
            Sort::PriceAsc | Sort::PriceDesc => {
                let field = self.price_field(&q.currency)?;
                let name = searcher.schema().get_field_name(field).to_owned();
                let order = if sort == Sort::PriceAsc {
                    Order::Asc
                } else {
                    Order::Desc
                };
                let (top, total, c, n) = searcher
                    .search(
                        &query,
                        &(
                            page.order_by_fast_field::<i64>(name, order),
                            Count,
                            categories,
                            option_names,
                        ),
                    )
                    .map_err(unavailable)?;
                (top.into_iter().map(|(_, a)| a).collect(), total, c, n)
            }
        };
        let f = &self.fields;
        let mut hits = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(unavailable)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            hits.push(Hit {
                id: text(f.id),
                handle: text(f.handle),
                title: text(f.title),
            });
        }
        let mut facets = Facets {
            categories: category_counts
                .get("/")
                .map(|(facet, count)| FacetCount {
                    value: facet
                        .to_path()
                        .last()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    count,
                })
                .collect(),
            ..Facets::default()
        };
        let names: Vec<Facet> = names.get("/").map(|(facet, _)| facet.clone()).collect();
        if !names.is_empty() {
            let mut values = FacetCollector::for_field("option");
            for name in &names {
                values.add_facet(name.clone());
            }
            let counts = searcher.search(&query, &values).map_err(unavailable)?;
            for name in &names {
                let key = name
                    .to_path()
                    .last()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let list = counts
                    .get(&name.to_path_string())
                    .map(|(facet, count)| FacetCount {
                        value: facet
                            .to_path()
                            .last()
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                        count,
                    })
                    .collect();
                facets.options.insert(key, list);
            }
        }
        Ok(SearchResults {
            hits,
            total,
            facets,
        })
    }
}

#[async_trait::async_trait]
impl SearchIndex for EmbeddedIndex {
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<()> {
        let inner = Arc::clone(&self.inner);
        let mut writer = inner.writer.lock().await;
        for p in &documents {
            writer.delete_term(Term::from_field_text(inner.fields.id, &p.id));
            writer
                .add_document(inner.document(p))
                .map_err(unavailable)?;
        }
        writer.commit().map_err(unavailable)?;
        drop(writer);
        inner.reader.reload().map_err(unavailable)
    }

    async fn remove(&self, ids: Vec<String>) -> Result<()> {
        let inner = Arc::clone(&self.inner);
        let mut writer = inner.writer.lock().await;
        for id in &ids {
            writer.delete_term(Term::from_field_text(inner.fields.id, id));
        }
        writer.commit().map_err(unavailable)?;
        drop(writer);
        inner.reader.reload().map_err(unavailable)
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let inner = Arc::clone(&self.inner);
        let query = query.clone();
        tokio::task::spawn_blocking(move || inner.search(&query))
            .await
            .map_err(unavailable)?
    }
}
