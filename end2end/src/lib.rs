//! Harness for the browser tests in `tests/`: starts the real `emporium` binary on a
//! free port with a fresh data directory (it migrates and seeds the demo catalog on
//! first start), a chromedriver, and headless Chromium sessions, and stops them all
//! when dropped.
//!
//! Environment:
//! - `EMPORIUM_BIN` (required): the built `emporium` binary (`cargo xtask build`);
//! - `LEPTOS_SITE_ROOT`: the site dir with `pkg/emporium.{js,wasm,css}`, passed through;
//! - `CHROMEDRIVER` (default `/usr/bin/chromedriver`), `CHROMIUM` (default `/usr/bin/chromium`).

use std::{
    fs::File,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use emporium_client::types::{Page, Product, ProductSummary, Variant};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the server may take to migrate, seed and answer `/health/ready`.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long a page may take to show what a test waits for.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a page may take to hydrate: the tests of a binary run at once, each in its
/// own Chromium, and all of them compile the development WASM bundle (over 10 MB) on
/// the same two cores.
const HYDRATION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a new shop's server may take to index its catalog.
const SEARCH_INDEX_TIMEOUT: Duration = Duration::from_secs(240);

/// A running `emporium serve`, killed on drop.
pub struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
    data_dir: TempDir,
}

impl Server {
    /// Starts the binary and waits until it is ready. Blocks the calling thread.
    pub fn start() -> Result<Server> {
        Server::launch(None)
    }

    /// [`Server::start`] sending its emails through the SMTP server at `smtp_url`, with
    /// links in them that point at this server.
    pub fn start_with_smtp(smtp_url: &str) -> Result<Server> {
        Server::launch(Some(smtp_url))
    }

    /// [`Server::start`] searching with the Meilisearch server at `url` in its own index
    /// `index` (deleted by the caller), instead of the embedded engine.
    pub fn start_with_meilisearch(url: &str, api_key: Option<&str>, index: &str) -> Result<Server> {
        let mut env = vec![("MEILI_URL", url), ("MEILI_INDEX", index)];
        if let Some(key) = api_key {
            env.push(("MEILI_API_KEY", key));
        }
        Server::launch_with(None, &env)
    }

    fn launch(smtp_url: Option<&str>) -> Result<Server> {
        Server::launch_with(smtp_url, &[])
    }

