//! The embedded engine: a tantivy index in a directory (the data dir's `search/`), or in
//! memory for tests. No server: the default of the one-binary shop.
//!
//! Text is matched word by word in the title (boosted), SKUs and description, each word
//! allowing the typos Meilisearch allows by default (none below 5 letters, 1 from 5, 2
//! from 9) and the last word also as a prefix (search as you type). Equal matches rank
//! the more popular product first. Categories and options are tantivy facets, so a
//! category filter matches its descendants and counts come from one collector; options
//! are indexed twice, lower case to filter and as written to show. Prices are one fast
//! field per currency the index was opened with (`price_eur`, …): filters are range
//! queries, sorts read the column.
//!
//! On disk the directory holds generations, each a whole tantivy index
//! (`gen-<unix ms>/`), and `CURRENT`, naming the live one. A rebuild fills a new
//! generation and swaps `CURRENT` (a rename: atomic), so `emporium search reindex` can
//! rebuild while the server process serves from the same directory: every process
//! re-reads `CURRENT` at most once a second, before a search or a change, and follows
//! the swap. Because the other process may change the live generation too, no process
//! keeps a tantivy writer open (tantivy allows one per index): each change opens one,
//! waiting while another process holds it, commits and closes it.

use std::{
    io::{ErrorKind, Write},
    ops::Bound,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use tantivy::{
    collector::{
        sort_key::{SortBySimilarityScore, SortByStaticFastValue},
        Count, FacetCollector, FacetCounts, TopDocs,
    },
    directory::error::LockError,
    query::{
        AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
    },
    schema::{
        Facet, FacetOptions, Field, IndexRecordOption, Schema, Value, FAST, INDEXED, STORED,
        STRING, TEXT,
    },
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use crate::{
    document::{currency_codes, facet_segment},
    highlight::{highlight, snippet, typo_budget, Matcher},
    query::{check, Checked},
    FacetCount, Facets, Hit, ProductDocument, Rebuild, Result, SearchError, SearchIndex,
    SearchQuery, SearchResults, Sort,
};

/// Title matches count this many times a description match.
const TITLE_BOOST: f32 = 3.0;
/// How often a process looks at `CURRENT` for a generation swapped in by another.
const CURRENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// [`SearchIndex::swap_delay`] on disk: the check interval and a margin.
const DISK_SWAP_DELAY: Duration = Duration::from_secs(2);
/// How long a change waits for the writer lock another process holds.
const WRITER_LOCK_WAIT: Duration = Duration::from_secs(30);
const WRITER_LOCK_RETRY: Duration = Duration::from_millis(20);
/// tantivy's smallest writer heap (`MEMORY_BUDGET_NUM_BYTES_MIN`, not exported): a
/// change is a handful of products, and one writer thread is plenty.
const CHANGE_WRITER_HEAP_BYTES: usize = 15_000_000;
/// A rebuild writes the whole catalog: a larger buffer, fewer segments to merge.
const REBUILD_WRITER_HEAP_BYTES: usize = 50_000_000;
/// The file naming the live generation.
const CURRENT_FILE: &str = "CURRENT";
const GENERATION_PREFIX: &str = "gen-";
/// Why a stale index fails, and what to do.
const REBUILD_HINT: &str = "rebuild it (`emporium search reindex`)";

struct Fields {
    id: Field,
    handle: Field,
    title: Field,
    description: Field,
    skus: Field,
    category: Field,
    /// `/size/m`: lower case, for filters.
    option: Field,
    /// `/Size/M`: as written, for facet counts.
    option_label: Field,
    in_stock: Field,
    created_at: Field,
    popularity: Field,
    /// (ISO code, field) for each currency of the index.
    prices: Vec<(String, Field)>,
}

const CATEGORY_FIELD: &str = "category";
const OPTION_LABEL_FIELD: &str = "option_label";
const POPULARITY_FIELD: &str = "popularity";

/// The tantivy engine.
pub struct EmbeddedIndex {
    shared: Arc<Shared>,
}

struct Shared {
    schema: Schema,
    fields: Fields,
    currencies: Vec<String>,
    storage: Storage,
}

enum Storage {
    /// The index, replaced whole by a rebuild.
    Memory(RwLock<Arc<MemoryGeneration>>),
    Disk(Disk),
}

struct MemoryGeneration {
    reader: IndexReader,
    /// One writer for the life of the index; changes run one at a time.
    writer: Mutex<IndexWriter>,
}

struct Disk {
    dir: PathBuf,
    live: RwLock<Live>,
    /// One change at a time from this process (the writer lock orders processes).
    changing: Mutex<()>,
}

/// The generation this process reads, as of its last look at `CURRENT`.
struct Live {
    name: String,
    /// The opened generation, or why it cannot be used (built for another schema,
    /// missing): searches and changes fail with that until a rebuild.
    generation: std::result::Result<Arc<Generation>, String>,
    checked: Instant,
}

struct Generation {
    index: Index,
    reader: IndexReader,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

/// The locks guard plain values replaced whole, never left half-changed: a panic
/// elsewhere does not make them unusable.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs blocking index work (commits, opening files, searching) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| unavailable(format!("search task failed: {e}")))?
}

fn schema(currencies: &[String]) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let handle = b.add_text_field("handle", STRING | STORED);
    let title = b.add_text_field("title", TEXT | STORED);
    // Stored for the snippet.
    let description = b.add_text_field("description", TEXT | STORED);
    let skus = b.add_text_field("skus", TEXT);
    let category = b.add_facet_field(CATEGORY_FIELD, FacetOptions::default());
    let option = b.add_facet_field("option", FacetOptions::default());
    let option_label = b.add_facet_field(OPTION_LABEL_FIELD, FacetOptions::default());
    let in_stock = b.add_u64_field("in_stock", INDEXED | FAST);
    let created_at = b.add_i64_field("created_at", FAST);
    let popularity = b.add_i64_field(POPULARITY_FIELD, FAST);
    let prices = currencies
        .iter()
        .map(|code| {
            let field = b.add_i64_field(
                &format!("price_{}", code.to_ascii_lowercase()),
                INDEXED | FAST,
            );
            (code.clone(), field)
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
        option_label,
        in_stock,
        created_at,
        popularity,
        prices,
    };
    (b.build(), fields)
}

impl EmbeddedIndex {
    /// A fresh index in memory, pricing in `currencies` (for tests and previews).
    pub fn in_memory(currencies: &[&str]) -> Result<Self> {
        let currencies = currency_codes(currencies);
        let (schema, fields) = schema(&currencies);
        let generation = memory_generation(&schema)?;
        Ok(EmbeddedIndex {
            shared: Arc::new(Shared {
                schema,
                fields,
                currencies,
                storage: Storage::Memory(RwLock::new(Arc::new(generation))),
            }),
        })
    }

    /// The index in `dir`, pricing in `currencies`; an empty first generation when the
    /// directory has none. A live generation built for other fields (another version,
    /// other currencies) opens, but searches and changes fail until a rebuild replaces
    /// it. Blocks while it opens files: call it at startup or from blocking code.
    pub fn open(dir: &Path, currencies: &[&str]) -> Result<Self> {
        let currencies = currency_codes(currencies);
        let (schema, fields) = schema(&currencies);
        std::fs::create_dir_all(dir).map_err(|e| {
            unavailable(format!(
                "cannot create the search index directory {}: {e}",
                dir.display()
            ))
        })?;
        let name = match read_current(dir) {
            Ok(name) => name,
            Err(e) if e.kind() == ErrorKind::NotFound => first_generation(dir, &schema)?,
            Err(e) => return Err(current_error(dir, &e)),
        };
        let generation = open_generation(dir, &name, &schema);
        Ok(EmbeddedIndex {
            shared: Arc::new(Shared {
                schema,
                fields,
                currencies,
                storage: Storage::Disk(Disk {
                    dir: dir.to_owned(),
                    live: RwLock::new(Live {
                        name,
                        generation,
                        checked: Instant::now(),
                    }),
                    changing: Mutex::new(()),
                }),
            }),
        })
    }
}

fn memory_generation(schema: &Schema) -> Result<MemoryGeneration> {
    let index = Index::create_in_ram(schema.clone());
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(unavailable)?;
    let writer = index
        .writer_with_num_threads(1, CHANGE_WRITER_HEAP_BYTES)
        .map_err(unavailable)?;
    Ok(MemoryGeneration {
        reader,
        writer: Mutex::new(writer),
    })
}

fn current_error(dir: &Path, e: &std::io::Error) -> SearchError {
    unavailable(format!(
        "cannot read {}: {e}",
        dir.join(CURRENT_FILE).display()
    ))
}

/// The generation `dir/CURRENT` names. Anything but a generation name is refused, so a
/// damaged file never points outside the directory.
fn read_current(dir: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(dir.join(CURRENT_FILE))?;
    let name = text.trim();
    if generation_number(name).is_none() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!("`{name}` is not a generation name"),
        ));
    }
    Ok(name.to_owned())
}

