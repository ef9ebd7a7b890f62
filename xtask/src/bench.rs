//! `cargo xtask bench`: the release binary on a loopback port with a fresh data dir, driven
//! by wrk; results as Markdown tables in `docs/BENCHMARKS.md`.
//!
//! Three groups of scenarios, each on its own server so none disturbs another:
//! - catalog reads (product list, one product, product page, static ceiling) against the
//!   demo catalog the server seeds itself;
//! - commerce (see [`commerce`]): add to cart with wrk and a Lua script, and placing orders
//!   with a Rust driver, against `emporium seed --demo --products N`, on SQLite and (when it
//!   answers) on PostgreSQL;
//! - search (see [`search`]): the index build of a large demo catalog, then wrk through a
//!   mix of search and suggest queries at low concurrency.
//!
//! Catalog reads and commerce share one marked section of the document, search has its own:
//! a run that skips a group leaves the other section as it was.

mod commerce;
pub(crate) mod http;
mod lua;
mod postgres;
mod search;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::build::{self, Built};
use crate::setup;
use crate::util::{note, output, probe, step, Paths, TempDir};

/// Where a group of results goes in the document: between two HTML comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Markers {
    pub begin: &'static str,
    pub end: &'static str,
}

/// The catalog-read and commerce tables.
pub const MAIN_MARKERS: Markers = Markers {
    begin: "<!-- bench:begin -->",
    end: "<!-- bench:end -->",
};
/// The search group.
pub const SEARCH_MARKERS: Markers = Markers {
    begin: "<!-- bench:search:begin -->",
    end: "<!-- bench:search:end -->",
};
const READY_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone)]
pub struct Options {
    pub duration: u32,
    pub connections: u32,
    pub threads: u32,
    /// Run the add-to-cart and place-order scenarios.
    pub commerce: bool,
    /// Run the catalog-read scenarios.
    pub catalog: bool,
    /// Run the commerce scenarios on PostgreSQL too.
    pub postgres: bool,
    /// Catalog size for the commerce scenarios.
    pub products: usize,
    /// The PostgreSQL server for the commerce scenarios (trust authentication); skipped
    /// with a note when it does not answer.
    pub postgres_url: String,
    /// Run the search scenarios.
    pub search: bool,
    /// Catalog size for the search scenarios.
    pub search_products: usize,
}

/// The smallest `--products`: the add-to-cart plan needs a few hundred variants.
pub const MIN_PRODUCTS: usize = 100;

/// One wrk run, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkStats {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// "Non-2xx or 3xx responses".
    pub non_2xx: u64,
    /// wrk's "Socket errors" line, if any.
    pub socket_errors: Option<String>,
    /// Requests completed (wrk's "N requests in …" line).
    pub requests: u64,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub path: String,
    pub stats: WrkStats,
    pub rss_kib: Option<u64>,
    pub hwm_kib: Option<u64>,
}

