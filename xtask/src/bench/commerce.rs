//! The commerce scenarios, per database (SQLite, then PostgreSQL when it answers), each on
//! a fresh server whose catalog `emporium seed --demo --products N` wrote before `serve`
//! (started with `EMPORIUM_SEED_DEMO=false` and a known admin token):
//!
//! - **Add to cart**: wrk with a Lua script (see [`super::lua`]) POSTs one unit at a time
//!   to carts created beforehand, over variants sampled across the whole catalog that
//!   have stock; the cart rules (99 units a line, 50 lines a cart, stock checked) are
//!   never hit, so every non-2xx response is a failure and is reported.
//! - **Place order**: `connections` shopper threads, each on its own keep-alive
//!   connection, place orders back to back for `duration` seconds: create a cart, add a
//!   line, set the checkout details, complete (with an `Idempotency-Key`). Orders reserve
//!   stock, so the variants used get 1,000,000 units through the Admin API first.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};

use super::http::{Conn, Response};
use super::lua::{self, AddToCartPlan};
use super::postgres::{self, PgServer};
use super::{
    fmt_kib, fmt_ms, free_port, integer_fields, measured_row, memory, run_wrk, server_command,
    spawn_server, string_fields, url_encode, wait_ready, with_server, Options, Report, Row, Server,
};
use crate::build::Built;
use crate::util::{note, run_limited, step};

pub const ADD_TO_CART_PATH: &str = "POST /store/carts/{id}/line-items";
/// Distinct variants per add-to-cart cart (a cart may hold 50).
const VARIANTS_PER_CART: usize = 10;
/// Units of one variant a cart may receive (a line may hold 99; every in-stock demo
/// variant has at least 5, and adding never reserves stock).
const UNITS_PER_LINE: usize = 5;
/// Products whose variants make the pool, spread evenly over the catalog.
const SAMPLED_PRODUCTS: usize = 1_000;
/// Variants the orders are spread over (each gets 1,000,000 units).
const ORDER_VARIANTS: usize = 500;
const ORDER_STOCK: i64 = 1_000_000;
/// Add-to-cart carts are sized for this rate, with this headroom: over twice any add rate
/// measured here (23k/s), so a run never runs out of plan (its extra adds would be 409s,
/// reported as errors). Fixed, not taken from the host's speed: the cart count decides how
/// many adds find their cart's lines remembered (`CARTS` in the cart crate's `recent`
/// module), and a count that followed the product-page rate made a fast host run a
/// different workload (docs/BENCHMARKS.md has the figures).
const PLAN_RATE: f64 = 50_000.0;
const RATE_HEADROOM: f64 = 1.5;
const MAX_CARTS: usize = 200_000;
/// Connections used to set a run up (listing products, creating carts, stock).
const SETUP_THREADS: usize = 8;
const SEED_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const CHECKOUT_BODY: &str = r#"{"email":"bench@example.com","shipping_address":{"name":"B","line1":"1 Main St","city":"Berlin","postal_code":"10115","country":"DE"},"shipping_option_id":"ship_eu_standard","payment_method":"manual"}"#;

/// Place-order results on one database.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub database: String,
    pub stats: OrderStats,
    pub rss_kib: Option<u64>,
    pub hwm_kib: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderStats {
    /// Orders completed (201 from `complete`).
    pub orders: u64,
    pub seconds: f64,
    /// The whole order: four calls.
    pub order_p50_ms: f64,
    pub order_p99_ms: f64,
    /// `POST /store/carts/{id}/complete` alone.
    pub complete_p50_ms: f64,
    pub complete_p99_ms: f64,
    /// Orders abandoned because a call failed.
    pub errors: u64,
    /// What failed (`"<step>: <status>"`) and how often, most frequent first.
    pub error_kinds: Vec<(String, u64)>,
}

