//! Search from outside, on the real binary with each engine: a title word with two
//! letters swapped finds its product in the first 20 hits of `GET /store/search`, the
//! answer carries facets, and four typed letters bring suggestions. The embedded engine
//! always; Meilisearch when `MEILI_URL` names a server (CI has none and says so). Needs
//! `EMPORIUM_BIN` (see the crate docs).

use anyhow::{ensure, Context, Result};
use emporium_end2end::Server;
use serde_json::Value;

/// `word` with its third and fourth letters swapped (one typo for a word of 5+ letters).
fn swapped(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    chars.swap(2, 3);
    chars.into_iter().collect()
}

async fn a_misspelt_title_word_finds_its_product(server: &Server) -> Result<()> {
    let products = server.wait_for_search_index().await?;
    let page: Value = server.get_json("/store/products?limit=50").await?;
    let items = page["items"].as_array().context("products")?;
    // A product whose title has a word of 6+ letters; the shopper types the title with
    // two letters of the last such word swapped.
    let (handle, title, word) = items
        .iter()
        .find_map(|p| {
            let title = p["title"].as_str()?.to_lowercase();
            let word = title
                .split(|c: char| !c.is_alphabetic())
                .rfind(|w| w.chars().count() >= 6 && swapped(w) != *w)?
                .to_owned();
            Some((p["handle"].as_str()?.to_owned(), title, word))
        })
        .context("a product with a long title word")?;
    let typo = title.replacen(&word, &swapped(&word), 1).replace(' ', "+");
    let found: Value = server
        .get_json(&format!("/store/search?q={typo}&limit=20"))
        .await?;
    let handles: Vec<&str> = found["hits"]
        .as_array()
        .context("hits")?
        .iter()
        .filter_map(|h| h["product"]["handle"].as_str())
        .collect();
    ensure!(
        handles.contains(&handle.as_str()),
        "`{typo}` did not find {handle} in the first 20 hits: {handles:?}"
    );
    ensure!(
        found["facets"]["categories"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "the answer carries category facets: {}",
        found["facets"]
    );
    ensure!(found["facets"]["options"].is_array(), "option facets");
    let prefix: String = word.chars().take(4).collect();
    let suggestions: Value = server
        .get_json(&format!("/store/search/suggest?q={prefix}"))
        .await?;
    ensure!(
        suggestions["products"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "`{prefix}` brought no product suggestions: {suggestions}"
    );
    println!("{products} products indexed; `{typo}` found {handle}; `{prefix}` suggested");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_engine_finds_misspelt_titles_from_outside() -> Result<()> {
    let server = tokio::task::spawn_blocking(Server::start).await??;
    a_misspelt_title_word_finds_its_product(&server).await
}

/// Deletes a Meilisearch index (plain HTTP/1.1: the test's own index only).
async fn delete_index(url: &str, key: Option<&str>, index: &str) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let parsed = url::Url::parse(url)?;
    let host = parsed.host_str().context("a host")?;
    let port = parsed.port_or_known_default().context("a port")?;
    let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
    let auth = key
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "DELETE /indexes/{index} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    ensure!(
        response.starts_with("HTTP/1.1 202"),
        "deleting index {index}: {response}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meilisearch_finds_misspelt_titles_from_outside() -> Result<()> {
    let Ok(url) = std::env::var("MEILI_URL") else {
        println!("MEILI_URL is not set: the Meilisearch half of this test did not run");
        return Ok(());
    };
    let key = std::env::var("MEILI_API_KEY").ok();
    let index = format!(
        "emporium_e2e_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let (u, k, i) = (url.clone(), key.clone(), index.clone());
    let server =
        tokio::task::spawn_blocking(move || Server::start_with_meilisearch(&u, k.as_deref(), &i))
            .await??;
    let outcome = a_misspelt_title_word_finds_its_product(&server).await;
    drop(server);
    delete_index(&url, key.as_deref(), &index).await?;
    outcome
}
