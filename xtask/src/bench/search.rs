//! The search scenarios, on a server of their own over `--search-products` demo products
//! (100,000 by default):
//!
//! - **Index build**: `emporium seed --demo --products N` into a fresh data dir (timed, for
//!   the record), then `emporium search reindex`, timed: its wall time, its peak RSS
//!   (`/usr/bin/time -v` when installed, else `VmHWM` polled from `/proc`) and the size of
//!   `<data dir>/search` afterwards.
//! - **Search and suggest latency**: `emporium serve` over that data dir (the index is
//!   complete, so the server builds nothing at start). The queries are made of what the
//!   API shows ([`discover`]): title words of `GET /store/products`, a category of
//!   `GET /store/categories`, an option value and categories from the search facets.
//!   Every URL must answer 200 before wrk runs; [`ROTATE_SCRIPT`] then sends the URLs in
//!   turn, one per request. One connection, then one per core: the figures are latency,
//!   not queueing.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::lua::lua_string;
use super::{
    fmt_kib, fmt_ms, free_port, http_get, measured_row, proc_field, run_line, run_wrk_with,
    server_command, spawn_server, url_encode, wait_ready, with_server, Load, Options, Row, Server,
};
use crate::build::Built;
use crate::util::{display, kill_tree, note, run_limited, step};

/// The smallest `--search-products`.
pub const MIN_PRODUCTS: usize = 1_000;
/// p99 targets (issue 23): a search, a suggestion list.
pub const SEARCH_TARGET_MS: f64 = 20.0;
pub const SUGGEST_TARGET_MS: f64 = 10.0;
const SEED_TIMEOUT: Duration = Duration::from_secs(60 * 60);
const REINDEX_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// Title words the query mixes are made of.
const WORDS: usize = 6;
/// The shortest title word taken: from five letters the engine forgives a typo.
const MIN_WORD_LEN: usize = 6;
/// GNU time, for a child's exact peak RSS (`ru_maxrss`).
const GNU_TIME: &str = "/usr/bin/time";
const POLL: Duration = Duration::from_millis(20);

/// What the search group measured.
#[derive(Debug, Clone)]
pub struct SearchReport {
    pub products: usize,
    pub seed_secs: f64,
    /// `emporium search reindex`, wall time.
    pub build_secs: f64,
    pub build_peak_kib: Option<u64>,
    /// How the peak was read.
    pub peak_source: &'static str,
    /// `<data dir>/search` after the build.
    pub index_bytes: u64,
    /// Products a browse without words finds.
    pub searchable: Option<u64>,
    pub duration: u32,
    pub rows: Vec<SearchRow>,
    /// Things a reader of the table must know (queries without hits, logged errors).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SearchRow {
    pub row: Row,
    pub load: Load,
    pub target_ms: f64,
}