impl OrderStats {
    pub fn orders_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.orders as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Both databases' commerce scenarios, into `report`.
pub fn run(built: &Built, scratch: &Path, opts: &Options, report: &mut Report) -> Result<()> {
    run_database(built, &scratch.join("sqlite"), opts, None, report)?;

    if !opts.postgres {
        note("PostgreSQL scenarios skipped (--skip-postgres)");
        return Ok(());
    }
    let pg = PgServer::parse(&opts.postgres_url)
        .with_context(|| format!("--postgres-url {:?}", opts.postgres_url))?;
    step(format!("bench: PostgreSQL at {}", pg.host_port));
    match pg.drop_stale_databases() {
        Err(err) => {
            let why = format!("{err:#}");
            note(format!("PostgreSQL skipped: {why}"));
            report.notes.push(format!(
                "PostgreSQL at `{}` did not answer ({}); its rows are missing.",
                pg.host_port,
                why.lines().next().unwrap_or_default()
            ));
        }
        Ok(dropped) => {
            for name in dropped {
                note(format!("dropped {name}, left by an earlier run"));
            }
            let name = postgres::new_database_name();
            pg.create_database(&name)
                .with_context(|| format!("creating database {name}"))?;
            note(format!("created database {name}"));
            let database = TempDatabase { pg: &pg, name };
            run_database(
                built,
                &scratch.join("postgres"),
                opts,
                Some((&pg, &database.name)),
                report,
            )?;
        }
    }
    Ok(())
}

/// A bench database, dropped when this goes out of scope (after its server stopped).
struct TempDatabase<'a> {
    pg: &'a PgServer,
    name: String,
}

impl Drop for TempDatabase<'_> {
    fn drop(&mut self) {
        match self.pg.drop_database(&self.name) {
            Ok(()) => note(format!("dropped database {}", self.name)),
            Err(err) => note(format!(
                "warning: could not drop database {}: {err:#}",
                self.name
            )),
        }
    }
}

fn run_database(
    built: &Built,
    dir: &Path,
    opts: &Options,
    postgres: Option<(&PgServer, &str)>,
    report: &mut Report,
) -> Result<()> {
    let label = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let database_url = postgres.map(|(pg, name)| pg.database_url(name));
    let database_url = database_url.as_deref();
    let addr = format!("127.0.0.1:{}", free_port()?);
    let token = format!("bench-{}", unique_suffix());

    step(format!(
        "bench: seeding {} demo products ({label})",
        opts.products
    ));
    let mut seed = server_command(built, dir, &addr)?;
    seed.args(["seed", "--demo", "--products", &opts.products.to_string()]);
    if let Some(url) = database_url {
        seed.env("DATABASE_URL", url);
    }
    let started = Instant::now();
    run_limited(&mut seed, SEED_TIMEOUT).context("seeding the catalog")?;
    note(format!("seeded in {:.1}s", started.elapsed().as_secs_f64()));
    if let Some((pg, name)) = postgres {
        // Measure the steady state, not the minute before autovacuum's first ANALYZE.
        pg.analyze(name)
            .with_context(|| format!("ANALYZE in {name}"))?;
        note("ANALYZE done");
    }

    // Each scenario gets its own server process over the same database, so neither
    // inherits the other's pool, caches or memory.
    let serve = || -> Result<Command> {
        let mut cmd = server_command(built, dir, &addr)?;
        cmd.env("EMPORIUM_SEED_DEMO", "false")
            .env("EMPORIUM_ADMIN_TOKEN", &token)
            // Each order comes from its own shopper, as in a shop: the per-client rate
            // limits on cart creation and order placement then count one shopper's
            // requests, not the whole bench's.
            .env("EMPORIUM_TRUSTED_PROXY_HEADER", SHOPPER_HEADER);
        if let Some(url) = database_url {
            cmd.env("DATABASE_URL", url);
        }
        Ok(cmd)
    };
    step(format!("bench: starting the {label} server on {addr}"));
    let server = spawn_server(built, dir, "server-add-to-cart.log", serve()?)?;
    let (row, pool) = with_server(server, |server| {
        wait_ready(server, &addr)?;
        let pool = variant_pool(&addr)?;
        let row = add_to_cart(server, &addr, dir, opts, &pool, label)?;
        check_log(server, &row.scenario, report);
        Ok((row, pool))
    })?;
    report.rows.push(row);

    step(format!(
        "bench: restarting the {label} server for place order"
    ));
    let server = spawn_server(built, dir, "server-place-order.log", serve()?)?;
    let orders = with_server(server, |server| {
        wait_ready(server, &addr)?;
        let orders = place_orders(server, &addr, &token, opts, &pool, label)?;
        check_log(server, &format!("Place order ({label})"), report);
        Ok(orders)
    })?;
    report.orders.push(orders);
    Ok(())
}