/// `gen-<n>` → n.
fn generation_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(GENERATION_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Every generation directory in `dir`, by name and number.
fn generations(dir: &Path) -> std::io::Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(n) = generation_number(&name) {
            out.push((name, n));
        }
    }
    Ok(out)
}

/// Creates a new, empty generation directory, numbered after every existing one (the
/// clock in ms, or one more than the newest when the clock is behind).
fn new_generation_dir(dir: &Path) -> std::io::Result<(String, PathBuf)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let newest = generations(dir)?.into_iter().map(|(_, n)| n).max();
    let mut n = newest.map_or(now, |newest| now.max(newest.saturating_add(1)));
    loop {
        let name = format!("{GENERATION_PREFIX}{n}");
        let path = dir.join(&name);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok((name, path)),
            // Another process took this number a moment ago.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => n = n.saturating_add(1),
            Err(e) => return Err(e),
        }
    }
}

/// A temporary file in `dir` holding `name`, flushed to disk.
fn write_name_file(dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!("{CURRENT_FILE}.{}.{nanos}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(format!("{name}\n").as_bytes())?;
    file.sync_all()?;
    Ok(tmp)
}

/// Makes the directory entry changes in `dir` durable (the rename of `CURRENT`).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Points `CURRENT` at `name`: a rename, so readers see the old name or the new one.
fn write_current(dir: &Path, name: &str) -> std::io::Result<()> {
    let tmp = write_name_file(dir, name)?;
    if let Err(e) = std::fs::rename(&tmp, dir.join(CURRENT_FILE)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Creates an empty generation and `CURRENT` for a new directory. Two processes may
/// start on the same empty directory at once: `CURRENT` is linked into place only when
/// absent, so both end up on the one generation that won.
fn first_generation(dir: &Path, schema: &Schema) -> Result<String> {
    let fail = |e: &dyn std::fmt::Display| {
        unavailable(format!(
            "cannot create a search index in {}: {e}",
            dir.display()
        ))
    };
    let (name, path) = new_generation_dir(dir).map_err(|e| fail(&e))?;
    let created = Index::create_in_dir(&path, schema.clone())
        .map_err(|e| fail(&e))
        .and_then(|index| {
            drop(index);
            write_name_file(dir, &name).map_err(|e| fail(&e))
        });
    let tmp = match created {
        Ok(tmp) => tmp,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&path);
            return Err(e);
        }
    };
    let linked = std::fs::hard_link(&tmp, dir.join(CURRENT_FILE));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(dir).map_err(|e| fail(&e))?;
            Ok(name)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_dir_all(&path);
            read_current(dir).map_err(|e| current_error(dir, &e))
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&path);
            Err(fail(&e))
        }
    }
}

