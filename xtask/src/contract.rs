//! The `contract` stage of `cargo xtask test`: the built server on a loopback port with a
//! fresh data dir (SQLite, demo catalog), tested from outside by schemathesis against
//! its own `/openapi.json`: every operation of the Store and Admin APIs, with generated
//! valid and invalid requests, must answer with a documented status, a documented
//! content type and a body that fits the documented schema, and never with a 5xx. A
//! second pass signs in as a customer and covers the `/store/customers/me` routes the
//! first (with the admin token) only sees answer 401.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

use crate::bench::{
    first_string_field, free_port, http::Conn, server_command, spawn_server, wait_ready,
    with_server,
};
use crate::build::{self, Built};
use crate::setup;
use crate::util::{note, run_limited, step, Paths, TempDir};

/// The stage's time limit (minutes; `XTASK_TEST_TIMEOUT_MINS` overrides it in
/// `cargo xtask test`).
pub const TIMEOUT_MINS: u64 = 10;

/// The checks that make the contract.
pub const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
/// Test cases per operation and phase: about 6,000 requests, two to three minutes for
/// the ~50 operations on two cores with a debug build.
const MAX_EXAMPLES: u32 = 100;
/// Fixed, so a CI failure reproduces locally; set `XTASK_CONTRACT_SEED` to explore others.
const DEFAULT_SEED: &str = "1";
const SEED_ENV: &str = "XTASK_CONTRACT_SEED";

/// `cargo xtask contract`: the stage alone, on a debug server built without the browser
/// bundle (the API does not need it).
pub fn standalone(paths: &Paths) -> Result<()> {
    if setup::schemathesis_usable().is_none() {
        bail!(
            "schemathesis 4 is not installed: run `cargo xtask setup` (or `python3 -m pip install \
             '{}'`)",
            setup::SCHEMATHESIS_SPEC
        );
    }
    let server_bin = build::build_server(paths, false)?;
    let built = Built {
        server_bin,
        site: paths.site.clone(),
    };
    run(&built, Duration::from_secs(TIMEOUT_MINS * 60))
}

/// Runs schemathesis against a fresh server; fails on any failing check.
pub fn run(built: &Built, limit: Duration) -> Result<()> {
    let scratch = TempDir::new("emporium-contract")?;
    let dir = scratch.path();
    let addr = format!("127.0.0.1:{}", free_port()?);
    let token = admin_token();
    step(format!(
        "contract: starting {} on {addr}",
        built.server_bin.display()
    ));
    let mut cmd = server_command(built, dir, &addr)?;
    cmd.env("EMPORIUM_ADMIN_TOKEN", &token)
        .env("EMPORIUM_SEED_DEMO", "true")
        // So the sign-in below is another client than schemathesis, whose requests spent
        // the loopback address's register and login allowance in the first pass.
        .env("EMPORIUM_TRUSTED_PROXY_HEADER", CLIENT_HEADER);
    let server = spawn_server(built, dir, "server.log", cmd)?;
    let result = with_server(server, |server| {
        wait_ready(server, &addr)?;
        // The Admin API with the admin token; everything else as a guest, without one
        // (a store route given a token that is no customer session answers 401).
        schemathesis(
            dir,
            &addr,
            Some(&token),
            &["--include-path-regex", "^/admin"],
            limit,
        )?;
        schemathesis(
            dir,
            &addr,
            None,
            &["--exclude-path-regex", "^/admin"],
            limit,
        )?;
        let customer = customer_token(&addr)?;
        // Signed in: the account and the customer's carts. Not the routes that end the
        // session or change its password: the rest of the pass would only see 401
        // after them.
        let signed_in = [
            "--include-path-regex",
            "^/store/(customers/me|carts)",
            "--exclude-path-regex",
            "/password$",
        ];
        schemathesis(dir, &addr, Some(&customer), &signed_in, limit)
    });
    drop(scratch);
    result
}

/// The header the contract server trusts for the client's address.
const CLIENT_HEADER: &str = "x-contract-client";

/// Registers a customer on the fresh server and signs in: its session token.
fn customer_token(addr: &str) -> Result<String> {
    let mut conn = Conn::new(addr);
    let client = [(CLIENT_HEADER, "192.0.2.1")];
    let body =
        r#"{"email":"contract-shopper@example.com","password":"contract-shopper-passphrase"}"#;
    for (path, want) in [("/store/customers", 202), ("/store/auth/login", 200)] {
        let response = conn.request("POST", path, &client, Some(body))?;
        if response.status != want {
            bail!(
                "contract: POST {path} answered {} (expected {want}): {}",
                response.status,
                response.body
            );
        }
        if want == 200 {
            return first_string_field(&response.body, "token")
                .context("contract: no token in the login answer");
        }
    }
    bail!("contract: the customer could not sign in")
}

fn schemathesis(
    dir: &Path,
    addr: &str,
    token: Option<&str>,
    filters: &[&str],
    limit: Duration,
) -> Result<()> {
    let seed = std::env::var(SEED_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SEED.to_owned());
    step(format!(
        "contract: schemathesis over /openapi.json (seed {seed}, {MAX_EXAMPLES} examples per operation)"
    ));
    let mut cmd = setup::schemathesis_command();
    cmd.current_dir(dir)
        .arg("run")
        .arg(format!("http://{addr}/openapi.json"))
        .args(["--checks", CHECKS])
        .args(
            token
                .map(|t| vec!["--header".to_owned(), format!("Authorization: Bearer {t}")])
                .unwrap_or_default(),
        )
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &seed])
        // One worker: with two, schemathesis' generator raced in hypothesis' source cache
        // and reported its own KeyError as an error of an operation, failing a run whose
        // every case passed. One worker is slower and always the same run for a seed.
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        // Nothing kept between runs: each run is its seed's alone.
        .args(["--generation-database", "none"])
        .args(filters)
        .arg("--no-color");
    run_limited(&mut cmd, limit).with_context(|| {
        format!(
            "schemathesis found responses that break the documented contract (reproduce: \
             `{SEED_ENV}={seed} cargo xtask test`, or run the command above against \
             `emporium serve`)"
        )
    })?;
    note("contract: 0 failures");
    Ok(())
}

/// A token for this run only (the server gets it through its environment).
fn admin_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("contract-{}-{nanos}", std::process::id())
}