/// The server process; killed and reaped when dropped, so it never outlives the bench.
pub(crate) struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many ERROR lines the server has logged, and the first of them.
    fn logged_errors(&self) -> (usize, Option<String>) {
        logged_errors(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM first for a graceful shutdown, SIGKILL if it lingers.
            let _ = Command::new("kill")
                .args(["-TERM", &self.pid().to_string()])
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Everything the generated sections report.
#[derive(Debug, Default)]
pub struct Report {
    /// wrk scenarios: the catalog reads, then add to cart per database.
    pub rows: Vec<Row>,
    /// Place order, per database.
    pub orders: Vec<commerce::OrderRow>,
    /// Things a reader of the table must know (e.g. a database that was skipped).
    pub notes: Vec<String>,
    /// The search group, when it ran (its own section).
    pub search: Option<search::SearchReport>,
}

pub fn bench(paths: &Paths, opts: Options) -> Result<()> {
    if opts.duration == 0 || opts.connections == 0 {
        bail!("--duration and --connections must be positive");
    }
    if opts.connections < opts.threads {
        bail!(
            "--connections must be at least {} (wrk's thread count)",
            opts.threads
        );
    }
    if opts.commerce && opts.products < MIN_PRODUCTS {
        bail!("--products must be at least {MIN_PRODUCTS}");
    }
    if opts.search && opts.search_products < search::MIN_PRODUCTS {
        bail!(
            "--search-products must be at least {}",
            search::MIN_PRODUCTS
        );
    }
    if !(opts.catalog || opts.commerce || opts.search) {
        bail!("every group is skipped: nothing to measure");
    }
    // A binary built earlier (say, from another commit) instead of building this tree:
    // two builds compared back to back on the same machine state.
    let built = match std::env::var_os("EMPORIUM_BENCH_BIN") {
        Some(bin) => {
            note(format!(
                "using EMPORIUM_BENCH_BIN={} (no build)",
                Path::new(&bin).display()
            ));
            Built {
                server_bin: PathBuf::from(bin),
                site: paths.site.clone(),
            }
        }
        None => {
            let toolchain = setup::setup(paths, setup::Options::default())?;
            build::build(paths, true, Some(toolchain))?
        }
    };

    // Declared before the servers so it is removed after they have stopped.
    let scratch = TempDir::new("emporium-bench")?;
    let mut report = Report::default();
    if opts.catalog {
        report.rows = catalog_scenarios(&built, &scratch.path().join("catalog"), &opts)?;
    } else {
        note("catalog scenarios skipped (--skip-catalog)");
    }
    if opts.commerce {
        commerce::run(&built, scratch.path(), &opts, &mut report)?;
    } else {
        note("commerce scenarios skipped (--skip-commerce)");
    }
    if opts.search {
        report.search = Some(search::run(&built, &scratch.path().join("search"), &opts)?);
    } else {
        note("search scenarios skipped (--skip-search)");
    }

    let doc = paths.root.join("docs").join("BENCHMARKS.md");
    let mut sections = Vec::new();
    if opts.catalog || opts.commerce {
        sections.push((MAIN_MARKERS, markdown(&report, &opts)));
    } else {
        note("the catalog and commerce tables in the document are left as they were");
    }
    match &report.search {
        Some(found) => sections.push((SEARCH_MARKERS, search::markdown(found))),
        None => note("the search section of the document is left as it was"),
    }
    step("bench: results");
    for (markers, section) in &sections {
        println!("{section}\n");
        write_results(&doc, *markers, section)?;
    }
    note(format!("wrote {}", doc.display()));
    drop(scratch);
    Ok(())
}

const ONE_PRODUCT: &str = "Store API: one product";

/// The server command with what every bench server shares: a loopback address, the data
/// dir `<dir>/data`, the site, a fresh SQLite database unless the caller sets
/// `DATABASE_URL`, and quiet logs.
pub(crate) fn server_command(built: &Built, dir: &Path, addr: &str) -> Result<Command> {
    let data_dir = dir.join("data");
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let mut cmd = Command::new(&built.server_bin);
    cmd.current_dir(dir)
        .env("EMPORIUM_ADDR", addr)
        .env("EMPORIUM_DATA_DIR", &data_dir)
        .env("LEPTOS_SITE_ROOT", &built.site)
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        // A fresh SQLite database in the data dir, whatever the caller's shell says.
        .env_remove("DATABASE_URL")
        .env_remove("EMPORIUM_API_URL")
        .env_remove("EMPORIUM_ADMIN_TOKEN")
        // The embedded search engine under the data dir, never a Meilisearch server.
        .env_remove("MEILI_URL")
        .env_remove("MEILI_API_KEY")
        .env_remove("MEILI_INDEX")
        .stdin(Stdio::null());
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "warn");
    }
    Ok(cmd)
}