/// Errors the server logged during a scenario become a warning and a note under the
/// tables: a 5xx the client saw is in *Errors*, but not every server error reaches one.
fn check_log(server: &Server, scenario: &str, report: &mut Report) {
    let (count, first) = server.logged_errors();
    if count == 0 {
        return;
    }
    let first = first.unwrap_or_default();
    note(format!(
        "warning: the server logged {count} errors during {scenario}; the first: {first}"
    ));
    report.notes.push(format!(
        "{scenario}: the server logged {count} ERROR lines; the first: `{}`",
        excerpt(&first)
    ));
}

/// Unique enough for tokens and idempotency keys of one run.
fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Runs `work` over `items` on `threads` connections (item `i` on thread `i mod
/// threads`); the results in the items' order, or the first error.
fn parallel<T, R, F>(addr: &str, items: &[T], threads: usize, work: F) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&mut Conn, &T) -> Result<R> + Sync,
{
    let threads = threads.clamp(1, items.len().max(1));
    let work = &work;
    let per_thread: Vec<Result<Vec<(usize, R)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> Result<Vec<(usize, R)>> {
                    let mut conn = Conn::new(addr);
                    let mut out = Vec::new();
                    for i in (t..items.len()).step_by(threads) {
                        out.push((i, work(&mut conn, &items[i])?));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a worker thread panicked")))
            })
            .collect()
    });
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    for results in per_thread {
        for (i, r) in results? {
            slots[i] = Some(r);
        }
    }
    slots
        .into_iter()
        .map(|r| r.context("a result is missing"))
        .collect()
}

/// A response with the status `want`, or an error naming the call and the answer.
fn request_expecting(
    conn: &mut Conn,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    want: u16,
) -> Result<Response> {
    let response = conn.request(method, path, headers, body)?;
    if response.status != want {
        bail!(
            "{method} {path} returned {} (expected {want}): {}",
            response.status,
            excerpt(&response.body)
        );
    }
    Ok(response)
}

fn excerpt(body: &str) -> String {
    let mut out: String = body.chars().take(300).collect();
    if out.len() < body.len() {
        out.push('…');
    }
    out
}

/// The header that names the shopper (trusted by the bench's servers as the client
/// address the rate limits count).
const SHOPPER_HEADER: &str = "x-bench-shopper";

/// A shopper name no other request of this run uses.
fn new_shopper() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "shopper-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

fn create_cart(conn: &mut Conn) -> Result<String> {
    let shopper = new_shopper();
    let response = request_expecting(
        conn,
        "POST",
        "/store/carts",
        &[(SHOPPER_HEADER, &shopper)],
        Some("{}"),
        201,
    )?;
    super::first_string_field(&response.body, "id").context("no cart id in the new cart")
}

fn add_line_body(variant_id: &str) -> String {
    format!(
        r#"{{"variant_id":{},"quantity":1}}"#,
        json_string(variant_id)
    )
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// All published products' handles, through the paged list.
fn product_handles(addr: &str) -> Result<Vec<String>> {
    let mut conn = Conn::new(addr);
    let mut handles = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/store/products?limit=100&cursor={}", url_encode(c)),
            None => "/store/products?limit=100".to_string(),
        };
        let page = request_expecting(&mut conn, "GET", &path, &[], None, 200)?;
        let before = handles.len();
        handles.extend(string_fields(&page.body, "handle"));
        cursor = super::first_string_field(&page.body, "next_cursor");
        if cursor.is_none() || handles.len() == before {
            return Ok(handles);
        }
    }
}