/// Seeds, builds the index, serves it and measures.
pub fn run(built: &Built, dir: &Path, opts: &Options) -> Result<SearchReport> {
    let products = opts.search_products;
    let addr = format!("127.0.0.1:{}", free_port()?);

    step(format!("bench: search: seeding {products} demo products"));
    let mut seed = server_command(built, dir, &addr)?;
    seed.args(["seed", "--demo", "--products", &products.to_string()]);
    let started = Instant::now();
    run_limited(&mut seed, SEED_TIMEOUT).context("seeding the search catalog")?;
    let seed_secs = started.elapsed().as_secs_f64();
    note(format!("seeded in {seed_secs:.1}s"));

    step("bench: search: building the index (emporium search reindex)");
    let mut reindex = server_command(built, dir, &addr)?;
    reindex.args(["search", "reindex"]);
    let build = run_measuring_peak(&reindex, &dir.join("reindex-time.txt"), REINDEX_TIMEOUT)
        .context("building the search index")?;
    let index_dir = dir.join("data").join("search");
    let index_bytes =
        dir_size(&index_dir).with_context(|| format!("measuring {}", index_dir.display()))?;
    note(format!(
        "built in {:.1}s, peak RSS {} ({}); index {}",
        build.secs,
        fmt_kib(build.peak_kib),
        build.source,
        fmt_bytes(index_bytes)
    ));

    let mut report = SearchReport {
        products,
        seed_secs,
        build_secs: build.secs,
        build_peak_kib: build.peak_kib,
        peak_source: build.source,
        index_bytes,
        searchable: None,
        duration: opts.duration,
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let mut serve = server_command(built, dir, &addr)?;
    serve.env("EMPORIUM_SEED_DEMO", "false");
    step(format!("bench: search: starting the server on {addr}"));
    let server = spawn_server(built, dir, "server-search.log", serve)?;
    with_server(server, |server| {
        latency_scenarios(server, &addr, dir, opts, &mut report)
    })?;
    Ok(report)
}

fn latency_scenarios(
    server: &mut Server,
    addr: &str,
    dir: &Path,
    opts: &Options,
    report: &mut SearchReport,
) -> Result<()> {
    wait_ready(server, addr)?;
    report.searchable = get_json(addr, "/store/search?q=&limit=1")?
        .get("total")
        .as_i64()
        .map(|n| n.max(0) as u64);
    match report.searchable {
        Some(n) if n as usize == report.products => note(format!("{n} products searchable")),
        found => {
            let found = found.map_or("an unknown number of".into(), |n| n.to_string());
            note(format!(
                "warning: {found} products searchable of {} seeded",
                report.products
            ));
            report.notes.push(format!(
                "A browse found {found} products of the {} seeded.",
                report.products
            ));
        }
    }

    let material = discover(addr)?;
    note(format!(
        "words {:?}, phrase {:?}, category `{}`, leaf category `{}`, option {:?}, prices {:?}",
        material.words,
        material.phrase,
        material.category,
        material.leaf,
        material.option,
        material.price
    ));
    let search = search_mix(&material);
    let suggest = suggest_mix(&material);
    step(format!(
        "bench: search: checking {} search and {} suggest URLs",
        search.len(),
        suggest.len()
    ));
    check_queries(addr, &search, report)?;
    check_queries(addr, &suggest, report)?;

    let script = dir.join("search.lua");
    std::fs::write(&script, ROTATE_SCRIPT)
        .with_context(|| format!("writing {}", script.display()))?;
    let mut files = Vec::new();
    for (name, queries) in [("search_mix.lua", &search), ("suggest_mix.lua", &suggest)] {
        let data = dir.join(name);
        let paths: Vec<String> = queries.iter().map(|q| q.path.clone()).collect();
        std::fs::write(&data, paths_file(&paths))
            .with_context(|| format!("writing {}", data.display()))?;
        files.push(data);
    }
    let load = |n: u32| Load {
        threads: n,
        connections: n,
        duration: opts.duration,
    };
    let scenarios = [
        (
            format!("Search mix ({} queries)", search.len()),
            "GET /store/search",
            load(1),
            &files[0],
            SEARCH_TARGET_MS,
        ),
        (
            format!("Search mix ({} queries)", search.len()),
            "GET /store/search",
            load(2),
            &files[0],
            SEARCH_TARGET_MS,
        ),
        (
            format!("Suggest ({} queries)", suggest.len()),
            "GET /store/search/suggest",
            load(2),
            &files[1],
            SUGGEST_TARGET_MS,
        ),
    ];
    for (name, path, load, data, target_ms) in scenarios {
        step(format!(
            "bench: {name} ({path}), wrk -t{} -c{}",
            load.threads, load.connections
        ));
        let stats = run_wrk_with(
            load,
            &format!("http://{addr}/"),
            Some((&script, data)),
            None,
        )?;
        let row = measured_row(server, &name, path, stats)?;
        if row.stats.p99_ms >= target_ms {
            note(format!(
                "p99 {} misses the target ({})",
                fmt_ms(row.stats.p99_ms),
                fmt_ms(target_ms)
            ));
        }
        report.rows.push(SearchRow {
            row,
            load,
            target_ms,
        });
    }
    let (count, first) = server.logged_errors();
    if count > 0 {
        let first = first.unwrap_or_default();
        note(format!(
            "warning: the server logged {count} errors; the first: {first}"
        ));
        report.notes.push(format!(
            "The search server logged {count} ERROR lines; the first: `{first}`"
        ));
    }
    Ok(())
}

/// A GET that must answer 200 with JSON.
fn get_json(addr: &str, path: &str) -> Result<Json> {
    let (status, body) = http_get(addr, path)?;
    if status != 200 {
        bail!("GET {path} returned {status}: {body}");
    }
    Json::parse(&body).with_context(|| format!("parsing the answer to GET {path}"))
}

/// Every query must answer 200; those that find nothing are reported (a misspelt word
/// that finds nothing means the typo was not forgiven).
fn check_queries(addr: &str, queries: &[Query], report: &mut SearchReport) -> Result<()> {
    for query in queries {
        let page = get_json(addr, &query.path).context("checking the query mix")?;
        let found = match query.kind {
            Kind::Suggest | Kind::SuggestMisspelt => page.get("products").as_array().len() as i64,
            _ => page.get("total").as_i64().unwrap_or(0),
        };
        if found > 0 {
            continue;
        }
        let why = match query.kind {
            Kind::Misspelt | Kind::SuggestMisspelt => "finds nothing: the typo is not forgiven",
            _ => "finds nothing",
        };
        note(format!("warning: {} {why}", query.path));
        report.notes.push(format!("`{}` {why}.", query.path));
    }
    Ok(())
}

/// What the query mixes are made of, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// Lower-case title words of at least [`MIN_WORD_LEN`] letters.
    pub words: Vec<String>,
    /// Two words of one title.
    pub phrase: Option<String>,
    /// The top-level category with the most of the first word's hits.
    pub category: String,
    /// A category without children, to browse.
    pub leaf: String,
    /// An option name and its most common value among the first word's hits.
    pub option: Option<(String, String)>,
    /// A price band in EUR minor units: the middle half of the listed products' prices.
    pub price: Option<(i64, i64)>,
}

