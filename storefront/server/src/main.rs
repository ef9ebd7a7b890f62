//! `emporium`: one binary for the whole platform.
//!
//! - `serve`: the API, the storefront and (later) the workers in one process, on the
//!   embedded defaults unless configured otherwise; `--role` is reserved for scale-out.
//! - `migrate`: create or upgrade every service's tables.
//! - `seed --demo`: write the deterministic demo catalog.
//! - `search reindex`: rebuild the product search index from the database.

mod config;

use std::{path::Path, sync::Arc};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use emporium_api::{
    commerce::Commerce, middleware::with_http_layers, ApiConfig, AppState, InProcessTransport,
};
use emporium_catalog::Catalog;
use emporium_client::{Client, HttpTransport};
use emporium_demo::DemoOptions;
use emporium_kernel::db::{redact, Database};
use indicatif::{ProgressBar, ProgressStyle};
use leptos::config::LeptosOptions;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// mimalloc instead of glibc's malloc: a server-rendered page allocates and frees many
/// small strings across threads, where glibc spent a quarter of the CPU (perf, product
/// page under wrk).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "emporium", version, about = "Emporium headless commerce")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the storefront.
    Serve,
    /// Create or upgrade the database tables.
    Migrate,
    /// Write sample data.
    Seed {
        /// The demo catalog (1,000+ products in 20+ categories).
        #[arg(long)]
        demo: bool,
        /// How many demo products.
        #[arg(long, default_value_t = 1_200)]
        products: usize,
    },
    /// Product search.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the index from the database; searches keep answering from the old one
    /// until the new one is complete (also while `serve` runs).
    Reindex,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli.config.log_format);
    let config = cli.config;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let (catalog, _) = open_services(&config).await?;
            catalog.database().close().await;
            Ok(())
        }
        Command::Seed { demo, products } => {
            if !demo {
                bail!("say what to seed: `emporium seed --demo`");
            }
            let (catalog, commerce) = open_services(&config).await?;
            seed_demo(&catalog, &commerce, products).await?;
            catalog.database().close().await;
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Reindex,
        } => {
            let (catalog, commerce) = open_services(&config).await?;
            let search = open_search(&config, &catalog, &commerce).await?;
            reindex(&search).await?;
            catalog.database().close().await;
            Ok(())
        }
    }
}

/// The search index the configuration names: Meilisearch with `MEILI_URL`, else the
/// embedded engine under the data dir, pricing in the regions' currencies.
async fn open_search(
    config: &Config,
    catalog: &Catalog,
    commerce: &Commerce,
) -> anyhow::Result<emporium_api::search::Search> {
    use emporium_search::{embedded::EmbeddedIndex, meili::MeiliIndex, SearchIndex};

    let mut currencies: Vec<emporium_kernel::money::Currency> = commerce
        .carts
        .regions()
        .await
        .context("cannot read the regions' currencies")?
        .into_iter()
        .map(|r| r.currency)
        .collect();
    currencies.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    currencies.dedup();
    if currencies.is_empty() {
        currencies.push(emporium_kernel::money::Currency::EUR);
    }
    let codes: Vec<&str> = currencies.iter().map(|c| c.as_str()).collect();
    let index: Arc<dyn SearchIndex> = match &config.meili_url {
        Some(url) => Arc::new(
            MeiliIndex::connect(
                url,
                config.meili_api_key.as_deref(),
                &config.meili_index,
                &codes,
            )
            .await
            .with_context(|| format!("cannot use Meilisearch at {url} (MEILI_URL)"))?,
        ),
        None => {
            let dir = config.data_dir.join("search");
            match EmbeddedIndex::open(&dir, &codes) {
                Ok(index) => Arc::new(index),
                Err(e) => {
                    // The index is derived data: one that cannot be opened (built for
                    // other currencies, or damaged) is replaced and rebuilt.
                    tracing::warn!(dir = %dir.display(), error = %e, "replacing the search index");
                    std::fs::remove_dir_all(&dir)
                        .with_context(|| format!("cannot remove {}", dir.display()))?;
                    Arc::new(
                        EmbeddedIndex::open(&dir, &codes)
                            .with_context(|| format!("cannot open {}", dir.display()))?,
                    )
                }
            }
        }
    };
    Ok(emporium_api::search::Search::new(
        index,
        catalog.clone(),
        commerce.inventory.clone(),
        currencies,
    ))
}

async fn reindex(search: &emporium_api::search::Search) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "indexing products {bar:40} {pos}/{len} ({elapsed}, {per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let progress = move |done: u64, total: u64| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    };
    let started = std::time::Instant::now();
    let report = search
        .rebuild(&progress)
        .await
        .context("rebuilding the search index failed")?;
    bar.finish();
    tracing::info!(
        products = report.products,
        replayed = report.replayed,
        seconds = started.elapsed().as_secs_f64(),
        "search index rebuilt and swapped in"
    );
    Ok(())
}