/// Variants with at least [`UNITS_PER_LINE`] units available, from about
/// [`SAMPLED_PRODUCTS`] products spread over the catalog (one availability call each).
fn variant_pool(addr: &str) -> Result<Vec<String>> {
    step("bench: collecting in-stock variants");
    let handles = product_handles(addr)?;
    let stride = handles.len().div_ceil(SAMPLED_PRODUCTS).max(1);
    let sampled: Vec<&String> = handles.iter().step_by(stride).collect();
    let levels = parallel(addr, &sampled, SETUP_THREADS, |conn, handle| {
        let path = format!("/store/products/{}/availability", url_encode(handle));
        let body = request_expecting(conn, "GET", &path, &[], None, 200)?.body;
        availability(&body).with_context(|| format!("GET {path}"))
    })?;
    let mut pool = Vec::new();
    let mut variants = 0;
    for (id, available) in levels.into_iter().flatten() {
        variants += 1;
        if available >= UNITS_PER_LINE as i64 {
            pool.push(id);
        }
    }
    note(format!(
        "{} products listed, {} sampled: {variants} variants, {} with at least {UNITS_PER_LINE} units",
        handles.len(),
        sampled.len(),
        pool.len()
    ));
    if pool.len() < VARIANTS_PER_CART.max(2) {
        bail!("only {} variants in stock: too few to bench", pool.len());
    }
    Ok(pool)
}

/// `(variant_id, available)` pairs from `/store/products/{handle}/availability`.
pub fn availability(body: &str) -> Result<Vec<(String, i64)>> {
    let ids = string_fields(body, "variant_id");
    let available = integer_fields(body, "available");
    if ids.len() != available.len() {
        bail!(
            "{} variant ids but {} availability figures",
            ids.len(),
            available.len()
        );
    }
    Ok(ids.into_iter().zip(available).collect())
}

/// Carts for a run of `duration` seconds (see [`PLAN_RATE`]).
pub fn carts_for(duration: u32, connections: u32) -> usize {
    let requests = (PLAN_RATE * f64::from(duration) * RATE_HEADROOM).ceil() as u64;
    lua::carts_needed(requests, VARIANTS_PER_CART, UNITS_PER_LINE)
        .clamp(connections as usize * 4, MAX_CARTS)
}

fn add_to_cart(
    server: &mut Server,
    addr: &str,
    dir: &Path,
    opts: &Options,
    pool: &[String],
    label: &str,
) -> Result<Row> {
    let name = format!("Add to cart ({label}, {} products)", opts.products);
    let carts = carts_for(opts.duration, opts.connections);
    step(format!(
        "bench: {name}: creating {carts} carts ({VARIANTS_PER_CART} variants × up to \
         {UNITS_PER_LINE} units each, from {} variants)",
        pool.len()
    ));
    let started = Instant::now();
    let ids: Vec<usize> = (0..carts).collect();
    let carts = parallel(addr, &ids, SETUP_THREADS, |conn, _| create_cart(conn))?;
    note(format!(
        "created in {:.1}s",
        started.elapsed().as_secs_f64()
    ));
    // One add on a cart of its own, so a broken endpoint fails here, not as 20 s of 4xx.
    let mut conn = Conn::new(addr);
    let probe = create_cart(&mut conn)?;
    request_expecting(
        &mut conn,
        "POST",
        &format!("/store/carts/{probe}/line-items"),
        &[],
        Some(&add_line_body(&pool[0])),
        200,
    )
    .context("adding to a cart before the benchmark")?;
    drop(conn);

    let plan = AddToCartPlan {
        carts,
        variants: pool.to_vec(),
        per_cart: VARIANTS_PER_CART,
        units: UNITS_PER_LINE,
        threads: opts.threads,
    };
    let data = dir.join("add_to_cart_data.lua");
    let script = dir.join("add_to_cart.lua");
    std::fs::write(&data, lua::data_file(&plan))
        .with_context(|| format!("writing {}", data.display()))?;
    std::fs::write(&script, lua::ADD_TO_CART_SCRIPT)
        .with_context(|| format!("writing {}", script.display()))?;
    step(format!("bench: {name} ({ADD_TO_CART_PATH})"));
    let stats = run_wrk(
        opts,
        &format!("http://{addr}/"),
        Some((&script, &data)),
        None,
    )?;
    if stats.requests > plan.capacity() {
        note(format!(
            "warning: {} requests for a plan sized for {}: some carts got a variant more \
             than {UNITS_PER_LINE} times (raise the rate hint)",
            stats.requests,
            plan.capacity()
        ));
    }
    measured_row(server, &name, ADD_TO_CART_PATH, stats)
}