/// The query material from a running server.
pub fn discover(addr: &str) -> Result<Material> {
    let products = get_json(addr, "/store/products?limit=100")?;
    let items = products.get("items").as_array();
    let titles: Vec<&str> = items
        .iter()
        .filter_map(|i| i.get("title").as_str())
        .collect();
    let words = title_words(&titles, MIN_WORD_LEN, WORDS);
    if words.is_empty() {
        bail!(
            "none of the {} product titles has a word of {MIN_WORD_LEN} letters or more",
            titles.len()
        );
    }
    let eur: Vec<i64> = items
        .iter()
        .flat_map(|i| i.get("prices").as_array())
        .filter(|p| p.get("currency").as_str() == Some("EUR"))
        .filter_map(|p| p.get("min_amount").as_i64())
        .collect();

    let tree = get_json(addr, "/store/categories")?;
    let roots = tree.get("items").as_array();
    let leaf = first_leaf(roots).context("GET /store/categories lists no category")?;

    let first_word = get_json(addr, &search_path(&[("q", &words[0])]))?;
    let category = top_category(&first_word)
        .or_else(|| roots.first().and_then(|r| r.get("handle").as_str()))
        .unwrap_or(leaf.as_str())
        .to_string();
    Ok(Material {
        phrase: title_phrase(&titles),
        words,
        category,
        leaf,
        option: common_option(&first_word),
        price: price_band(&eur),
    })
}

/// Up to `max` distinct lower-case words of at least `min_len` ASCII letters: the first
/// new one of each title, then any.
pub fn title_words(titles: &[&str], min_len: usize, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for first_only in [true, false] {
        for title in titles {
            for word in title
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= min_len)
                .map(str::to_ascii_lowercase)
            {
                if out.len() >= max {
                    return out;
                }
                if !out.contains(&word) {
                    out.push(word);
                    if first_only {
                        break;
                    }
                }
            }
        }
    }
    out
}

/// The last two words (of four letters or more) of the first title that has two.
pub fn title_phrase(titles: &[&str]) -> Option<String> {
    titles.iter().find_map(|title| {
        let words: Vec<String> = title
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() >= 4)
            .map(str::to_ascii_lowercase)
            .collect();
        (words.len() >= 2).then(|| words[words.len() - 2..].join(" "))
    })
}

/// `word` with two neighbouring letters swapped (one typo, as the engine counts it),
/// nearest the middle and never the first letter; `None` when no swap changes it.
pub fn misspell(word: &str) -> Option<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return None;
    }
    let middle = chars.len() / 2 - 1;
    let mut candidates: Vec<usize> = (1..chars.len() - 1).collect();
    candidates.sort_by_key(|&i| i.abs_diff(middle));
    let at = candidates.into_iter().find(|&i| chars[i] != chars[i + 1])?;
    let mut swapped = chars;
    swapped.swap(at, at + 1);
    Some(swapped.into_iter().collect())
}

/// The first `n` characters.
fn prefix(word: &str, n: usize) -> String {
    word.chars().take(n).collect()
}

/// The middle half of some prices (minor units): (the lower quartile, the upper).
pub fn price_band(amounts: &[i64]) -> Option<(i64, i64)> {
    if amounts.len() < 4 {
        return None;
    }
    let mut sorted = amounts.to_vec();
    sorted.sort_unstable();
    Some((sorted[sorted.len() / 4], sorted[sorted.len() * 3 / 4]))
}

/// The handle of the first category without children (depth first).
pub fn first_leaf(nodes: &[Json]) -> Option<String> {
    nodes.iter().find_map(|node| {
        let children = node.get("children").as_array();
        if children.is_empty() {
            node.get("handle").as_str().map(str::to_string)
        } else {
            first_leaf(children)
        }
    })
}

/// The category facet value with the most hits of a search page.
pub fn top_category(page: &Json) -> Option<&str> {
    page.get("facets")
        .get("categories")
        .as_array()
        .iter()
        .filter(|f| f.get("count").as_i64().unwrap_or(0) > 0)
        .max_by_key(|f| f.get("count").as_i64().unwrap_or(0))
        .and_then(|f| f.get("value").as_str())
}

/// An option of a search page's facets (`size` if there is one, else the first) and its
/// most common value.
pub fn common_option(page: &Json) -> Option<(String, String)> {
    let options = page.get("facets").get("options").as_array();
    let option = options
        .iter()
        .find(|o| o.get("name").as_str() == Some("size"))
        .or_else(|| options.first())?;
    let name = option.get("name").as_str()?;
    let mut best: Option<(&str, i64)> = None;
    for value in option.get("values").as_array() {
        let (Some(text), count) = (
            value.get("value").as_str(),
            value.get("count").as_i64().unwrap_or(0),
        ) else {
            continue;
        };
        if best.is_none_or(|(_, n)| count > n) {
            best = Some((text, count));
        }
    }
    best.map(|(value, _)| (name.to_string(), value.to_string()))
}

/// What a query is, for the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exact,
    Misspelt,
    Prefix,
    Faceted,
    Browse,
    Suggest,
    SuggestMisspelt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub kind: Kind,
    pub path: String,
}

/// `/store/search?k=v&…`, keys and values percent-encoded.
pub fn search_path(pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    format!("/store/search?{}", query.join("&"))
}

pub fn suggest_path(q: &str) -> String {
    format!("/store/search/suggest?q={}", url_encode(q))
}