/// Starts `emporium serve` (`cmd` from [`server_command`]) with its output in
/// `<dir>/<log_name>`.
pub(crate) fn spawn_server(
    built: &Built,
    dir: &Path,
    log_name: &str,
    mut cmd: Command,
) -> Result<Server> {
    let log = dir.join(log_name);
    note(format!(
        "data dir: {}  log: {}",
        dir.join("data").display(),
        log.display()
    ));
    let log_file = File::create(&log).context("creating the server log")?;
    let log_err = log_file
        .try_clone()
        .context("cloning the server log handle")?;
    let child = cmd
        .arg("serve")
        .stdout(Stdio::from(log_file))
        .stderr(Stdio::from(log_err))
        .spawn()
        .with_context(|| format!("starting {}", built.server_bin.display()))?;
    Ok(Server { child, log })
}

/// Runs `scenarios` against `server`; on failure prints the end of the server's log. The
/// server is stopped either way.
pub(crate) fn with_server<T>(
    mut server: Server,
    scenarios: impl FnOnce(&mut Server) -> Result<T>,
) -> Result<T> {
    let result = scenarios(&mut server);
    server.stop();
    if result.is_err() {
        eprintln!(
            "---- server log (last lines) ----\n{}\n----",
            server.log_tail()
        );
    }
    result
}

/// The catalog reads, on a server that seeds the default demo catalog itself.
fn catalog_scenarios(built: &Built, dir: &Path, opts: &Options) -> Result<Vec<Row>> {
    let addr = format!("127.0.0.1:{}", free_port()?);
    step(format!(
        "bench: starting {} on {addr}",
        built.server_bin.display()
    ));
    let mut cmd = server_command(built, dir, &addr)?;
    cmd.env("EMPORIUM_BENCH_ROUTES", "true")
        .env("EMPORIUM_SEED_DEMO", "true");
    let server = spawn_server(built, dir, "server.log", cmd)?;
    with_server(server, |server| run_scenarios(server, &addr, opts))
}

fn run_scenarios(server: &mut Server, addr: &str, opts: &Options) -> Result<Vec<Row>> {
    wait_ready(server, addr)?;
    let (status, body) = http_get(addr, "/store/products?limit=20")?;
    if status != 200 {
        bail!("GET /store/products?limit=20 returned {status}: {body}");
    }
    let handle = first_string_field(&body, "handle")
        .context("no product handle in /store/products?limit=20 (was the demo catalog seeded?)")?;
    note(format!("product handle: {handle}"));

    // The product page twice: as shoppers without a cart get it (from the page cache,
    // rendered once per `EMPORIUM_PAGE_CACHE_TTL`), and rendered for every request
    // (`Cache-Control: no-cache`, as a shopper's reload asks).
    let scenarios = [
        (
            "Store API: product list",
            "/store/products?limit=20".to_string(),
            None,
        ),
        (ONE_PRODUCT, format!("/store/products/{handle}"), None),
        (
            "Storefront: product page (SSR, page cache)",
            format!("/products/{handle}"),
            None,
        ),
        (
            "Storefront: product page (SSR, rendered each time)",
            format!("/products/{handle}"),
            Some("Cache-Control: no-cache"),
        ),
        ("Static string (ceiling)", "/bench/static".to_string(), None),
    ];
    for (_, path, _) in &scenarios {
        let (status, _) = http_get(addr, path)?;
        if status != 200 {
            bail!("GET {path} returned {status} before the benchmark");
        }
    }
    let mut rows = Vec::new();
    for (name, path, header) in scenarios {
        step(format!("bench: {name} ({path})"));
        let stats = run_wrk(opts, &format!("http://{addr}{path}"), None, header)?;
        rows.push(measured_row(server, name, &path, stats)?);
    }
    Ok(rows)
}