/// Why an order failed: the step and status (or connection error), and the answer.
#[derive(Debug)]
struct OrderFailure {
    kind: String,
    detail: String,
}

/// One order, four calls; the latency of `complete` on success.
fn place_order(conn: &mut Conn, variant_id: &str, key: &str) -> Result<Duration, OrderFailure> {
    let call = |conn: &mut Conn,
                what: &str,
                path: &str,
                headers: &[(&str, &str)],
                body: &str,
                want: u16|
     -> Result<Response, OrderFailure> {
        match conn.request("POST", path, headers, Some(body)) {
            Ok(r) if r.status == want => Ok(r),
            Ok(r) => Err(OrderFailure {
                kind: format!("{what}: {}", r.status),
                detail: excerpt(&r.body),
            }),
            Err(err) => Err(OrderFailure {
                kind: format!("{what}: connection error"),
                detail: format!("{err:#}"),
            }),
        }
    };
    let shopper = new_shopper();
    let cart = call(
        conn,
        "create cart",
        "/store/carts",
        &[(SHOPPER_HEADER, &shopper)],
        "{}",
        201,
    )?;
    let cart_id = super::first_string_field(&cart.body, "id").ok_or_else(|| OrderFailure {
        kind: "create cart: no id".into(),
        detail: excerpt(&cart.body),
    })?;
    let base = format!("/store/carts/{cart_id}");
    call(
        conn,
        "add line",
        &format!("{base}/line-items"),
        &[],
        &add_line_body(variant_id),
        200,
    )?;
    call(
        conn,
        "checkout",
        &format!("{base}/checkout"),
        &[],
        CHECKOUT_BODY,
        200,
    )?;
    let started = Instant::now();
    call(
        conn,
        "complete",
        &format!("{base}/complete"),
        &[("Idempotency-Key", key), (SHOPPER_HEADER, &shopper)],
        "",
        201,
    )?;
    Ok(started.elapsed())
}