/// The search mix: each word as typed, misspelt and as a 3- or 4-letter prefix, a
/// phrase, the words with a facet (the first word with its top category and option
/// value, others with the price band or in stock) or sorted by price, and browsing (no
/// words) with a facet.
pub fn search_mix(m: &Material) -> Vec<Query> {
    let word = |i: usize| m.words[i % m.words.len()].as_str();
    let mut out = Vec::new();
    let mut push = |kind, pairs: &[(&str, &str)]| {
        out.push(Query {
            kind,
            path: search_path(pairs),
        })
    };
    for w in &m.words {
        push(Kind::Exact, &[("q", w)]);
    }
    if let Some(phrase) = &m.phrase {
        push(Kind::Exact, &[("q", phrase)]);
    }
    for w in &m.words {
        if let Some(typo) = misspell(w) {
            push(Kind::Misspelt, &[("q", &typo)]);
        }
    }
    for (i, w) in m.words.iter().enumerate() {
        push(Kind::Prefix, &[("q", &prefix(w, 3 + i % 2))]);
    }
    let option = m
        .option
        .as_ref()
        .map(|(name, value)| (format!("options[{name}]"), value.as_str()));
    let price = m.price.map(|(lo, hi)| (lo.to_string(), hi.to_string()));
    push(Kind::Faceted, &[("q", word(0)), ("category", &m.category)]);
    if let Some((key, value)) = &option {
        push(Kind::Faceted, &[("q", word(0)), (key, value)]);
    }
    if let Some((lo, hi)) = &price {
        push(
            Kind::Faceted,
            &[("q", word(2)), ("price_min", lo), ("price_max", hi)],
        );
    }
    push(Kind::Faceted, &[("q", word(3)), ("sort", "price_asc")]);
    push(Kind::Faceted, &[("q", word(4)), ("in_stock", "true")]);
    push(Kind::Browse, &[("q", ""), ("category", &m.leaf)]);
    if let Some((key, value)) = &option {
        push(Kind::Browse, &[("q", ""), (key, value)]);
    }
    push(
        Kind::Browse,
        &[("q", ""), ("category", &m.category), ("sort", "price_asc")],
    );
    out
}

/// The suggest mix: each word's 3-, 4- and 5-letter prefixes, and the word misspelt.
pub fn suggest_mix(m: &Material) -> Vec<Query> {
    let mut out = Vec::new();
    for w in &m.words {
        for n in 3..=5 {
            out.push(Query {
                kind: Kind::Suggest,
                path: suggest_path(&prefix(w, n)),
            });
        }
        if let Some(typo) = misspell(w) {
            out.push(Query {
                kind: Kind::SuggestMisspelt,
                path: suggest_path(&typo),
            });
        }
    }
    out
}

/// The wrk script: GETs the paths of the data file (its one argument, after `--`) in
/// turn, one per request; each thread starts one further along.
pub const ROTATE_SCRIPT: &str = r#"-- Generated by `cargo xtask bench`: GET the data file's paths in turn, one per request.

local next_thread = 0
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

local paths
local n = 0

function init(args)
  paths = dofile(args[1])
  n = thread_index or 0
end

function request()
  local path = paths[n % #paths + 1]
  n = n + 1
  return wrk.format("GET", path)
end
"#;

/// The data file for [`ROTATE_SCRIPT`]: a Lua chunk returning the paths.
pub fn paths_file(paths: &[String]) -> String {
    let mut out = String::from("-- Generated by `cargo xtask bench` for search.lua.\nreturn {\n");
    for path in paths {
        out.push_str("  ");
        out.push_str(&lua_string(path));
        out.push_str(",\n");
    }
    out.push_str("}\n");
    out
}

/// A finished child: wall time and peak RSS.
#[derive(Debug, Clone, PartialEq)]
struct Measured {
    secs: f64,
    peak_kib: Option<u64>,
    source: &'static str,
}

/// Runs `cmd` (inherited output) to its end within `limit`: its wall time, and its peak
/// RSS from GNU time when installed, else the largest `VmHWM` seen polling `/proc`.
fn run_measuring_peak(cmd: &Command, time_file: &Path, limit: Duration) -> Result<Measured> {
    measure(cmd, Path::new(GNU_TIME).is_file(), time_file, limit)
}

/// [`run_measuring_peak`], told whether to use GNU time.
fn measure(cmd: &Command, gnu_time: bool, time_file: &Path, limit: Duration) -> Result<Measured> {
    let mut cmd = if gnu_time {
        wrapped(
            GNU_TIME,
            &[OsStr::new("-v"), OsStr::new("-o"), time_file.as_os_str()],
            cmd,
        )
    } else {
        copy_of(cmd)
    };
    println!("$ {}", display(&cmd));
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start `{}`", display(&cmd)))?;
    let started = Instant::now();
    let mut polled: Option<u64> = None;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for a child process")? {
            break status;
        }
        if !gnu_time {
            let status =
                std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
            if let Some(hwm) = proc_field(&status, "VmHWM:") {
                polled = Some(polled.map_or(hwm, |p| p.max(hwm)));
            }
        }
        if started.elapsed() > limit {
            kill_tree(child.id());
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "`{}` timed out after {} min",
                display(&cmd),
                limit.as_secs() / 60
            );
        }
        std::thread::sleep(POLL);
    };
    let secs = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("`{}` failed ({status})", display(&cmd));
    }
    Ok(if gnu_time {
        let text = std::fs::read_to_string(time_file)
            .with_context(|| format!("reading {}", time_file.display()))?;
        Measured {
            secs,
            peak_kib: gnu_time_peak(&text),
            source: "GNU time",
        }
    } else {
        Measured {
            secs,
            peak_kib: polled,
            source: "VmHWM polled",
        }
    })
}

