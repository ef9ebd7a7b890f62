//! Emporium's task runner, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `setup`: install the toolchain pieces and test tools (idempotent).
//! - `build [--release]`: the browser bundle into `<target>/site` and the `emporium` binary.
//! - `run [--release]`: setup, build, then `emporium serve`.
//! - `test [--no-lint]`: setup, build, unit/service/API tests, browser tests, the API
//!   contract (schemathesis), clippy, rustfmt.
//! - `contract`: only the API contract stage of `test` (schemathesis).
//! - `bench`: wrk (and an order driver) against the release binary: catalog reads,
//!   commerce, search; results into `docs/BENCHMARKS.md`.

mod bench;
mod build;
mod contract;
mod setup;
mod test;
mod util;

use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::util::{step, Paths};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Emporium's build, test and benchmark tasks"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Install what the build and tests need: Debian packages, a wasm32 std, wasm-bindgen-cli
    /// (the Cargo.lock version), wasm-opt (binaryen 132), Python's aiosmtpd and schemathesis.
    Setup {
        /// Only what `build` needs (no Chromium, wrk or Python packages), e.g. in the Docker
        /// image.
        #[arg(long)]
        build_only: bool,
    },
    /// Build the browser bundle into <target>/site and the `emporium` server binary.
    Build {
        /// Optimised build: wasm-release profile plus wasm-opt, and `cargo build --release`.
        #[arg(long)]
        release: bool,
    },
    /// Set up, build, then run `emporium serve` (environment passed through).
    Run {
        #[arg(long)]
        release: bool,
    },
    /// Set up, build, and run every test stage (unit, e2e, the API contract), then clippy
    /// and rustfmt.
    Test {
        /// Skip clippy and `cargo fmt --check` (CI always runs them).
        #[arg(long)]
        no_lint: bool,
    },
    /// Only the API contract stage of `test`: build the server (not the browser bundle) and
    /// run schemathesis against its /openapi.json (`XTASK_CONTRACT_SEED` picks the seed).
    Contract,
    /// Benchmark the release binary (catalog reads, add to cart, place order, search) and
    /// record the tables in docs/BENCHMARKS.md.
    Bench {
        /// Seconds per scenario.
        #[arg(long, default_value_t = 20, value_name = "SECS")]
        duration: u32,
        /// Open connections (wrk -c), and concurrent shoppers placing orders.
        #[arg(long, default_value_t = 32, value_name = "N")]
        connections: u32,
        /// Only the catalog reads: no add-to-cart or place-order scenarios.
        #[arg(long)]
        skip_commerce: bool,
        /// Only the commerce scenarios: no catalog reads (for iterating on writes).
        #[arg(long)]
        skip_catalog: bool,
        /// The commerce scenarios on SQLite only.
        #[arg(long)]
        skip_postgres: bool,
        /// Demo products seeded for the commerce scenarios.
        #[arg(long, default_value_t = 10_000, value_name = "N")]
        products: usize,
        /// PostgreSQL server for the commerce scenarios (trust authentication); a fresh
        /// database is created on it and dropped afterwards. Skipped if it does not answer.
        #[arg(
            long,
            default_value = "postgres://postgres@127.0.0.1:5432",
            value_name = "URL"
        )]
        postgres_url: String,
        /// No search scenarios (index build, search and suggest latency).
        #[arg(long)]
        skip_search: bool,
        /// Demo products seeded and indexed for the search scenarios.
        #[arg(long, default_value_t = 100_000, value_name = "N")]
        search_products: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let paths = Paths::discover()?;
    match cli.command {
        Cmd::Setup { build_only } => {
            setup::setup(&paths, setup::Options { build_only })?;
        }
        Cmd::Build { release } => {
            build::build(&paths, release, None)?;
        }
        Cmd::Run { release } => {
            let toolchain = setup::setup(&paths, setup::Options::default())?;
            let built = build::build(&paths, release, Some(toolchain))?;
            let mut cmd = Command::new(&built.server_bin);
            cmd.arg("serve")
                .current_dir(&paths.root)
                .env("LEPTOS_SITE_ROOT", &built.site)
                .env("LEPTOS_SITE_PKG_DIR", "pkg");
            step(format!("run: {}", util::display(&cmd)));
            exec(cmd).with_context(|| format!("running {}", built.server_bin.display()))?;
        }
        Cmd::Test { no_lint } => test::test(&paths, test::Options { no_lint })?,
        Cmd::Contract => contract::standalone(&paths)?,
        Cmd::Bench {
            duration,
            connections,
            skip_commerce,
            skip_catalog,
            skip_postgres,
            products,
            postgres_url,
            skip_search,
            search_products,
        } => bench::bench(
            &paths,
            bench::Options {
                duration,
                connections,
                threads: 2,
                commerce: !skip_commerce,
                catalog: !skip_catalog,
                postgres: !skip_postgres,
                products,
                postgres_url,
                search: !skip_search,
                search_products,
            },
        )?,
    }
    Ok(())
}

/// Replaces this process with the server so signals (Ctrl-C) reach it directly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(err).context("exec failed")
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result<()> {
    let status = cmd.status().context("could not start the server")?;
    anyhow::ensure!(status.success(), "the server exited with {status}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_arguments() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("xtask").chain(args.iter().copied()))
        };
        assert!(matches!(
            parse(&["build", "--release"]).map(|c| c.command).ok(),
            Some(Cmd::Build { release: true })
        ));
        assert!(matches!(
            parse(&["test", "--no-lint"]).map(|c| c.command).ok(),
            Some(Cmd::Test { no_lint: true })
        ));
        assert!(matches!(
            parse(&["bench", "--duration", "5", "--connections", "8"])
                .map(|c| c.command)
                .ok(),
            Some(Cmd::Bench {
                duration: 5,
                connections: 8,
                skip_commerce: false,
                ..
            })
        ));
        assert!(matches!(
            parse(&["bench"]).map(|c| c.command).ok(),
            Some(Cmd::Bench {
                duration: 20,
                connections: 32,
                skip_commerce: false,
                skip_catalog: false,
                skip_postgres: false,
                products: 10_000,
                postgres_url,
                skip_search: false,
                search_products: 100_000,
            }) if postgres_url == "postgres://postgres@127.0.0.1:5432"
        ));
        assert!(matches!(
            parse(&[
                "bench",
                "--skip-catalog",
                "--skip-commerce",
                "--search-products",
                "5000"
            ])
            .map(|c| c.command)
            .ok(),
            Some(Cmd::Bench {
                skip_catalog: true,
                skip_commerce: true,
                skip_search: false,
                search_products: 5_000,
                ..
            })
        ));
        assert!(matches!(
            parse(&["bench", "--skip-search"]).map(|c| c.command).ok(),
            Some(Cmd::Bench {
                skip_search: true,
                ..
            })
        ));
        assert!(matches!(
            parse(&["bench", "--skip-commerce", "--products", "2000"])
                .map(|c| c.command)
                .ok(),
            Some(Cmd::Bench {
                skip_commerce: true,
                products: 2_000,
                ..
            })
        ));
        assert!(parse(&["bench", "--products", "many"]).is_err());
        assert!(matches!(
            parse(&["setup", "--build-only"]).map(|c| c.command).ok(),
            Some(Cmd::Setup { build_only: true })
        ));
        assert!(parse(&["bench", "--duration", "soon"]).is_err());
        assert!(parse(&["deploy"]).is_err());
    }
}