fn place_orders(
    server: &mut Server,
    addr: &str,
    token: &str,
    opts: &Options,
    pool: &[String],
    label: &str,
) -> Result<OrderRow> {
    let stride = pool.len().div_ceil(ORDER_VARIANTS).max(1);
    let variants: Vec<String> = pool.iter().step_by(stride).cloned().collect();
    step(format!(
        "bench: place order ({label}): {} variants get {ORDER_STOCK} units",
        variants.len()
    ));
    let auth = format!("Bearer {token}");
    let body = format!(r#"{{"set_on_hand":{ORDER_STOCK},"reason":"bench"}}"#);
    parallel(addr, &variants, SETUP_THREADS, |conn, id| {
        let path = format!("/admin/inventory/{}/adjustments", url_encode(id));
        request_expecting(
            conn,
            "POST",
            &path,
            &[("Authorization", &auth)],
            Some(&body),
            200,
        )
        .map(drop)
    })?;
    let run = unique_suffix();
    let mut conn = Conn::new(addr);
    place_order(&mut conn, &variants[0], &format!("bench-{run}-probe")).map_err(|f| {
        anyhow!(
            "placing an order before the benchmark: {}: {}",
            f.kind,
            f.detail
        )
    })?;
    drop(conn);

    step(format!(
        "bench: place order ({label}): {} shoppers for {}s",
        opts.connections, opts.duration
    ));
    let stats = drive_orders(
        addr,
        &variants,
        opts.connections as usize,
        Duration::from_secs(u64::from(opts.duration)),
        &run,
    )?;
    if let Ok(Some(status)) = server.child.try_wait() {
        bail!("the server exited ({status}) while orders were placed");
    }
    let (rss_kib, hwm_kib) = memory(server.pid());
    note(format!(
        "{} orders in {:.1}s: {:.0} orders/s; order p50 {}, p99 {}; complete p50 {}, p99 {}; \
         RSS {}",
        stats.orders,
        stats.seconds,
        stats.orders_per_sec(),
        fmt_ms(stats.order_p50_ms),
        fmt_ms(stats.order_p99_ms),
        fmt_ms(stats.complete_p50_ms),
        fmt_ms(stats.complete_p99_ms),
        fmt_kib(rss_kib)
    ));
    for (kind, count) in &stats.error_kinds {
        note(format!("warning: {count} orders failed at {kind}"));
    }
    Ok(OrderRow {
        database: label.to_string(),
        stats,
        rss_kib,
        hwm_kib,
    })
}

/// What one shopper thread saw.
#[derive(Default)]
struct ShopperLog {
    order_us: Vec<u64>,
    complete_us: Vec<u64>,
    failures: BTreeMap<String, u64>,
    first_failure: Option<String>,
}

/// `shoppers` threads place orders back to back for `duration`; an order begun before
/// the end is finished and counted, and the rate is over the time until the last ends.
fn drive_orders(
    addr: &str,
    variants: &[String],
    shoppers: usize,
    duration: Duration,
    run: &str,
) -> Result<OrderStats> {
    let barrier = Barrier::new(shoppers + 1);
    let (logs, seconds) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..shoppers)
            .map(|shopper| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut conn = Conn::new(addr);
                    let mut log = ShopperLog::default();
                    barrier.wait();
                    let deadline = Instant::now() + duration;
                    let mut n = 0usize;
                    while Instant::now() < deadline {
                        let variant = &variants[(shopper + n * shoppers) % variants.len()];
                        let key = format!("bench-{run}-{shopper}-{n}");
                        n += 1;
                        let started = Instant::now();
                        match place_order(&mut conn, variant, &key) {
                            Ok(complete) => {
                                log.order_us.push(started.elapsed().as_micros() as u64);
                                log.complete_us.push(complete.as_micros() as u64);
                            }
                            Err(failure) => {
                                *log.failures.entry(failure.kind.clone()).or_default() += 1;
                                log.first_failure.get_or_insert_with(|| {
                                    format!("{}: {}", failure.kind, failure.detail)
                                });
                                // A server in trouble is not helped by a tight retry loop.
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                    }
                    log
                })
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        let logs: Vec<Result<ShopperLog>> = handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a shopper thread panicked")))
            .collect();
        (logs, started.elapsed().as_secs_f64())
    });
    let mut order_us = Vec::new();
    let mut complete_us = Vec::new();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_failure = None;
    for log in logs {
        let log = log?;
        order_us.extend(log.order_us);
        complete_us.extend(log.complete_us);
        for (kind, count) in log.failures {
            *failures.entry(kind).or_default() += count;
        }
        if first_failure.is_none() {
            first_failure = log.first_failure;
        }
    }
    if let Some(first) = first_failure {
        note(format!("first failed order: {first}"));
    }
    Ok(order_stats(order_us, complete_us, failures, seconds))
}

pub fn order_stats(
    mut order_us: Vec<u64>,
    mut complete_us: Vec<u64>,
    failures: BTreeMap<String, u64>,
    seconds: f64,
) -> OrderStats {
    order_us.sort_unstable();
    complete_us.sort_unstable();
    let mut error_kinds: Vec<(String, u64)> = failures.into_iter().collect();
    error_kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    OrderStats {
        orders: order_us.len() as u64,
        seconds,
        order_p50_ms: percentile_ms(&order_us, 50.0),
        order_p99_ms: percentile_ms(&order_us, 99.0),
        complete_p50_ms: percentile_ms(&complete_us, 50.0),
        complete_p99_ms: percentile_ms(&complete_us, 99.0),
        errors: error_kinds.iter().map(|(_, n)| n).sum(),
        error_kinds,
    }
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds (0 when empty).
pub fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_us.len()) - 1;
    sorted_us[index] as f64 / 1000.0
}