/// `inner` run by `wrapper` with `wrapper_args` first: the same arguments, environment
/// and working directory.
fn wrapped(wrapper: &str, wrapper_args: &[&OsStr], inner: &Command) -> Command {
    let mut cmd = Command::new(wrapper);
    cmd.args(wrapper_args).arg(inner.get_program());
    copy_setup(inner, &mut cmd);
    cmd
}

/// A copy of `inner` (a `Command` cannot be cloned).
fn copy_of(inner: &Command) -> Command {
    let mut cmd = Command::new(inner.get_program());
    copy_setup(inner, &mut cmd);
    cmd
}

fn copy_setup(from: &Command, to: &mut Command) {
    to.args(from.get_args());
    for (key, value) in from.get_envs() {
        match value {
            Some(value) => to.env(key, value),
            None => to.env_remove(key),
        };
    }
    if let Some(dir) = from.get_current_dir() {
        to.current_dir(dir);
    }
}

/// "Maximum resident set size (kbytes)" of `time -v`'s report.
pub fn gnu_time_peak(report: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

/// The bytes of every file under `dir` (symbolic links not followed), as `du -sb` counts
/// them.
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.path().symlink_metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn fmt_bytes(bytes: u64) -> String {
    fmt_kib(Some(bytes.div_ceil(1024)))
}

/// The search section: a line about the run, the index build, the latency table.
pub fn markdown(r: &SearchReport) -> String {
    let mut out = format!(
        "{}; `wrk -d{}s --latency`, server and wrk on the same machine.\n\n",
        run_line(),
        r.duration
    );
    out.push_str(&format!(
        "- Seed (`emporium seed --demo --products {}`): {:.1} s\n",
        r.products, r.seed_secs
    ));
    let searchable = r.searchable.map_or("?".to_string(), |n| n.to_string());
    out.push_str(&format!(
        "- Index build (`emporium search reindex`): {:.1} s for {searchable} products, \
         peak RSS {} ({})\n",
        r.build_secs,
        fmt_kib(r.build_peak_kib),
        r.peak_source
    ));
    out.push_str(&format!(
        "- Index size on disk (`<data dir>/search`): {}\n\n",
        fmt_bytes(r.index_bytes)
    ));
    out.push_str(&table(r));
    for n in &r.notes {
        out.push_str(&format!("\n{n}\n"));
    }
    out
}

pub fn table(r: &SearchReport) -> String {
    let mut out = format!(
        "| Search ({} products) | wrk | Req/s | p50 | p99 | p99 target | Errors | RSS after | Peak RSS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        r.products
    );
    for s in &r.rows {
        let stats = &s.row.stats;
        let errors = match &stats.socket_errors {
            Some(socket) => format!("{} (socket: {socket})", stats.non_2xx),
            None => stats.non_2xx.to_string(),
        };
        let verdict = if stats.p99_ms < s.target_ms {
            "met"
        } else {
            "missed"
        };
        out.push_str(&format!(
            "| {} | `-t{} -c{}` | {:.0} | {} | {} | < {} ({verdict}) | {} | {} | {} |\n",
            s.row.scenario,
            s.load.threads,
            s.load.connections,
            stats.requests_per_sec,
            fmt_ms(stats.p50_ms),
            fmt_ms(stats.p99_ms),
            fmt_ms(s.target_ms),
            errors,
            fmt_kib(s.row.rss_kib),
            fmt_kib(s.row.hwm_kib)
        ));
    }
    out
}

/// A JSON value: enough of a parser to read the API's answers (facets, trees).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

static NULL: Json = Json::Null;

impl Json {
    pub fn parse(text: &str) -> Result<Json> {
        let mut parser = Parser {
            s: text.as_bytes(),
            at: 0,
        };
        let value = parser.value(0)?;
        if parser.peek().is_some() {
            bail!("unexpected text after the value at byte {}", parser.at);
        }
        Ok(value)
    }

    /// The field `key` of an object; null when absent or not an object.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    /// The items of an array; none when not an array.
    pub fn as_array(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    /// The next byte after white space.
    fn peek(&mut self) -> Option<u8> {
        while matches!(self.s.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
        self.s.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > 128 {
            bail!("nested too deeply at byte {}", self.at);
        }
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        bail!("expected a key at byte {}", self.at);
                    }
                    let key = self.string()?;
                    if self.peek() != Some(b':') {
                        bail!("expected `:` at byte {}", self.at);
                    }
                    self.at += 1;
                    fields.push((key, self.value(depth + 1)?));
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(fields));
                        }
                        _ => bail!("expected `,` or `}}` at byte {}", self.at),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => bail!("expected `,` or `]` at byte {}", self.at),
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while matches!(
                    self.s.get(self.at),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.at])?;
                let n = text
                    .parse::<f64>()
                    .with_context(|| format!("bad number `{text}` at byte {start}"))?;
                Ok(Json::Number(n))
            }
            Some(_) => bail!("unexpected character at byte {}", self.at),
            None => bail!("unexpected end of the text"),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json> {
        if !self.s[self.at..].starts_with(word.as_bytes()) {
            bail!("expected `{word}` at byte {}", self.at);
        }
        self.at += word.len();
        Ok(value)
    }

    /// A string, from its opening quote.
    fn string(&mut self) -> Result<String> {
        let start = self.at;
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.at) else {
                bail!("unterminated string from byte {start}");
            };
            self.at += 1;
            match b {
                b'"' => return String::from_utf8(out).context("a string is not UTF-8"),
                b'\\' => {
                    let Some(&escape) = self.s.get(self.at) else {
                        bail!("unterminated string from byte {start}");
                    };
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high)
                                && self.s[self.at..].starts_with(b"\\u")
                            {
                                self.at += 2;
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                                } else {
                                    0xFFFD
                                }
                            } else {
                                high
                            };
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        other => bail!("bad escape `\\{}` at byte {}", other as char, self.at),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .s
            .get(self.at..self.at + 4)
            .context("a short \\u escape")?;
        let code = u32::from_str_radix(std::str::from_utf8(digits)?, 16)
            .with_context(|| format!("a bad \\u escape at byte {}", self.at))?;
        self.at += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::super::WrkStats;
    use super::*;
    use crate::util::TempDir;

    const PAGE: &str = r#"{"q":"","hits":[{"product":{"id":"prod_1","title":"Vintage \"Quilted\" Jacket","prices":[{"currency":"EUR","min_amount":4500,"max_amount":5200}]},"highlight":{"title":[{"text":"Vintage","matched":true}],"snippet":[]}}],
        "total": 120000, "facets": {"categories": [{"value":"apparel","label":"Apparel","count":700},{"value":"home","label":"Home","count":900},{"value":"empty","label":"E","count":0}],
        "options":[{"name":"colour","label":"Colour","values":[{"value":"Navy","label":"Navy","count":5}]},{"name":"size","label":"Size","values":[{"value":"S","label":"S","count":40},{"value":"M","label":"M","count":41},{"value":"L","label":"L","count":41}]}]},
        "next_cursor":"o20"}"#;

    #[test]
    fn parses_json() -> Result<()> {
        let page = Json::parse(PAGE)?;
        assert_eq!(page.get("total").as_i64(), Some(120_000));
        assert_eq!(page.get("next_cursor").as_str(), Some("o20"));
        assert_eq!(page.get("q").as_str(), Some(""));
        let hit = &page.get("hits").as_array()[0];
        assert_eq!(
            hit.get("product").get("title").as_str(),
            Some("Vintage \"Quilted\" Jacket")
        );
        assert_eq!(
            hit.get("highlight").get("title").as_array()[0].get("matched"),
            &Json::Bool(true)
        );
        assert_eq!(page.get("missing"), &Json::Null);
        assert!(page.get("total").as_array().is_empty());
        assert_eq!(
            Json::parse(r#" ["a\u00e9\ud83d\ude00\n", -1.5e2, null, false, {}] "#)?,
            Json::Array(vec![
                Json::String("aé😀\n".into()),
                Json::Number(-150.0),
                Json::Null,
                Json::Bool(false),
                Json::Object(vec![]),
            ])
        );
        assert_eq!(Json::parse("\"é\"")?.as_str(), Some("é"));
        assert_eq!(Json::parse("2.5")?.as_i64(), None);
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "\"open",
            "tru",
            "1 2",
            "{1:2}",
            "\"\\x\"",
        ] {
            assert!(Json::parse(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn reads_facets() -> Result<()> {
        let page = Json::parse(PAGE)?;
        assert_eq!(top_category(&page), Some("home"));
        // `size` first; the first of the most common values.
        assert_eq!(common_option(&page), Some(("size".into(), "M".into())));
        let no_size = Json::parse(
            r#"{"facets":{"categories":[],"options":[{"name":"colour","values":[{"value":"Navy","count":5}]}]}}"#,
        )?;
        assert_eq!(top_category(&no_size), None);
        assert_eq!(
            common_option(&no_size),
            Some(("colour".into(), "Navy".into()))
        );
        assert_eq!(common_option(&Json::parse("{}")?), None);
        Ok(())
    }

    #[test]
    fn finds_a_leaf_category() -> Result<()> {
        let tree = Json::parse(
            r#"{"items":[{"handle":"apparel","children":[{"handle":"men","children":[{"handle":"shirts","children":[]}]}]},{"handle":"home","children":[]}]}"#,
        )?;
        assert_eq!(
            first_leaf(tree.get("items").as_array()).as_deref(),
            Some("shirts")
        );
        assert_eq!(first_leaf(&[]), None);
        Ok(())
    }

    #[test]
    fn takes_title_words() {
        let titles = [
            "Vintage Quilted Cotton Jacket",
            "Vintage Linen Shirt",
            "Classic T-Shirt",
            "Heritage Oxford Cotton Shirt",
        ];
        // The first new word of each title, then the others in order.
        assert_eq!(
            title_words(&titles, 6, 4),
            vec!["vintage", "classic", "heritage", "quilted"]
        );
        assert_eq!(
            title_words(&titles, 6, 10),
            vec!["vintage", "classic", "heritage", "quilted", "cotton", "jacket", "oxford"]
        );
        assert!(title_words(&["A Mug"], 6, 3).is_empty());
        assert_eq!(title_phrase(&titles).as_deref(), Some("cotton jacket"));
        assert_eq!(
            title_phrase(&["Mug", "Big Tea Cup", "Oak Side Table"]).as_deref(),
            Some("side table")
        );
        assert_eq!(title_phrase(&["Mug"]), None);
    }

    #[test]
    fn misspells_words() {
        // Two neighbours swapped nearest the middle, where they differ.
        assert_eq!(misspell("jacket").as_deref(), Some("jakcet"));
        assert_eq!(misspell("cotton").as_deref(), Some("ctoton"));
        assert_eq!(misspell("vintage").as_deref(), Some("vitnage"));
        assert_eq!(misspell("abc").as_deref(), Some("acb"));
        // Never the first letter; nothing to swap.
        assert_eq!(misspell("ab"), None);
        assert_eq!(misspell("aaaaaa"), None);
        assert_eq!(misspell("baaa"), None);
        for word in ["quilted", "heritage", "linen", "oxford"] {
            let typo = misspell(word).unwrap_or_default();
            assert_ne!(typo, word);
            assert_eq!(typo.len(), word.len());
            assert_eq!(typo.chars().next(), word.chars().next());
            let differ: Vec<usize> = (0..word.len())
                .filter(|&i| typo.as_bytes()[i] != word.as_bytes()[i])
                .collect();
            assert_eq!(differ.len(), 2, "{word} {typo}");
            assert_eq!(differ[1], differ[0] + 1);
        }
    }

    #[test]
    fn bands_prices() {
        assert_eq!(price_band(&[100, 200, 300]), None);
        assert_eq!(
            price_band(&[800, 100, 400, 200, 300, 700, 600, 500]),
            Some((300, 700))
        );
    }

    fn material() -> Material {
        Material {
            words: vec!["vintage".into(), "cotton".into()],
            phrase: Some("cotton jacket".into()),
            category: "apparel".into(),
            leaf: "shirts".into(),
            option: Some(("size".into(), "M".into())),
            price: Some((2000, 8000)),
        }
    }

    #[test]
    fn builds_the_search_mix() {
        let paths: Vec<(Kind, String)> = search_mix(&material())
            .into_iter()
            .map(|q| (q.kind, q.path))
            .collect();
        let expected = [
            (Kind::Exact, "/store/search?q=vintage"),
            (Kind::Exact, "/store/search?q=cotton"),
            (Kind::Exact, "/store/search?q=cotton%20jacket"),
            (Kind::Misspelt, "/store/search?q=vitnage"),
            (Kind::Misspelt, "/store/search?q=ctoton"),
            (Kind::Prefix, "/store/search?q=vin"),
            (Kind::Prefix, "/store/search?q=cott"),
            (Kind::Faceted, "/store/search?q=vintage&category=apparel"),
            (Kind::Faceted, "/store/search?q=vintage&options%5Bsize%5D=M"),
            (
                Kind::Faceted,
                "/store/search?q=vintage&price_min=2000&price_max=8000",
            ),
            (Kind::Faceted, "/store/search?q=cotton&sort=price_asc"),
            (Kind::Faceted, "/store/search?q=vintage&in_stock=true"),
            (Kind::Browse, "/store/search?q=&category=shirts"),
            (Kind::Browse, "/store/search?q=&options%5Bsize%5D=M"),
            (
                Kind::Browse,
                "/store/search?q=&category=apparel&sort=price_asc",
            ),
        ];
        let expected: Vec<(Kind, String)> =
            expected.iter().map(|(k, p)| (*k, p.to_string())).collect();
        assert_eq!(paths, expected);

        // Without an option, a price band or a phrase, those queries are left out.
        let bare = Material {
            phrase: None,
            option: None,
            price: None,
            ..material()
        };
        assert_eq!(search_mix(&bare).len(), expected.len() - 4);
    }

    #[test]
    fn builds_the_suggest_mix() {
        let paths: Vec<String> = suggest_mix(&material())
            .into_iter()
            .map(|q| q.path)
            .collect();
        assert_eq!(
            paths,
            ["vin", "vint", "vinta", "vitnage", "cot", "cott", "cotto", "ctoton"]
                .map(|q| format!("/store/search/suggest?q={q}"))
        );
        assert_eq!(suggest_path("a b"), "/store/search/suggest?q=a%20b");
    }

    #[test]
    fn writes_the_wrk_files() {
        assert_eq!(
            paths_file(&["/store/search?q=a".into(), "/s?q=\"".into()]),
            "-- Generated by `cargo xtask bench` for search.lua.\nreturn {\n  \
             \"/store/search?q=a\",\n  \"/s?q=\\\"\",\n}\n"
        );
        assert!(ROTATE_SCRIPT.contains("paths = dofile(args[1])"));
        assert!(ROTATE_SCRIPT.contains("local path = paths[n % #paths + 1]"));
        assert!(ROTATE_SCRIPT.contains("return wrk.format(\"GET\", path)"));
    }

    #[test]
    fn wraps_a_command() {
        let mut inner = Command::new("/bin/emporium");
        inner
            .args(["search", "reindex"])
            .env("EMPORIUM_DATA_DIR", "/tmp/d")
            .env_remove("DATABASE_URL")
            .current_dir("/tmp");
        let outer = wrapped(GNU_TIME, &[OsStr::new("-v")], &inner);
        assert_eq!(outer.get_program(), GNU_TIME);
        let args: Vec<&OsStr> = outer.get_args().collect();
        assert_eq!(args, ["-v", "/bin/emporium", "search", "reindex"]);
        let envs: Vec<(&OsStr, Option<&OsStr>)> = outer.get_envs().collect();
        assert!(envs.contains(&(OsStr::new("EMPORIUM_DATA_DIR"), Some(OsStr::new("/tmp/d")))));
        assert!(envs.contains(&(OsStr::new("DATABASE_URL"), None)));
        assert_eq!(outer.get_current_dir(), Some(Path::new("/tmp")));
        let copy = copy_of(&inner);
        assert_eq!(copy.get_program(), "/bin/emporium");
        assert_eq!(copy.get_args().count(), 2);
    }

    #[test]
    fn reads_gnu_time() {
        let report = "\tCommand being timed: \"emporium search reindex\"\n\
                      \tUser time (seconds): 80.12\n\
                      \tMaximum resident set size (kbytes): 524288\n\
                      \tExit status: 0\n";
        assert_eq!(gnu_time_peak(report), Some(524_288));
        assert_eq!(gnu_time_peak("nothing"), None);
    }

    #[test]
    fn measures_a_child() -> Result<()> {
        let tmp = TempDir::new("xtask-test-bench-peak")?;
        let limit = Duration::from_secs(30);
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 0.2"]);
        let polled = measure(&cmd, false, &tmp.path().join("unused.txt"), limit)?;
        assert!(polled.secs >= 0.2, "{polled:?}");
        assert!(polled.peak_kib.is_some_and(|k| k > 0), "{polled:?}");
        assert_eq!(polled.source, "VmHWM polled");
        if Path::new(GNU_TIME).is_file() {
            let timed = measure(&cmd, true, &tmp.path().join("time.txt"), limit)?;
            assert!(timed.peak_kib.is_some_and(|k| k > 0), "{timed:?}");
            assert_eq!(timed.source, "GNU time");
        }
        let mut failing = Command::new("sh");
        failing.args(["-c", "exit 3"]);
        assert!(run_measuring_peak(&failing, &tmp.path().join("t2.txt"), limit).is_err());
        assert!(measure(&failing, false, &tmp.path().join("t3.txt"), limit).is_err());
        let mut slow = Command::new("sh");
        slow.args(["-c", "sleep 5"]);
        let started = Instant::now();
        let timeout = measure(
            &slow,
            false,
            &tmp.path().join("t4.txt"),
            Duration::from_millis(100),
        );
        assert!(timeout.is_err_and(|e| e.to_string().contains("timed out")));
        assert!(started.elapsed() < Duration::from_secs(4));
        Ok(())
    }

    #[test]
    fn sizes_a_directory() -> Result<()> {
        let tmp = TempDir::new("xtask-test-bench-du")?;
        std::fs::create_dir_all(tmp.path().join("a").join("b"))?;
        std::fs::write(tmp.path().join("one"), [0u8; 100])?;
        std::fs::write(tmp.path().join("a").join("b").join("two"), [0u8; 28])?;
        assert_eq!(dir_size(tmp.path())?, 128);
        assert!(dir_size(&tmp.path().join("missing")).is_err());
        Ok(())
    }

    #[test]
    fn writes_the_section() {
        let row = |name: &str, p99_ms: f64, threads: u32, target_ms: f64| SearchRow {
            row: Row {
                scenario: name.into(),
                path: "GET /store/search".into(),
                stats: WrkStats {
                    requests_per_sec: 1234.4,
                    p50_ms: 0.8,
                    p99_ms,
                    non_2xx: 0,
                    socket_errors: None,
                    requests: 24_688,
                },
                rss_kib: Some(204_800),
                hwm_kib: Some(307_200),
            },
            load: Load {
                threads,
                connections: threads,
                duration: 20,
            },
            target_ms,
        };
        let report = SearchReport {
            products: 100_000,
            seed_secs: 321.04,
            build_secs: 75.55,
            build_peak_kib: Some(1_048_576),
            peak_source: "GNU time",
            index_bytes: 150 * 1024 * 1024,
            searchable: Some(100_000),
            duration: 20,
            rows: vec![
                row("Search mix (15 queries)", 4.5, 1, SEARCH_TARGET_MS),
                row("Suggest (8 queries)", 12.0, 2, SUGGEST_TARGET_MS),
            ],
            notes: vec!["`/store/search?q=x` finds nothing.".into()],
        };
        let text = markdown(&report);
        assert!(text.contains("`wrk -d20s --latency`"), "{text}");
        assert!(text.contains("- Seed (`emporium seed --demo --products 100000`): 321.0 s\n"));
        assert!(text.contains(
            "- Index build (`emporium search reindex`): 75.5 s for 100000 products, peak RSS 1024.0 MiB (GNU time)\n"
        ), "{text}");
        assert!(text.contains("- Index size on disk (`<data dir>/search`): 150.0 MiB\n"));
        assert!(text.contains("| Search (100000 products) | wrk | Req/s |"));
        assert!(text.contains(
            "| Search mix (15 queries) | `-t1 -c1` | 1234 | 800 µs | 4.50 ms | < 20.00 ms (met) | 0 | 200.0 MiB | 300.0 MiB |"
        ), "{text}");
        assert!(text.contains(
            "| Suggest (8 queries) | `-t2 -c2` | 1234 | 800 µs | 12.00 ms | < 10.00 ms (missed) |"
        ), "{text}");
        assert!(text.ends_with("\n`/store/search?q=x` finds nothing.\n"));
    }
}