fn init_tracing(format: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Connects, and migrates every service's tables.
async fn open_services(config: &Config) -> anyhow::Result<(Catalog, Commerce)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let url = config.database_url();
    let db = Database::connect(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact(&url)))?;
    let catalog = Catalog::new(db.clone());
    catalog
        .migrate()
        .await
        .context("catalog migrations failed")?;
    let commerce = Commerce::new(db, catalog.clone(), config.commerce()?)
        .context("cannot set up the commerce services")?;
    commerce
        .migrate()
        .await
        .context("commerce migrations failed")?;
    // Catalog writes wake the dispatcher, so the search index follows them at once.
    let catalog = catalog.with_bus(commerce.bus.clone());
    tracing::info!(database = %redact(&url), "database ready");
    Ok((catalog, commerce))
}

async fn seed_demo(catalog: &Catalog, commerce: &Commerce, products: usize) -> anyhow::Result<()> {
    let bar = ProgressBar::new(products as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "seeding demo catalog {bar:40} {pos}/{len} products ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let progress = move |done: u64, total: u64| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    };
    let report = emporium_demo::seed_demo(catalog, DemoOptions { products }, &progress)
        .await
        .context("seeding the demo catalog failed")?;
    bar.finish();
    let variant_ids = catalog.variant_ids().await?;
    commerce
        .inventory
        .seed_demo(&variant_ids)
        .await
        .context("seeding demo stock failed")?;
    commerce
        .carts
        .seed_demo()
        .await
        .context("seeding the demo discount failed")?;
    catalog
        .database()
        .refresh_statistics()
        .await
        .context("refreshing planner statistics after seeding failed")?;
    tracing::info!(
        products = report.products,
        variants = report.variants,
        categories = report.categories,
        collections = report.collections,
        "demo catalog seeded"
    );
    Ok(())
}

/// The admin token from configuration, or one generated once into the data dir so a
/// fresh install has a working Admin API without printing a secret to the log.
fn admin_token(config: &Config) -> anyhow::Result<String> {
    if let Some(token) = &config.admin_token {
        return Ok(token.clone());
    }
    let path = config.data_dir.join("admin-token");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let token = format!(
        "{}{}",
        emporium_kernel::id::new_id("adm"),
        emporium_kernel::id::new_id("")
    );
    write_private(&path, &token)?;
    tracing::info!(path = %path.display(), "generated an Admin API token");
    Ok(token)
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting");
    let (catalog, commerce) = open_services(&config).await?;
    if config.seed_demo && catalog.is_empty().await? {
        seed_demo(&catalog, &commerce, DemoOptions::default().products).await?;
    }
    let search = open_search(&config, &catalog, &commerce).await?;
    let commerce = commerce.with_search(search);
    // Events, reservation expiry and email delivery run beside the server and stop
    // with it.
    let (stop_workers, workers_stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = commerce.spawn_workers(async move {
        let _ = workers_stopped.await;
    });
    let api_config = ApiConfig {
        admin_token: Some(admin_token(&config)?),
        bench_routes: config.bench_routes,
        trusted_proxy_header: config.trusted_proxy_header()?,
        cors_origins: config.cors_origins()?,
    };
    let storefront_config = emporium_storefront::StorefrontConfig {
        page_cache_ttl: std::time::Duration::from_secs(config.page_cache_ttl),
        trusted_proxy_header: config.trusted_proxy_header()?,
    };
    let api = emporium_api::router(AppState::new(catalog.clone(), commerce, api_config));

    // The storefront speaks only the public API, through the typed client.
    let client = match &config.api_url {
        Some(url) => Client::new(HttpTransport::new(url.clone())),
        None => Client::new(InProcessTransport::new(api.clone())),
    };
    let leptos_options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("emporium"))
        .site_root(Arc::<str>::from(config.site_root.as_str()))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .site_addr(config.addr)
        .build();
    // The storefront's forms act with the shopper's cookies: only its own pages may post
    // them.
    let site = emporium_storefront::router_with_config(client, leptos_options, storefront_config)
        .layer(axum::middleware::from_fn(
            emporium_api::middleware::same_origin_forms,
        ));
    let app = with_http_layers(api.merge(site));

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    tracing::info!(addr = %config.addr, "listening on http://{}", config.addr);
    // The peer's address keys the Store API's rate limits.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server failed")?;
    let _ = stop_workers.send(());
    for worker in workers {
        let _ = worker.await;
    }
    catalog.database().close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    // axum finishes in-flight requests after this returns.
    tracing::info!("shutting down");
}