/// Opens generation `name` of `dir` for reading; why not, when it cannot serve.
fn open_generation(
    dir: &Path,
    name: &str,
    schema: &Schema,
) -> std::result::Result<Arc<Generation>, String> {
    let path = dir.join(name);
    let index = Index::open_in_dir(&path).map_err(|e| {
        format!(
            "the search index {} cannot be opened ({e}): {REBUILD_HINT}",
            path.display()
        )
    })?;
    if index.schema() != *schema {
        return Err(format!(
            "the search index in {} was built for other fields (another version or other \
             currencies): {REBUILD_HINT}",
            dir.display()
        ));
    }
    // Another process (the reindex command) may commit to this generation: the reader
    // follows its commits by watching meta.json.
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .try_into()
        .map_err(|e| format!("the search index {} cannot be read: {e}", path.display()))?;
    Ok(Arc::new(Generation { index, reader }))
}

/// A writer for a generation another process may be writing too: tantivy's lock file
/// lets one writer in at a time, so wait for it (a change of the other process commits
/// within moments).
fn change_writer(index: &Index) -> Result<IndexWriter> {
    let deadline = Instant::now() + WRITER_LOCK_WAIT;
    loop {
        match index.writer_with_num_threads(1, CHANGE_WRITER_HEAP_BYTES) {
            Ok(writer) => return Ok(writer),
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) if Instant::now() < deadline => {
                std::thread::sleep(WRITER_LOCK_RETRY);
            }
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => {
                return Err(unavailable(format!(
                    "another process has held the search index's writer lock for over {} s",
                    WRITER_LOCK_WAIT.as_secs()
                )))
            }
            Err(e) => return Err(unavailable(e)),
        }
    }
}

