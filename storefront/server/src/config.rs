//! Configuration from the environment (each variable also a flag), with defaults that
//! run on one machine with nothing installed.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;

#[derive(Args, Clone)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "EMPORIUM_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory for the SQLite file, the generated admin token and other local state.
    #[arg(long, env = "EMPORIUM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// `sqlite://…` or `postgres://…`; default: SQLite file `emporium.db` in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Bearer token for the Admin API; default: generated once into `<data dir>/admin-token`.
    #[arg(long, env = "EMPORIUM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Where the storefront finds the API; default: in process (no socket).
    #[arg(long, env = "EMPORIUM_API_URL")]
    pub api_url: Option<String>,

    /// Seed the demo catalog when `serve` finds the catalog empty.
    #[arg(long, env = "EMPORIUM_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// Directory holding the browser bundle (`pkg/`) and public files.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Serve `/bench/static`, the ceiling route for benchmarks.
    #[arg(long, env = "EMPORIUM_BENCH_ROUTES", default_value_t = false, action = clap::ArgAction::Set)]
    pub bench_routes: bool,

    /// Log format: `text` or `json`.
    #[arg(long, env = "EMPORIUM_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("emporium.db").display()),
        }
    }
}

/// Secrets stay out of logs and panics.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &emporium_kernel::db::redact(&self.database_url()),
            )
            .field("admin_token", &self.admin_token.as_ref().map(|_| "***"))
            .field("api_url", &self.api_url)
            .field("seed_demo", &self.seed_demo)
            .field("site_root", &self.site_root)
            .field("bench_routes", &self.bench_routes)
            .finish()
    }
}