/// `wrk --latency` with the bench's threads, connections and duration; `script`: a Lua
/// script and the argument passed to its `init`.
fn run_wrk(
    opts: &Options,
    url: &str,
    script: Option<(&Path, &Path)>,
    header: Option<&str>,
) -> Result<WrkStats> {
    let load = Load {
        threads: opts.threads,
        connections: opts.connections,
        duration: opts.duration,
    };
    run_wrk_with(load, url, script, header)
}

/// wrk's `-t`, `-c` and `-d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    /// Seconds.
    pub duration: u32,
}

/// [`run_wrk`] with another load than the bench's.
fn run_wrk_with(
    load: Load,
    url: &str,
    script: Option<(&Path, &Path)>,
    header: Option<&str>,
) -> Result<WrkStats> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration))
        .arg("--latency");
    if let Some((script, _)) = script {
        cmd.arg("-s").arg(script);
    }
    if let Some(header) = header {
        cmd.arg("-H").arg(header);
    }
    cmd.arg(url);
    if let Some((_, arg)) = script {
        cmd.arg("--").arg(arg);
    }
    let out = output(&mut cmd).context("running wrk (installed by `cargo xtask setup`)")?;
    parse_wrk(&out).with_context(|| format!("parsing wrk's output:\n{out}"))
}

/// A finished wrk scenario as a row, with the server's memory now; fails if the server
/// died during it.
fn measured_row(server: &mut Server, name: &str, path: &str, stats: WrkStats) -> Result<Row> {
    if let Ok(Some(status)) = server.child.try_wait() {
        bail!("the server exited ({status}) during the {name} scenario");
    }
    let (rss_kib, hwm_kib) = memory(server.pid());
    note(format!(
        "{:.0} req/s, p50 {}, p99 {}, RSS {}",
        stats.requests_per_sec,
        fmt_ms(stats.p50_ms),
        fmt_ms(stats.p99_ms),
        fmt_kib(rss_kib)
    ));
    if stats.non_2xx > 0 {
        note(format!("warning: {} non-2xx/3xx responses", stats.non_2xx));
    }
    if let Some(socket) = &stats.socket_errors {
        note(format!("warning: socket errors: {socket}"));
    }
    Ok(Row {
        scenario: name.to_string(),
        path: path.to_string(),
        stats,
        rss_kib,
        hwm_kib,
    })
}

/// ERROR lines in a server log (tracing's text format, colours or not): how many, and
/// the first without its colour codes.
pub fn logged_errors(log: &str) -> (usize, Option<String>) {
    let mut count = 0;
    let mut first = None;
    for line in log.lines() {
        let plain = strip_ansi(line);
        if plain.split_whitespace().nth(1) == Some("ERROR") {
            count += 1;
            first.get_or_insert(plain);
        }
    }
    (count, first)
}

/// A line without its ANSI escape sequences (`ESC [ … letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener
        .local_addr()
        .context("reading the bound port")?
        .port())
}