/// Deletes the generations of `dir` numbered below `previous` (the one just replaced,
/// kept: another process may read it until it notices the swap). Best effort: what
/// cannot be deleted now is deleted after a later rebuild.
fn delete_old_generations(dir: &Path, previous: &str, live: &str) {
    let Some(previous) = generation_number(previous) else {
        return;
    };
    let Ok(all) = generations(dir) else {
        return;
    };
    for (name, n) in all {
        // `live` is older than `previous` when another process swapped in a newer
        // rebuild while this one ran (the last swap wins): it stays.
        if n < previous && name != live {
            let _ = std::fs::remove_dir_all(dir.join(name));
        }
    }
}

impl Live {
    fn usable(&self) -> Result<Arc<Generation>> {
        self.generation.clone().map_err(SearchError::Unavailable)
    }
}

/// A category path as indexed: `/apparel/jackets`.
fn category_facet(path: &[String]) -> Option<Facet> {
    let segments: Vec<String> = path
        .iter()
        .map(|s| facet_segment(s))
        .filter(|s| !s.is_empty())
        .collect();
    (!segments.is_empty()).then(|| Facet::from_path(segments))
}

/// The last segment of a facet: a handle, an option name or value.
fn last_segment(facet: &Facet) -> String {
    facet
        .to_path()
        .last()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

impl Shared {
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
            if let Some(facet) = category_facet(path) {
                doc.add_facet(f.category, facet);
            }
        }
        for (name, value) in &p.options {
            let (name_key, value_key) = (facet_segment(name), facet_segment(value));
            if name_key.is_empty() || value_key.is_empty() {
                continue;
            }
            doc.add_facet(f.option, Facet::from_path([name_key, value_key]));
            // A facet segment may hold any character but the NUL separator.
            let label = |s: &str| s.trim().replace('\0', "");
            doc.add_facet(
                f.option_label,
                Facet::from_path([label(name), label(value)]),
            );
        }
        doc.add_u64(f.in_stock, u64::from(p.in_stock));
        doc.add_i64(f.created_at, p.created_at);
        doc.add_i64(f.popularity, p.popularity);
        for (code, field) in &f.prices {
            if let Some((_, amount)) = p.prices.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)) {
                doc.add_i64(*field, *amount);
            }
        }
        doc
    }

    fn price_field(&self, code: &str) -> Result<Field> {
        self.fields
            .prices
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, f)| *f)
            .ok_or_else(|| unavailable(format!("no price field for {code}")))
    }

    /// The text part: every word must match (in the title, SKUs or description), with
    /// typos by length and the last word also as a prefix. Fuzzy matches score a
    /// constant per field, so equal matches tie and popularity orders them.
    fn text_query(&self, words: &[String]) -> Option<Box<dyn Query>> {
        let last = words.len().checked_sub(1)?;
        let f = &self.fields;
        let clauses = words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let typos = typo_budget(word.chars().count());
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

    fn query(
        &self,
        q: &SearchQuery,
        checked: &Checked,
        category: Option<&Facet>,
    ) -> Result<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = self.text_query(&checked.words) {
            clauses.push((Occur::Must, text));
        }
        if let Some(facet) = category {
            // A product is indexed under its full path; its ancestors match too.
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.category, facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        for (name, value) in &checked.options {
            let facet = Facet::from_path([name.clone(), value.clone()]);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.option, &facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if q.price_min.is_some() || q.price_max.is_some() {
            let code = checked.currency.as_deref().unwrap_or_default();
            let field = self.price_field(code)?;
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

    /// The facet of category `handle`: the indexed path that ends with it (handles are
    /// unique), so a filter names a category by its handle alone. `None`: no such
    /// category. Read from the category field's term dictionary (a few terms per
    /// category), not by counting facets over every document.
    fn category_facet(searcher: &Searcher, handle: &str) -> Option<Facet> {
        let field = searcher.schema().get_field(CATEGORY_FIELD).ok()?;
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field).ok()?;
            let mut terms = inverted.terms().stream().ok()?;
            while terms.advance() {
                let Ok(facet) = Facet::from_encoded(terms.key().to_vec()) else {
                    continue;
                };
                if facet.to_path().last() == Some(&handle) {
                    return Some(facet);
                }
            }
        }
        None
    }

    /// The searcher of the live index (on disk: after a look at `CURRENT`).
    fn searcher(&self) -> Result<Searcher> {
        match &self.storage {
            Storage::Memory(current) => Ok(read(current).reader.searcher()),
            Storage::Disk(disk) => Ok(self.refresh(disk)?.reader.searcher()),
        }
    }

    /// The live generation, switching to the one `CURRENT` names when it changed (looked
    /// at no more than once per [`CURRENT_CHECK_INTERVAL`]).
    fn refresh(&self, disk: &Disk) -> Result<Arc<Generation>> {
        {
            let live = read(&disk.live);
            if live.checked.elapsed() < CURRENT_CHECK_INTERVAL {
                return live.usable();
            }
        }
        let mut live = write(&disk.live);
        if live.checked.elapsed() >= CURRENT_CHECK_INTERVAL {
            let name = read_current(&disk.dir).map_err(|e| current_error(&disk.dir, &e))?;
            if name != live.name {
                live.generation = open_generation(&disk.dir, &name, &self.schema);
                live.name = name;
            }
            live.checked = Instant::now();
        }
        live.usable()
    }

    /// Applies `change` to the live index and commits it; the next search sees it.
    fn change(
        &self,
        change: impl FnOnce(&Shared, &IndexWriter) -> tantivy::Result<()>,
    ) -> Result<()> {
        match &self.storage {
            Storage::Memory(current) => {
                let generation = Arc::clone(&read(current));
                let mut writer = lock(&generation.writer);
                let done = change(self, &writer).and_then(|()| writer.commit().map(drop));
                if let Err(e) = done {
                    // Drop what was staged, so the next commit is not half of this one.
                    let _ = writer.rollback();
                    return Err(unavailable(e));
                }
                drop(writer);
                generation.reader.reload().map_err(unavailable)
            }
            Storage::Disk(disk) => {
                let _one_at_a_time = lock(&disk.changing);
                let generation = self.refresh(disk)?;
                // Dropped without a commit on error: nothing staged survives.
                let mut writer = change_writer(&generation.index)?;
                change(self, &writer).map_err(unavailable)?;
                writer.commit().map_err(unavailable)?;
                // The writer closes after each change, so wait for the merges its
                // commit started, or segments would pile up.
                writer.wait_merging_threads().map_err(unavailable)?;
                generation.reader.reload().map_err(unavailable)
            }
        }
    }

    fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let checked = check(q, &self.currencies)?;
        let searcher = self.searcher()?;
        let category = match &checked.category {
            Some(handle) => match Self::category_facet(&searcher, handle) {
                Some(facet) => Some(facet),
                // No such category: nothing matches.
                None => return Ok(SearchResults::default()),
            },
            None => None,
        };
        let query = self.query(q, &checked, category.as_ref())?;
        // tantivy wants a limit of 1 at least; a page past MAX_HITS is cut below.
        let page = TopDocs::with_limit(checked.limit.max(1)).and_offset(q.offset);
        // The next level down: the filtered category's children, or the roots.
        let mut categories = FacetCollector::for_field(CATEGORY_FIELD);
        categories.add_facet(category.clone().unwrap_or_else(Facet::root));
        let mut option_names = FacetCollector::for_field(OPTION_LABEL_FIELD);
        option_names.add_facet(Facet::root());
        let facets = (Count, categories, option_names);
        let (addresses, (total, category_counts, names)): (Vec<DocAddress>, _) = match checked.sort
        {
            Sort::Relevance => {
                let by = page.order_by((
                    (SortBySimilarityScore, Order::Desc),
                    (
                        SortByStaticFastValue::<i64>::for_field(POPULARITY_FIELD),
                        Order::Desc,
                    ),
                ));
                let (top, counts) = searcher
                    .search(&query, &(by, facets))
                    .map_err(unavailable)?;
                (top.into_iter().map(|(_, a)| a).collect(), counts)
            }
            Sort::Newest => {
                let by = page.order_by_fast_field::<i64>("created_at", Order::Desc);
                let (top, counts) = searcher
                    .search(&query, &(by, facets))
                    .map_err(unavailable)?;
                (top.into_iter().map(|(_, a)| a).collect(), counts)
            }
            Sort::PriceAsc | Sort::PriceDesc => {
                let code = checked.currency.as_deref().unwrap_or_default();
                let field = self.price_field(code)?;
                let name = searcher.schema().get_field_name(field).to_owned();
                let order = if checked.sort == Sort::PriceAsc {
                    Order::Asc
                } else {
                    Order::Desc
                };
                let by = page.order_by_fast_field::<i64>(name, order);
                let (top, counts) = searcher
                    .search(&query, &(by, facets))
                    .map_err(unavailable)?;
                (top.into_iter().map(|(_, a)| a).collect(), counts)
            }
        };
        let shown = addresses.len().min(checked.limit);
        let hits = self.hits(&searcher, &addresses[..shown], &checked.words)?;
        let parent = category.unwrap_or_else(Facet::root);
        let mut facets = Facets {
            categories: category_counts
                .get(parent)
                .map(|(facet, count)| FacetCount {
                    value: last_segment(facet),
                    count,
                })
                .collect(),
            ..Facets::default()
        };
        facets.categories.sort_by(|a, b| a.value.cmp(&b.value));
        facets.options = Self::option_counts(&searcher, &query, &names)?;
        Ok(SearchResults {
            hits,
            total,
            facets,
        })
    }

    fn hits(
        &self,
        searcher: &Searcher,
        addresses: &[DocAddress],
        words: &[String],
    ) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let matcher = Matcher::new(words);
        let mut hits = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(*address).map_err(unavailable)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let title = text(f.title);
            hits.push(Hit {
                id: text(f.id),
                handle: text(f.handle),
                title_highlight: highlight(&title, &matcher),
                snippet: snippet(&text(f.description), &matcher),
                title,
            });
        }
        Ok(hits)
    }

    /// Counts per option value as written, keyed by the lower-case name. Names written
    /// in several cases share a key; so do values, counted together.
    fn option_counts(
        searcher: &Searcher,
        query: &dyn Query,
        names: &FacetCounts,
    ) -> Result<std::collections::BTreeMap<String, Vec<FacetCount>>> {
        let mut out = std::collections::BTreeMap::<String, Vec<FacetCount>>::new();
        let names: Vec<Facet> = names
            .get(Facet::root())
            .map(|(facet, _)| facet.clone())
            .collect();
        if names.is_empty() {
            return Ok(out);
        }
        let mut values = FacetCollector::for_field(OPTION_LABEL_FIELD);
        for name in &names {
            values.add_facet(name.clone());
        }
        let counts = searcher.search(query, &values).map_err(unavailable)?;
        for name in &names {
            let list = out.entry(facet_segment(&last_segment(name))).or_default();
            for (facet, count) in counts.get(name.clone()) {
                let value = last_segment(facet);
                match list
                    .iter_mut()
                    .find(|c| c.value.to_lowercase() == value.to_lowercase())
                {
                    Some(existing) => existing.count += count,
                    None => list.push(FacetCount { value, count }),
                }
            }
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| a.value.cmp(&b.value));
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl SearchIndex for EmbeddedIndex {
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<()> {
        if documents.is_empty() {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        blocking(move || {
            shared.change(|shared, writer| {
                for p in &documents {
                    writer.delete_term(Term::from_field_text(shared.fields.id, &p.id));
                    writer.add_document(shared.document(p))?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn remove(&self, ids: Vec<String>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        blocking(move || {
            shared.change(|shared, writer| {
                for id in &ids {
                    writer.delete_term(Term::from_field_text(shared.fields.id, id));
                }
                Ok(())
            })
        })
        .await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let shared = Arc::clone(&self.shared);
        let query = query.clone();
        blocking(move || shared.search(&query)).await
    }

    async fn rebuild(&self) -> Result<Box<dyn Rebuild>> {
        let shared = Arc::clone(&self.shared);
        blocking(move || {
            let rebuild = match &shared.storage {
                Storage::Memory(_) => {
                    let index = Index::create_in_ram(shared.schema.clone());
                    let writer = index
                        .writer_with_num_threads(1, REBUILD_WRITER_HEAP_BYTES)
                        .map_err(unavailable)?;
                    EmbeddedRebuild {
                        shared: Arc::clone(&shared),
                        index,
                        writer: Some(writer),
                        generation: None,
                        done: false,
                    }
                }
                Storage::Disk(disk) => {
                    let fail = |e: &dyn std::fmt::Display| {
                        unavailable(format!(
                            "cannot start a search index rebuild in {}: {e}",
                            disk.dir.display()
                        ))
                    };
                    let (name, path) = new_generation_dir(&disk.dir).map_err(|e| fail(&e))?;
                    let opened =
                        Index::create_in_dir(&path, shared.schema.clone()).and_then(|index| {
                            let writer =
                                index.writer_with_num_threads(1, REBUILD_WRITER_HEAP_BYTES)?;
                            Ok((index, writer))
                        });
                    let (index, writer) = match opened {
                        Ok(opened) => opened,
                        Err(e) => {
                            let _ = std::fs::remove_dir_all(&path);
                            return Err(fail(&e));
                        }
                    };
                    EmbeddedRebuild {
                        shared: Arc::clone(&shared),
                        index,
                        writer: Some(writer),
                        generation: Some((name, path)),
                        done: false,
                    }
                }
            };
            Ok(Box::new(rebuild) as Box<dyn Rebuild>)
        })
        .await
    }

    fn swap_delay(&self) -> Duration {
        match self.shared.storage {
            Storage::Memory(_) => Duration::ZERO,
            Storage::Disk(_) => DISK_SWAP_DELAY,
        }
    }
}

/// A replacement index being filled: in memory, or a new generation directory.
struct EmbeddedRebuild {
    shared: Arc<Shared>,
    index: Index,
    /// Taken while a blocking task uses it; gone after a failed step.
    writer: Option<IndexWriter>,
    /// On disk: the generation's name and directory.
    generation: Option<(String, PathBuf)>,
    /// Swapped in: nothing to clean up.
    done: bool,
}

impl EmbeddedRebuild {
    fn take_writer(&mut self) -> Result<IndexWriter> {
        self.writer
            .take()
            .ok_or_else(|| unavailable("this rebuild failed earlier; start another"))
    }
}

#[async_trait::async_trait]
impl Rebuild for EmbeddedRebuild {
    async fn add(&mut self, documents: Vec<ProductDocument>) -> Result<()> {
        let writer = self.take_writer()?;
        let shared = Arc::clone(&self.shared);
        let (writer, added) = tokio::task::spawn_blocking(move || {
            let added = documents.iter().try_for_each(|p| {
                // The same product twice (overlapping pages) stays one document.
                writer.delete_term(Term::from_field_text(shared.fields.id, &p.id));
                writer.add_document(shared.document(p)).map(drop)
            });
            (writer, added)
        })
        .await
        .map_err(|e| unavailable(format!("search task failed: {e}")))?;
        added.map_err(unavailable)?;
        self.writer = Some(writer);
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        let mut writer = self.take_writer()?;
        let shared = Arc::clone(&self.shared);
        let index = self.index.clone();
        let generation = self.generation.clone();
        let (swapped, result) = tokio::task::spawn_blocking(move || {
            if let Err(e) = writer.commit() {
                return (false, Err(unavailable(e)));
            }
            match (&shared.storage, generation) {
                (Storage::Memory(current), _) => {
                    let reader = index
                        .reader_builder()
                        .reload_policy(ReloadPolicy::Manual)
                        .try_into();
                    match reader {
                        Ok(reader) => {
                            *write(current) = Arc::new(MemoryGeneration {
                                reader,
                                writer: Mutex::new(writer),
                            });
                            (true, Ok(()))
                        }
                        Err(e) => (false, Err(unavailable(e))),
                    }
                }
                (Storage::Disk(disk), Some((name, _))) => {
                    if let Err(e) = writer.wait_merging_threads() {
                        return (false, Err(unavailable(e)));
                    }
                    let previous = read_current(&disk.dir).ok();
                    if let Err(e) = write_current(&disk.dir, &name) {
                        return (
                            false,
                            Err(unavailable(format!(
                                "cannot swap in the rebuilt search index: {e}"
                            ))),
                        );
                    }
                    if let Some(previous) = &previous {
                        delete_old_generations(&disk.dir, previous, &name);
                    }
                    let generation = open_generation(&disk.dir, &name, &shared.schema);
                    let opened = generation.as_ref().map(drop).map_err(unavailable);
                    *write(&disk.live) = Live {
                        name,
                        generation,
                        checked: Instant::now(),
                    };
                    (true, opened)
                }
                (Storage::Disk(_), None) => {
                    (false, Err(unavailable("rebuild without a directory")))
                }
            }
        })
        .await
        .map_err(|e| unavailable(format!("search task failed: {e}")))?;
        self.done = swapped;
        result
    }
}

impl Drop for EmbeddedRebuild {
    /// An unfinished rebuild on disk leaves nothing behind: its writer stops (which
    /// waits for its threads) and its directory goes, off the async workers when
    /// there are some.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let writer = self.writer.take();
        let Some((_, path)) = self.generation.take() else {
            return;
        };
        let cleanup = move || {
            drop(writer);
            let _ = std::fs::remove_dir_all(&path);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(cleanup);
            }
            Err(_) => cleanup(),
        }
    }
}
