//! `emporium search reindex` beside a serving `emporium serve` on the same data dir (the
//! embedded engine): the server answers every search from a whole index while the other
//! process rebuilds it, and follows the swap. Needs `EMPORIUM_BIN` (see the crate docs).

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use emporium_end2end::Server;
use serde_json::Value;

async fn total(server: &Server, query: &str) -> Result<u64> {
    let page: Value = server
        .get_json(&format!("/store/search?{query}&limit=1"))
        .await?;
    page["total"].as_u64().context("a total in the search page")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reindex_beside_the_running_server_never_empties_search() -> Result<()> {
    let server = tokio::task::spawn_blocking(Server::start).await??;
    let all = server.wait_for_search_index().await?;
    let found = total(&server, "q=shrit").await?;
    ensure!(found > 0, "a misspelt word finds the demo shirts");

    let bin = std::env::var("EMPORIUM_BIN").context("EMPORIUM_BIN")?;
    let mut reindex = tokio::process::Command::new(bin)
        .args(["search", "reindex"])
        .env("EMPORIUM_DATA_DIR", server.data_dir())
        .env_remove("DATABASE_URL")
        .env_remove("MEILI_URL")
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("starting emporium search reindex")?;
    let mut searches = 0;
    let status = loop {
        if let Some(status) = reindex.try_wait()? {
            break status;
        }
        let n = total(&server, "q=").await?;
        ensure!(
            n == all,
            "during the rebuild a search saw {n} products, not {all}"
        );
        searches += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let output = reindex.wait_with_output().await?;
    let log = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    ensure!(status.success(), "reindex failed: {log}");
    ensure!(
        log.contains("search index rebuilt"),
        "reindex said nothing of the rebuild: {log}"
    );
    ensure!(searches > 0, "no search ran during the rebuild");

    // The server follows the swap (it re-reads the generation at most once a second)
    // and answers from the new generation exactly as before.
    tokio::time::sleep(Duration::from_secs(3)).await;
    ensure!(total(&server, "q=").await? == all, "after the swap");
    ensure!(
        total(&server, "q=shrit").await? == found,
        "a misspelt query after the swap"
    );
    let generations = std::fs::read_dir(server.data_dir().join("search"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    ensure!(
        (1..=2).contains(&generations),
        "old generations are deleted: {generations} left"
    );
    Ok(())
}