pub(crate) fn wait_ready(server: &mut Server, addr: &str) -> Result<()> {
    step("waiting for /health/ready (migrations and the demo seed run first)");
    let start = Instant::now();
    loop {
        if let Some(status) = server
            .child
            .try_wait()
            .context("checking the server process")?
        {
            bail!("the server exited ({status}) before it was ready");
        }
        if let Ok((200, _)) = http_get(addr, "/health/ready") {
            note(format!("ready after {:.1}s", start.elapsed().as_secs_f64()));
            return Ok(());
        }
        if start.elapsed() > READY_TIMEOUT {
            bail!(
                "the server was not ready after {}s",
                READY_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A minimal HTTP/1.1 GET on loopback: status code and body.
fn http_get(addr: &str, path: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .context("setting a read timeout")?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .with_context(|| format!("sending GET {path}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading the response to GET {path}"))?;
    parse_response(&raw).with_context(|| format!("parsing the response to GET {path}"))
}

/// A whole response read to the end of the connection: status code and body.
fn parse_response(raw: &[u8]) -> Result<(u16, String)> {
    let (response, _) =
        http::parse_message(raw, true)?.context("the connection closed mid-response")?;
    Ok((response.status, response.body))
}

/// The first `"field": "value"` string in a JSON text (no JSON parser needed for a slug).
pub fn first_string_field(json: &str, field: &str) -> Option<String> {
    string_fields(json, field).into_iter().next()
}

/// Every `"field": "value"` string in a JSON text, in order (values that are not strings
/// are skipped). Enough for ids and handles in the API's flat, known responses.
pub fn string_fields(json: &str, field: &str) -> Vec<String> {
    let key = format!("\"{field}\"");
    let mut found = Vec::new();
    let mut rest = json;
    while let Some(i) = rest.find(&key) {
        rest = &rest[i + key.len()..];
        let Some(after) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let Some(value) = after.trim_start().strip_prefix('"') else {
            continue;
        };
        let mut out = String::new();
        let mut chars = value.char_indices();
        let mut end = None;
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(at + 1);
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        let Some(end) = end else {
            break;
        };
        found.push(out);
        rest = &value[end..];
    }
    found
}

/// Every `"field": <integer>` in a JSON text, in order.
pub fn integer_fields(json: &str, field: &str) -> Vec<i64> {
    let key = format!("\"{field}\"");
    let mut found = Vec::new();
    let mut rest = json;
    while let Some(i) = rest.find(&key) {
        rest = &rest[i + key.len()..];
        let Some(after) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let after = after.trim_start();
        let end = after
            .char_indices()
            .find(|&(at, c)| !(c.is_ascii_digit() || (at == 0 && c == '-')))
            .map_or(after.len(), |(at, _)| at);
        if let Ok(n) = after[..end].parse() {
            found.push(n);
        }
    }
    found
}

/// Percent-encodes a query or path value (everything but RFC 3986's unreserved bytes).
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses `wrk --latency` output.
pub fn parse_wrk(out: &str) -> Result<WrkStats> {
    let mut stats = WrkStats::default();
    let mut rps = None;
    let mut p50 = None;
    let mut p99 = None;
    for line in out.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = v.trim().parse::<f64>().ok();
        } else if let Some(v) = line.strip_prefix("50%") {
            p50 = parse_duration_ms(v.trim());
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = parse_duration_ms(v.trim());
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            stats.non_2xx = v.trim().parse().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            stats.socket_errors = Some(v.trim().to_string());
        } else if let Some((n, _)) = line.split_once(" requests in ") {
            stats.requests = n.trim().parse().unwrap_or(0);
        }
    }
    stats.requests_per_sec = rps.context("no `Requests/sec:` line")?;
    stats.p50_ms = p50.context("no 50% latency line (was --latency passed?)")?;
    stats.p99_ms = p99.context("no 99% latency line (was --latency passed?)")?;
    Ok(stats)
}

/// wrk durations: `812.00us`, `1.23ms`, `2.01s`, `1.00m`.
pub fn parse_duration_ms(text: &str) -> Option<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(number * factor)
}

/// VmRSS and VmHWM of a process, in KiB.
fn memory(pid: u32) -> (Option<u64>, Option<u64>) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    (proc_field(&status, "VmRSS:"), proc_field(&status, "VmHWM:"))
}

pub fn proc_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn fmt_ms(ms: f64) -> String {
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else {
        format!("{ms:.2} ms")
    }
}

fn fmt_kib(kib: Option<u64>) -> String {
    match kib {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "?".into(),
    }
}