pub fn orders_table(rows: &[OrderRow]) -> String {
    let mut out = String::from(
        "| Place order | Orders/s | Order p50 | Order p99 | Complete p50 | Complete p99 | Errors | RSS after | Peak RSS |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let s = &r.stats;
        let errors = if s.error_kinds.is_empty() {
            "0".to_string()
        } else {
            let kinds: Vec<String> = s
                .error_kinds
                .iter()
                .map(|(kind, n)| format!("{n} at {kind}"))
                .collect();
            format!("{} ({})", s.errors, kinds.join(", "))
        };
        out.push_str(&format!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.database,
            s.orders_per_sec(),
            fmt_ms(s.order_p50_ms),
            fmt_ms(s.order_p99_ms),
            fmt_ms(s.complete_p50_ms),
            fmt_ms(s.complete_p99_ms),
            errors,
            fmt_kib(r.rss_kib),
            fmt_kib(r.hwm_kib)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_availability() -> Result<()> {
        let body = r#"{"items":[{"variant_id":"var_1","available":12,"in_stock":true},{"variant_id":"var_2","available":0,"in_stock":false}],"next_cursor":null}"#;
        assert_eq!(
            availability(body)?,
            vec![("var_1".to_string(), 12), ("var_2".to_string(), 0)]
        );
        assert!(availability(r#"{"items":[{"variant_id":"v"}]}"#).is_err());
        Ok(())
    }

    #[test]
    fn percentiles() {
        let us: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&us, 50.0), 50.0);
        assert_eq!(percentile_ms(&us, 99.0), 99.0);
        assert_eq!(percentile_ms(&us, 100.0), 100.0);
        assert_eq!(percentile_ms(&[2500], 99.0), 2.5);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    #[test]
    fn summarises_orders() {
        let failures = BTreeMap::from([
            ("checkout: 409".to_string(), 1),
            ("complete: 500".into(), 3),
        ]);
        let s = order_stats(
            vec![3000, 1000, 2000, 4000],
            vec![500, 400, 300, 200],
            failures,
            2.0,
        );
        assert_eq!(s.orders, 4);
        assert_eq!(s.orders_per_sec(), 2.0);
        assert_eq!((s.order_p50_ms, s.order_p99_ms), (2.0, 4.0));
        assert_eq!((s.complete_p50_ms, s.complete_p99_ms), (0.3, 0.5));
        assert_eq!(s.errors, 4);
        assert_eq!(s.error_kinds[0], ("complete: 500".to_string(), 3));
        let table = orders_table(&[OrderRow {
            database: "SQLite".into(),
            stats: s,
            rss_kib: Some(40960),
            hwm_kib: None,
        }]);
        assert!(table.contains(
            "| SQLite | 2 | 2.00 ms | 4.00 ms | 300 µs | 500 µs | 4 (3 at complete: 500, 1 at checkout: 409) | 40.0 MiB | ? |"
        ), "{table}");
        assert_eq!(OrderStats::default().orders_per_sec(), 0.0);
    }

    #[test]
    fn sizes_add_to_cart_runs() {
        // 50,000/s × 20 s × 1.5 = 1,500,000 adds, 50 per cart.
        assert_eq!(carts_for(20, 32), 30_000);
        assert_eq!(carts_for(15, 32), 22_500);
        // At least 4 carts per connection, at most MAX_CARTS.
        assert_eq!(carts_for(1, 2_000), 8_000);
        assert_eq!(carts_for(600, 32), MAX_CARTS);
    }

    #[test]
    fn writes_request_bodies() {
        assert_eq!(
            add_line_body("var_01"),
            r#"{"variant_id":"var_01","quantity":1}"#
        );
        assert_eq!(json_string("a\"b\\\n"), r#""a\"b\\\u000a""#);
        assert!(CHECKOUT_BODY.contains(r#""shipping_option_id":"ship_eu_standard""#));
    }
}
