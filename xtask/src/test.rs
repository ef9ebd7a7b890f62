//! `cargo xtask test`: setup, build, unit/service/API tests, browser tests, the API contract
//! (schemathesis against the served `/openapi.json`), clippy, rustfmt.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::build::{self, HYDRATE_PACKAGE};
use crate::contract;
use crate::setup;
use crate::util::{in_ci, note, run, run_limited, step, Paths};

pub const END2END_PACKAGE: &str = "emporium-end2end";
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const POSTGRES_ADDR: &str = "127.0.0.1:5432";
/// Overrides the time limits of the test stages (minutes), e.g. for a slow machine.
const TIMEOUT_ENV: &str = "XTASK_TEST_TIMEOUT_MINS";
/// A hung test must not eat CI's whole 90 minutes: the test stages get these limits.
const UNIT_TIMEOUT_MINS: u64 = 30;
const E2E_TIMEOUT_MINS: u64 = 20;

fn stage_limit(default_mins: u64) -> Duration {
    let mins = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(default_mins);
    Duration::from_secs(mins * 60)
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Skip clippy and rustfmt.
    pub no_lint: bool,
}

struct StageResult {
    name: &'static str,
    seconds: f64,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped(&'static str),
}

/// Runs the stages in order; setup and build failures stop the run, later stages all run so
/// one CI run reports every failure.
pub fn test(paths: &Paths, opts: Options) -> Result<()> {
    let postgres_url = postgres_url()?;
    let mut results: Vec<StageResult> = Vec::new();

    let mut toolchain = None;
    let ok = stage(&mut results, "setup", || {
        toolchain = Some(setup::setup(paths, setup::Options::default())?);
        Ok(())
    });
    let mut built = None;
    if ok {
        stage(&mut results, "build", || {
            built = Some(build::build(paths, false, toolchain.take())?);
            Ok(())
        });
    }

    if let Some(built) = built {
        stage(&mut results, "unit", || {
            let mut cmd = cargo(paths);
            // --no-fail-fast: one run reports every failing test binary, not just the first.
            cmd.args(["test", "--no-fail-fast", "--workspace"]).args([
                "--exclude",
                END2END_PACKAGE,
                "--exclude",
                HYDRATE_PACKAGE,
            ]);
            if let Some(url) = &postgres_url {
                cmd.env("TEST_POSTGRES_URL", url);
            }
            run_limited(&mut cmd, stage_limit(UNIT_TIMEOUT_MINS))
        });
        stage(&mut results, "e2e", || {
            let mut cmd = cargo(paths);
            cmd.args(["test", "--no-fail-fast", "-p", END2END_PACKAGE])
                .env("EMPORIUM_BIN", &built.server_bin)
                .env("LEPTOS_SITE_ROOT", &built.site)
                .env("LEPTOS_SITE_PKG_DIR", "pkg")
                .env("CHROMEDRIVER", "/usr/bin/chromedriver")
                .env("CHROMIUM", "/usr/bin/chromium");
            if let Some(url) = &postgres_url {
                cmd.env("TEST_POSTGRES_URL", url);
            }
            run_limited(&mut cmd, stage_limit(E2E_TIMEOUT_MINS))
        });
        // schemathesis comes from `setup`; only a run outside CI may go without it.
        match setup::schemathesis_usable() {
            None if !in_ci() => {
                note("warning: schemathesis 4 is not installed (`cargo xtask setup`): contract stage skipped");
                results.push(StageResult {
                    name: "contract",
                    seconds: 0.0,
                    outcome: Outcome::Skipped("no schemathesis"),
                });
            }
            _ => {
                stage(&mut results, "contract", || {
                    if setup::schemathesis_usable().is_none() {
                        bail!(
                            "CI=true but schemathesis 4 is not installed: the contract stage must run \
                             in CI (`cargo xtask setup` installs it)"
                        );
                    }
                    contract::run(&built, stage_limit(contract::TIMEOUT_MINS))
                });
            }
        }
        if opts.no_lint {
            for name in ["clippy", "fmt"] {
                results.push(StageResult {
                    name,
                    seconds: 0.0,
                    outcome: Outcome::Skipped("--no-lint"),
                });
            }
        } else {
            stage(&mut results, "clippy", || {
                run(cargo(paths).args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            });
            stage(&mut results, "fmt", || {
                run(cargo(paths).args(["fmt", "--all", "--", "--check"]))
            });
        }
    }

    step("test: summary");
    for r in &results {
        let outcome = match &r.outcome {
            Outcome::Passed => "ok".to_string(),
            Outcome::Failed(_) => "FAILED".to_string(),
            Outcome::Skipped(why) => format!("skipped ({why})"),
        };
        println!("    {:<8} {:<18} {:>8.1}s", r.name, outcome, r.seconds);
    }
    let failed: Vec<&StageResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .collect();
    if failed.is_empty() {
        println!("xtask test: all stages passed");
        Ok(())
    } else {
        for r in &failed {
            if let Outcome::Failed(err) = &r.outcome {
                eprintln!("    {}: {err}", r.name);
            }
        }
        let names: Vec<&str> = failed.iter().map(|r| r.name).collect();
        bail!("xtask test failed at stage(s): {}", names.join(", "))
    }
}

fn cargo(paths: &Paths) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&paths.root)
        .env("CARGO_TARGET_DIR", &paths.target)
        .env_remove("RUSTC");
    cmd
}

fn stage(
    results: &mut Vec<StageResult>,
    name: &'static str,
    f: impl FnOnce() -> Result<()>,
) -> bool {
    step(format!("test: stage `{name}`"));
    let start = Instant::now();
    let outcome = match f() {
        Ok(()) => Outcome::Passed,
        Err(err) => {
            eprintln!("==> test: stage `{name}` failed: {err:#}");
            Outcome::Failed(format!("{err:#}"))
        }
    };
    let ok = matches!(outcome, Outcome::Passed);
    results.push(StageResult {
        name,
        seconds: start.elapsed().as_secs_f64(),
        outcome,
    });
    ok
}

/// The database URL for the tests: `TEST_POSTGRES_URL` if set, else the local server when it
/// accepts connections. In CI the database tests must run, so an unreachable server is an error.
fn postgres_url() -> Result<Option<String>> {
    step("test: PostgreSQL for the database tests");
    if let Ok(url) = std::env::var("TEST_POSTGRES_URL") {
        if !url.trim().is_empty() {
            note("using TEST_POSTGRES_URL from the environment");
            return Ok(Some(url));
        }
    }
    let addr: SocketAddr = POSTGRES_ADDR
        .parse()
        .context("parsing the PostgreSQL address")?;
    match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
        Ok(_) => {
            note(format!(
                "{POSTGRES_ADDR} is reachable: TEST_POSTGRES_URL={DEFAULT_POSTGRES_URL}"
            ));
            Ok(Some(DEFAULT_POSTGRES_URL.to_string()))
        }
        Err(err) if in_ci() => bail!(
            "CI=true but PostgreSQL is not reachable at {POSTGRES_ADDR} ({err}): \
             the database tests must run in CI (start it, or set TEST_POSTGRES_URL)"
        ),
        Err(err) => {
            note(format!(
                "warning: PostgreSQL is not reachable at {POSTGRES_ADDR} ({err}); \
                 the database tests will be skipped"
            ));
            Ok(None)
        }
    }
}