/// `Commit `abc1234`, 2026-12-07; 2 cores (CPU model)`: which build ran where.
fn run_line() -> String {
    let commit = probe(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    let date = probe(Command::new("date").args(["-u", "+%Y-%m-%d"])).unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("Commit `{commit}`, {date}; {cores} cores ({cpu})")
}

/// The catalog-read and commerce section: a line about the run and the tables.
pub fn markdown(report: &Report, opts: &Options) -> String {
    let mut out = format!(
        "{}; `wrk -t{} -c{} -d{}s --latency`, server and wrk on the same machine.\n\n",
        run_line(),
        opts.threads,
        opts.connections,
        opts.duration
    );
    if !report.rows.is_empty() {
        out.push_str(&table(&report.rows));
    }
    if opts.commerce {
        out.push_str(&format!(
            "\nPlace order: {} shoppers for {}s, each order 4 calls (create cart, add a line, \
             checkout details, complete); catalog of {} products.\n\n",
            opts.connections, opts.duration, opts.products
        ));
        out.push_str(&commerce::orders_table(&report.orders));
    }
    for n in &report.notes {
        out.push_str(&format!("\n{n}\n"));
    }
    out
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Scenario | Path | Req/s | p50 | p99 | Errors | RSS after | Peak RSS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let errors = match &r.stats.socket_errors {
            Some(socket) => format!("{} (socket: {socket})", r.stats.non_2xx),
            None => r.stats.non_2xx.to_string(),
        };
        out.push_str(&format!(
            "| {} | `{}` | {:.0} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.path,
            r.stats.requests_per_sec,
            fmt_ms(r.stats.p50_ms),
            fmt_ms(r.stats.p99_ms),
            errors,
            fmt_kib(r.rss_kib),
            fmt_kib(r.hwm_kib)
        ));
    }
    out
}

/// The start of a `docs/BENCHMARKS.md` that does not exist yet; the method is written by
/// hand in the committed file, and the bench only ever replaces its table.
const NEW_DOC: &str = "# Benchmarks\n\nProduced by `cargo xtask bench`.\n";

/// Replaces what lies between the markers (or appends a marked section), keeping the rest.
pub fn replace_between_markers(doc: &str, markers: Markers, content: &str) -> Result<String> {
    let Markers {
        begin: begin_marker,
        end: end_marker,
    } = markers;
    let content = content.trim_end_matches('\n');
    let section = format!("{begin_marker}\n{content}\n{end_marker}");
    match (doc.find(begin_marker), doc.find(end_marker)) {
        (Some(begin), Some(end)) if begin < end => Ok(format!(
            "{}{section}{}",
            &doc[..begin],
            &doc[end + end_marker.len()..]
        )),
        (None, None) => {
            let mut out = doc.trim_end_matches('\n').to_string();
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&section);
            out.push('\n');
            Ok(out)
        }
        _ => bail!("the markers {begin_marker} / {end_marker} are incomplete or out of order"),
    }
}