    fn launch_with(smtp_url: Option<&str>, env: &[(&str, &str)]) -> Result<Server> {
        let bin = std::env::var("EMPORIUM_BIN").unwrap_or_else(|_| {
            panic!(
                "EMPORIUM_BIN is not set: build the server (`cargo xtask build`) and run \
                 `EMPORIUM_BIN=<target>/debug/emporium LEPTOS_SITE_ROOT=<target>/site cargo test -p emporium-end2end`"
            )
        });
        let data_dir = tempfile::Builder::new().prefix("emporium-e2e-").tempdir()?;
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let log = data_dir.path().join("server.log");
        let log_file = File::create(&log)?;
        let mut command = Command::new(&bin);
        command
            .arg("serve")
            .env("EMPORIUM_ADDR", &addr)
            .env("EMPORIUM_DATA_DIR", data_dir.path())
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env_remove("DATABASE_URL")
            .env_remove("EMPORIUM_API_URL")
            .env_remove("EMPORIUM_ADMIN_TOKEN")
            // Emails go to `<data dir>/emails` and only manual payment is offered,
            // whatever the shell running the tests has configured.
            .env_remove("SMTP_URL")
            .env_remove("STRIPE_SECRET_KEY")
            .env_remove("STRIPE_PUBLISHABLE_KEY")
            .env_remove("STRIPE_WEBHOOK_SECRET")
            // The embedded search engine unless the test asks for Meilisearch.
            .env_remove("MEILI_URL")
            .env_remove("MEILI_API_KEY")
            .env_remove("MEILI_INDEX")
            .env("EMPORIUM_SEED_DEMO", "true")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        if let Some(url) = smtp_url {
            command
                .env("SMTP_URL", url)
                .env("EMPORIUM_EMAIL_TRANSPORT", "smtp")
                .env("EMPORIUM_PUBLIC_URL", format!("http://{addr}"));
        }
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        command.envs(env.iter().copied());
        let child = command
            .spawn()
            .with_context(|| format!("cannot start EMPORIUM_BIN={bin}"))?;
        let mut server = Server {
            child,
            addr,
            log,
            data_dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited with {status} before it was ready; log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok((200, _)) = blocking_get(&self.addr, "/health/ready") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the server was not ready after {SERVER_START_TIMEOUT:?}; log:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// `GET path` over HTTP/1.1: status and body.
    pub async fn get(&self, path: &str) -> Result<(u16, String)> {
        http_get(&self.addr, path).await
    }

    /// `GET path` that must answer 200 with JSON of type `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let (status, body) = self.get(path).await?;
        if status != 200 {
            bail!("GET {path} answered {status}: {body}");
        }
        serde_json::from_str(&body).with_context(|| format!("GET {path}: unexpected JSON"))
    }

    /// The server's `EMPORIUM_DATA_DIR` (database, admin token, `emails/`).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The emails the server wrote so far (no `SMTP_URL`: lettre's file transport
    /// writes one `.eml` file per email to `<data dir>/emails`), as (file, contents).
    pub fn emails(&self) -> Result<Vec<(PathBuf, String)>> {
        let dir = self.data_dir().join("emails");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot list {}", dir.display()))
            }
        };
        let mut emails = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "eml") {
                // A file still being written may be incomplete; the next poll reads it again.
                if let Ok(text) = std::fs::read_to_string(&path) {
                    emails.push((path, text));
                }
            }
        }
        emails.sort();
        Ok(emails)
    }

    /// Waits up to `timeout` for the confirmation email of order `number` (subject
    /// `Order #<number> confirmed`), then a moment more to see that no second copy
    /// follows; fails unless exactly one such email exists. Returns its contents.
    pub async fn wait_for_order_confirmation_email(
        &self,
        number: &str,
        timeout: Duration,
    ) -> Result<String> {
        let subject = format!("Subject: Order #{number} confirmed");
        let matching = |emails: Vec<(PathBuf, String)>| -> Vec<(PathBuf, String)> {
            emails
                .into_iter()
                .filter(|(_, text)| text.lines().any(|line| line.trim_end() == subject))
                .collect()
        };
        let deadline = Instant::now() + timeout;
        loop {
            if !matching(self.emails()?).is_empty() {
                break;
            }
            if Instant::now() > deadline {
                let names: Vec<String> = self
                    .emails()?
                    .iter()
                    .map(|(path, _)| path.display().to_string())
                    .collect();
                bail!(
                    "no email with {subject:?} in {} after {timeout:?}; emails there: {names:?}; \
                     server log:\n{}",
                    self.data_dir().join("emails").display(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // A duplicate (the event consumed twice, the mailer sending twice) would land
        // within the mailer's next rounds.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut found = matching(self.emails()?);
        match found.len() {
            1 => Ok(found.remove(0).1),
            n => {
                let names: Vec<String> = found
                    .iter()
                    .map(|(path, _)| path.display().to_string())
                    .collect();
                bail!("{n} emails carry {subject:?}, expected exactly one: {names:?}")
            }
        }
    }

    /// Every product of the catalog, through the Store API.
    pub async fn all_products(&self) -> Result<Vec<ProductSummary>> {
        let mut products = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1_000 {
            let mut path = "/store/products?limit=100".to_owned();
            if let Some(c) = &cursor {
                path.push_str("&cursor=");
                path.push_str(&encode(c));
            }
            let page: Page<ProductSummary> = self.get_json(&path).await?;
            products.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        anyhow::ensure!(!products.is_empty(), "the catalog has no products");
        Ok(products)
    }

    /// Waits until the search index holds every published product (a new shop's
    /// server builds its index in the background) and returns how many that is.
    pub async fn wait_for_search_index(&self) -> Result<u64> {
        let published = self.all_products().await?.len() as u64;
        let deadline = Instant::now() + SEARCH_INDEX_TIMEOUT;
        loop {
            let page: Value = self.get_json("/store/search?q=&limit=1").await?;
            let total = page["total"].as_u64().context("a search total")?;
            if total >= published {
                return Ok(total);
            }
            if Instant::now() > deadline {
                bail!(
                    "the search index holds {total} of {published} products after \
                     {SEARCH_INDEX_TIMEOUT:?}; server log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The last lines the server logged (for failure messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server for all tests of a test binary that run at the same time: seeding the
/// demo catalog once, not once per test. It stops when the last test lets go of it.
pub fn shared_server() -> Result<Arc<Server>> {
    static SERVER: Mutex<Weak<Server>> = Mutex::new(Weak::new());
    let mut slot = SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(server) = slot.upgrade() {
        return Ok(server);
    }
    let server = Arc::new(Server::start()?);
    *slot = Arc::downgrade(&server);
    Ok(server)
}

/// A chromedriver process with one headless Chromium session. Call [`Browser::close`]
/// at the end of a test; on drop (e.g. after a failed assertion) chromedriver's whole
/// process group, Chromium included, is killed.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// A browser with JavaScript on.
    pub async fn start() -> Result<Browser> {
        Browser::launch(true).await
    }

    /// A browser that runs no page JavaScript (what a shopper with JS off sees).
    pub async fn without_javascript() -> Result<Browser> {
        Browser::launch(false).await
    }

    /// Starts chromedriver and opens a session, up to three times: tests start browsers
    /// in parallel, and a driver port picked free can be taken by another process before
    /// chromedriver binds it, which shows up as a refused session. A new port and a new
    /// driver then succeed; a browser that cannot start at all still fails the test.
    async fn launch(javascript: bool) -> Result<Browser> {
        let mut last = None;
        for _ in 0..3 {
            match Browser::launch_once(javascript).await {
                Ok(browser) => return Ok(browser),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow!("chromedriver never started")))
    }

    async fn launch_once(javascript: bool) -> Result<Browser> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let profile = tempfile::Builder::new()
            .prefix("emporium-e2e-chromium-")
            .tempdir()?;
        let port = free_port()?;
        let mut command = Command::new(&chromedriver);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so drop can stop Chromium along with it.
            command.process_group(0);
        }
        let driver = command
            .spawn()
            .with_context(|| format!("cannot start chromedriver at {chromedriver}"))?;
        let mut browser_guard = DriverGuard(Some(driver));

        let driver_addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(&driver_addr).await.is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on {driver_addr}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://{driver_addr}"))
            .await
            .context("cannot open a Chromium session through chromedriver")?;
        let driver = browser_guard
            .0
            .take()
            .ok_or_else(|| anyhow!("chromedriver vanished"))?;
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn close(self) -> Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }

    /// Waits until `css` matches an element.
    pub async fn wait_for(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(UI_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matched `{css}` within {UI_TIMEOUT:?}"))
    }

    /// Waits until the text of the first element matching `css` satisfies `accept`;
    /// returns that text.
    pub async fn wait_for_text(&self, css: &str, accept: impl Fn(&str) -> bool) -> Result<String> {
        let deadline = Instant::now() + UI_TIMEOUT;
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if accept(&text) {
                        return Ok(text);
                    }
                    last = text;
                }
            }
            if Instant::now() > deadline {
                bail!("`{css}` still reads {last:?} after {UI_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the current URL satisfies `accept`; returns it.
    pub async fn wait_for_url(&self, accept: impl Fn(&url::Url) -> bool) -> Result<url::Url> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let url = self.client.current_url().await?;
            if accept(&url) {
                return Ok(url);
            }
            if Instant::now() > deadline {
                bail!("the URL is still {url} after {UI_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the app has hydrated (it sets `data-hydrated` on `<html>`).
    pub async fn wait_for_hydration(&self) -> Result<()> {
        let deadline = Instant::now() + HYDRATION_TIMEOUT;
        loop {
            let hydrated = self
                .client
                .execute(
                    "return document.documentElement.dataset.hydrated === 'true';",
                    vec![],
                )
                .await?;
            if hydrated == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the page did not hydrate within {HYDRATION_TIMEOUT:?} (is LEPTOS_SITE_ROOT/pkg built?)");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the link with exactly `text` inside the element matching `css`.
    pub async fn click_link_in(&self, css: &str, text: &str) -> Result<()> {
        let group = self.wait_for(css).await?;
        for link in group.find_all(Locator::Css("a")).await? {
            if link.text().await?.trim() == text {
                link.click().await?;
                return Ok(());
            }
        }
        bail!("no link {text:?} in `{css}`")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop_group(&mut self.driver);
    }
}

/// Stops chromedriver if launching the session fails half-way.
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            stop_group(child);
        }
    }
}

/// Kills a child that leads its own process group, and the group with it.
fn stop_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A product with two variants whose EUR prices differ and whose options differ in
/// exactly one value, so the option link for that value leads from one to the other.
#[derive(Debug, Clone)]
pub struct VariantPair {
    pub product: Product,
    /// The variant the page shows by default (the first).
    pub first: Variant,
    /// The variant the option link switches to.
    pub other: Variant,
    /// The option whose link to click, and its value on `other`.
    pub option: String,
    pub value: String,
}

impl VariantPair {
    /// Searches the catalog through the Store API.
    pub async fn find(server: &Server) -> Result<VariantPair> {
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let mut path = "/store/products?limit=100".to_owned();
            if let Some(c) = &cursor {
                path.push_str("&cursor=");
                path.push_str(&encode(c));
            }
            let page: Page<ProductSummary> = server.get_json(&path).await?;
            for summary in page.items.iter().filter(|p| p.variant_count >= 2) {
                let product: Product = server
                    .get_json(&format!("/store/products/{}", summary.handle))
                    .await?;
                if let Some(pair) = VariantPair::of(product) {
                    return Ok(pair);
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        bail!("no product has two variants with different EUR prices that differ in one option")
    }

    fn of(product: Product) -> Option<VariantPair> {
        let first = product.variants.first()?.clone();
        let first_price = first.price_in("EUR")?.amount;
        for other in product.variants.iter().skip(1) {
            let Some(price) = other.price_in("EUR") else {
                continue;
            };
            if price.amount == first_price {
                continue;
            }
            let differing: Vec<_> = product
                .options
                .iter()
                .filter(|o| other.option_value(&o.name) != first.option_value(&o.name))
                .collect();
            if let [option] = differing.as_slice() {
                let value = other.option_value(&option.name)?.to_owned();
                return Some(VariantPair {
                    option: option.name.clone(),
                    value,
                    first: first.clone(),
                    other: other.clone(),
                    product: product.clone(),
                });
            }
        }
        None
    }

    /// The displayed price of a variant in EUR, as the page formats it.
    pub fn eur(variant: &Variant) -> String {
        variant
            .price_in("EUR")
            .map(|p| emporium_client::types::format_money(p.amount, &p.currency))
            .unwrap_or_default()
    }

    /// The `data-testid` selector of the option group to click in.
    pub fn option_selector(&self) -> String {
        format!("[data-testid=\"option-{}\"]", self.option.to_lowercase())
    }
}

/// A variant a region can sell now: priced in the region's currency (EUR, the default
/// region's, unless asked otherwise) and, by the Store API's availability endpoint, in
/// stock (demo stock is seeded per variant and about one variant in 15 is sold out).
#[derive(Debug, Clone)]
pub struct Buyable {
    pub handle: String,
    pub title: String,
    pub variant_id: String,
    pub sku: String,
    /// The price in that currency as the pages format it.
    pub price: String,
    /// Units available when it was picked.
    pub available: i64,
}

/// One row of `GET /store/products/{id}/availability`.
#[derive(Debug, Clone, serde::Deserialize)]
struct Availability {
    variant_id: String,
    available: i64,
}

impl Buyable {
    /// The first variant in catalog order that is priced in EUR and has at least
    /// `min_available` units available, skipping the first `skip` such variants (so two
    /// tests sharing a server can buy different things).
    pub async fn find(server: &Server, skip: usize, min_available: i64) -> Result<Buyable> {
        Self::find_in(server, "EUR", skip, min_available).await
    }

    /// [`Buyable::find`] for a variant priced in `currency`.
    pub async fn find_in(
        server: &Server,
        currency: &str,
        skip: usize,
        min_available: i64,
    ) -> Result<Buyable> {
        let page: Page<ProductSummary> = server.get_json("/store/products?limit=50").await?;
        let mut skipped = 0;
        for summary in page.items {
            let product: Product = server
                .get_json(&format!("/store/products/{}", encode(&summary.handle)))
                .await?;
            let stock: Page<Availability> = server
                .get_json(&format!(
                    "/store/products/{}/availability",
                    encode(&summary.handle)
                ))
                .await?;
            for variant in product
                .variants
                .iter()
                .filter(|v| v.price_in(currency).is_some())
            {
                let available = stock
                    .items
                    .iter()
                    .find(|a| a.variant_id == variant.id)
                    .map_or(0, |a| a.available);
                if available < min_available {
                    continue;
                }
                if skipped < skip {
                    skipped += 1;
                    continue;
                }
                return Ok(Buyable {
                    handle: product.handle.clone(),
                    title: product.title.clone(),
                    variant_id: variant.id.clone(),
                    sku: variant.sku.clone(),
                    price: variant
                        .price_in(currency)
                        .map(|p| p.display())
                        .unwrap_or_default(),
                    available,
                });
            }
        }
        bail!("none of the first 50 products has a {currency}-priced variant with {min_available}+ units available")
    }

    /// `/products/<handle>?variant=<id>`
    pub fn path(&self) -> String {
        format!(
            "/products/{}?variant={}",
            encode(&self.handle),
            encode(&self.variant_id)
        )
    }
}

/// What a shopper types into the checkout form.
#[derive(Debug, Clone)]
pub struct Shopper {
    pub email: String,
    pub name: String,
    pub line1: String,
    pub city: String,
    pub postal_code: String,
    /// ISO code, one of the shopper's region's countries.
    pub country: String,
}

impl Shopper {
    /// A shopper in the United States (the USD region ships there) with this email.
    pub fn in_the_united_states(email: &str) -> Shopper {
        Shopper {
            email: email.to_owned(),
            name: "Grace Hopper".to_owned(),
            line1: "1 Main Street".to_owned(),
            city: "Arlington".to_owned(),
            postal_code: "22201".to_owned(),
            country: "US".to_owned(),
        }
    }

    /// A shopper in Germany (the default EUR region ships there) with this email.
    pub fn in_germany(email: &str) -> Shopper {
        Shopper {
            email: email.to_owned(),
            name: "Ada Lovelace".to_owned(),
            line1: "Hauptstrasse 1".to_owned(),
            city: "Berlin".to_owned(),
            postal_code: "10115".to_owned(),
            country: "DE".to_owned(),
        }
    }
}

impl Browser {
    /// Replaces the value of the input matching `css` by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let input = self.wait_for(css).await?;
        input.clear().await?;
        input
            .send_keys(text)
            .await
            .with_context(|| format!("cannot type into `{css}`"))?;
        let value = input.prop("value").await?.unwrap_or_default();
        if value != text {
            bail!("`{css}` holds {value:?} after typing {text:?}");
        }
        Ok(())
    }

    /// Fills contact and shipping address, picks the first shipping option and manual
    /// payment, and keeps "billing address is the same" checked. Does not submit.
    pub async fn fill_checkout_form(&self, shopper: &Shopper) -> Result<()> {
        self.fill("#field-email", &shopper.email).await?;
        self.fill("#field-shipping-address-name", &shopper.name)
            .await?;
        self.fill("#field-shipping-address-line1", &shopper.line1)
            .await?;
        self.fill("#field-shipping-address-postal-code", &shopper.postal_code)
            .await?;
        self.fill("#field-shipping-address-city", &shopper.city)
            .await?;
        self.wait_for("#field-shipping-address-country")
            .await?
            .select_by_value(&shopper.country)
            .await
            .with_context(|| format!("the country menu has no {}", shopper.country))?;
        let same = self.wait_for("#billing-same").await?;
        if same.prop("checked").await?.as_deref() != Some("true") {
            same.click().await?;
        }
        let shipping = self
            .wait_for("input[type=radio][name=shipping_option_id]")
            .await
            .context("the checkout form offers no shipping option")?;
        shipping.click().await?;
        let manual = self
            .wait_for("input[type=radio][name=payment_method][value=manual]")
            .await
            .context("the checkout form offers no manual payment")?;
        manual.click().await?;
        for (what, radio) in [("shipping option", &shipping), ("manual payment", &manual)] {
            if radio.prop("checked").await?.as_deref() != Some("true") {
                bail!("the {what} radio is not checked after clicking it");
            }
        }
        Ok(())
    }
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Percent-encodes `value` for a URL's query or path (unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A minimal HTTP/1.1 GET (Connection: close), enough for JSON and health checks.
async fn http_get(addr: &str, path: &str) -> Result<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

fn blocking_get(addr: &str, path: &str) -> Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<(u16, String)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("incomplete HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line in {head:?}"))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("bad chunked body"))?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let size = usize::from_str_radix(&size_text, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_with_length_and_chunked_bodies_are_parsed() -> Result<()> {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert_eq!(parse_response(plain)?, (200, "ok".to_owned()));
        let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked)?, (404, "abcde".to_owned()));
        Ok(())
    }
}