fn write_results(doc: &Path, markers: Markers, content: &str) -> Result<()> {
    let existing = match std::fs::read_to_string(doc) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => NEW_DOC.to_string(),
        Err(err) => return Err(err).with_context(|| format!("reading {}", doc.display())),
    };
    let updated = replace_between_markers(&existing, markers, content)
        .with_context(|| format!("updating {}", doc.display()))?;
    if let Some(dir) = doc.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(doc, updated).with_context(|| format!("writing {}", doc.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 20s test @ http://127.0.0.1:40123/store/products?limit=20
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.31ms    1.02ms  31.20ms   85.12%
    Req/Sec     7.01k   512.33     8.02k    70.50%
  Latency Distribution
     50%    2.10ms
     75%    2.80ms
     90%    3.50ms
     99%  812.00us
  279000 requests in 20.00s, 1.02GB read
  Non-2xx or 3xx responses: 3
Requests/sec:  13950.12
Transfer/sec:     52.10MB
";

    #[test]
    fn parses_wrk_output() -> Result<()> {
        let s = parse_wrk(WRK)?;
        assert!((s.requests_per_sec - 13950.12).abs() < 1e-9);
        assert!((s.p50_ms - 2.10).abs() < 1e-9);
        assert!((s.p99_ms - 0.812).abs() < 1e-9);
        assert_eq!(s.non_2xx, 3);
        assert_eq!(s.socket_errors, None);
        assert_eq!(s.requests, 279000);
        assert!(parse_wrk("Requests/sec: 1\n").is_err());
        Ok(())
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration_ms("1.50ms"), Some(1.5));
        assert_eq!(parse_duration_ms("2.00s"), Some(2000.0));
        assert_eq!(parse_duration_ms("1.00m"), Some(60_000.0));
        assert_eq!(parse_duration_ms("250.00us"), Some(0.25));
        assert_eq!(parse_duration_ms("fast"), None);
    }

    #[test]
    fn finds_a_handle() {
        let json =
            r#"{"products":[{"id":"p1","handle" : "linen-shirt","title":"x"},{"handle":"b"}]}"#;
        assert_eq!(
            first_string_field(json, "handle").as_deref(),
            Some("linen-shirt")
        );
        assert_eq!(first_string_field(r#"{"handle":null}"#, "handle"), None);
        assert_eq!(first_string_field(r#"{"a":"b"}"#, "handle"), None);
        assert_eq!(
            first_string_field(r#"{"handle":"unterminated"#, "handle"),
            None
        );
    }

    #[test]
    fn finds_every_field() {
        let json = r#"{"items":[{"handle":"a","x":{"handle":7}},{"handle" : "b\"q"}],"next_cursor":"c=="}"#;
        assert_eq!(string_fields(json, "handle"), vec!["a", "b\"q"]);
        assert_eq!(
            first_string_field(json, "next_cursor").as_deref(),
            Some("c==")
        );
        assert_eq!(
            first_string_field(r#"{"next_cursor":null}"#, "next_cursor"),
            None
        );
        let levels =
            r#"[{"available":12,"n":1},{"available": -3},{"available":"x"},{"available":0}]"#;
        assert_eq!(integer_fields(levels, "available"), vec![12, -3, 0]);
    }

    #[test]
    fn counts_logged_errors() {
        let log = "\u{1b}[2m2026-11-22T08:02:14.792680Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m \u{1b}[2memporium_api::problem\u{1b}[0m\u{1b}[2m:\u{1b}[0m request failed\n\
                   2026-11-22T08:02:15Z  WARN x: slow\n\
                   2026-11-22T08:02:16Z ERROR y: again\n\
                   2026-11-22T08:02:17Z  INFO z: an ERROR in a message\n";
        let (count, first) = logged_errors(log);
        assert_eq!(count, 2);
        assert_eq!(
            first.as_deref(),
            Some("2026-11-22T08:02:14.792680Z ERROR emporium_api::problem: request failed")
        );
        assert_eq!(logged_errors("all quiet\n"), (0, None));
    }

    #[test]
    fn encodes_url_values() {
        assert_eq!(url_encode("linen-shirt_2.x~"), "linen-shirt_2.x~");
        assert_eq!(url_encode("a b+c/=é"), "a%20b%2Bc%2F%3D%C3%A9");
    }

    #[test]
    fn parses_http_responses() -> Result<()> {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert_eq!(parse_response(plain)?, (200, "ok".to_string()));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked)?, (404, "abcde".to_string()));
        Ok(())
    }

    #[test]
    fn reads_proc_status() {
        let status = "Name:\temporium\nVmHWM:\t  51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(proc_field(status, "VmRSS:"), Some(40960));
        assert_eq!(proc_field(status, "VmHWM:"), Some(51200));
        assert_eq!(proc_field(status, "VmSwap:"), None);
    }

    const BEGIN_MARKER: &str = MAIN_MARKERS.begin;
    const END_MARKER: &str = MAIN_MARKERS.end;

    #[test]
    fn replaces_only_between_markers() -> Result<()> {
        let doc =
            format!("# Title\n\nintro\n\n{BEGIN_MARKER}\nold table\n{END_MARKER}\n\nnotes after\n");
        let new = replace_between_markers(&doc, MAIN_MARKERS, "new table\n")?;
        assert_eq!(
            new,
            format!("# Title\n\nintro\n\n{BEGIN_MARKER}\nnew table\n{END_MARKER}\n\nnotes after\n")
        );
        // Idempotent.
        assert_eq!(
            replace_between_markers(&new, MAIN_MARKERS, "new table")?,
            new
        );
        Ok(())
    }

    #[test]
    fn keeps_the_other_section() -> Result<()> {
        let (sb, se) = (SEARCH_MARKERS.begin, SEARCH_MARKERS.end);
        let doc = format!(
            "# B\n\n{BEGIN_MARKER}\nmain\n{END_MARKER}\n\n## Search\n\n{sb}\nold\n{se}\n\nend\n"
        );
        let new = replace_between_markers(&doc, SEARCH_MARKERS, "search table")?;
        assert_eq!(
            new,
            format!(
                "# B\n\n{BEGIN_MARKER}\nmain\n{END_MARKER}\n\n## Search\n\n{sb}\nsearch table\n{se}\n\nend\n"
            )
        );
        let new = replace_between_markers(&new, MAIN_MARKERS, "catalog")?;
        assert!(new.contains(&format!("{BEGIN_MARKER}\ncatalog\n{END_MARKER}")));
        assert!(new.contains(&format!("{sb}\nsearch table\n{se}")));
        // A document without the search markers gets them at its end.
        let appended = replace_between_markers(
            &doc[..doc.find("## Search").unwrap_or(0)],
            SEARCH_MARKERS,
            "s",
        )?;
        assert!(
            appended.ends_with(&format!("{END_MARKER}\n\n{sb}\ns\n{se}\n")),
            "{appended}"
        );
        Ok(())
    }

    #[test]
    fn appends_markers_when_missing() -> Result<()> {
        let new = replace_between_markers("# Benchmarks\n\nhand-written\n", MAIN_MARKERS, "t")?;
        assert_eq!(
            new,
            format!("# Benchmarks\n\nhand-written\n\n{BEGIN_MARKER}\nt\n{END_MARKER}\n")
        );
        let fresh = replace_between_markers(NEW_DOC, MAIN_MARKERS, "t")?;
        assert!(fresh.starts_with("# Benchmarks\n"));
        assert!(fresh.ends_with(&format!("{BEGIN_MARKER}\nt\n{END_MARKER}\n")));
        Ok(())
    }

    #[test]
    fn rejects_broken_markers() {
        assert!(replace_between_markers(
            &format!("{END_MARKER}\n{BEGIN_MARKER}\n"),
            MAIN_MARKERS,
            "t"
        )
        .is_err());
        assert!(replace_between_markers(&format!("{BEGIN_MARKER}\n"), MAIN_MARKERS, "t").is_err());
    }

    #[test]
    fn writes_a_new_doc() -> Result<()> {
        let tmp = TempDir::new("xtask-test-bench-doc")?;
        let doc = tmp.path().join("docs").join("BENCHMARKS.md");
        let rows = vec![Row {
            scenario: "Static string (ceiling)".into(),
            path: "/bench/static".into(),
            stats: WrkStats {
                requests_per_sec: 50000.0,
                p50_ms: 0.5,
                p99_ms: 2.0,
                non_2xx: 0,
                socket_errors: None,
                requests: 1_000_000,
            },
            rss_kib: Some(20480),
            hwm_kib: Some(30720),
        }];
        write_results(&doc, MAIN_MARKERS, &table(&rows))?;
        write_results(&doc, MAIN_MARKERS, &table(&rows))?;
        let text = std::fs::read_to_string(&doc)?;
        assert_eq!(text.matches(BEGIN_MARKER).count(), 1);
        assert!(text.contains("| Static string (ceiling) | `/bench/static` | 50000 | 500 µs | 2.00 ms | 0 | 20.0 MiB | 30.0 MiB |"));
        Ok(())
    }
}
