//! The API on a random port over a fresh database, for the HTTP test suites.

#![allow(dead_code)]

pub mod accounts;
pub mod commerce;

use std::path::PathBuf;

use emporium_accounts::PasswordHashing;
use emporium_api::{
    commerce::{Commerce, CommerceConfig, StripeSettings},
    middleware::with_http_layers,
    ApiConfig, AppState,
};
use emporium_catalog::Catalog;
use emporium_kernel::{db::testing::TestDatabase, money::Currency};

pub const TOKEN: &str = "test-admin-token";

/// The header the test server trusts for the client's address (as a deployment trusts
/// its proxy's), so a test can speak as many clients; without it the peer counts.
pub const CLIENT_HEADER: &str = "x-test-client";

/// The one origin the test server allows cross-origin calls from.
pub const CORS_ORIGIN: &str = "https://frontend.example";

/// A client address no other request of this test run uses: the helpers that create
/// carts and place orders speak as a new shopper each time, so the per-client rate
/// limits count one shopper's requests, as in a shop.
pub fn new_shopper() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

pub struct TestApp {
    pub label: &'static str,
    pub base: String,
    pub http: reqwest::Client,
    pub commerce: Commerce,
    pub state: AppState,
    pub email_dir: PathBuf,
    _dir: tempfile::TempDir,
    _db: TestDatabase,
}

impl TestApp {
    /// Serves the whole API over `test_db`; Stripe when `stripe` is given.
    pub async fn spawn(test_db: TestDatabase, stripe: Option<StripeSettings>) -> TestApp {
        Self::spawn_with(test_db, stripe, |_| {}).await
    }

    /// [`TestApp::spawn`] with the commerce configuration changed by `configure` first.
    /// Password hashing is cheap here (the production costs are the accounts crate's
    /// default and tested there); `configure` may change that too.
    pub async fn spawn_with(
        test_db: TestDatabase,
        stripe: Option<StripeSettings>,
        configure: impl FnOnce(&mut CommerceConfig),
    ) -> TestApp {
        let catalog = Catalog::new(test_db.db.clone());
        catalog.migrate().await.expect("catalog migrate");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = CommerceConfig::embedded(dir.path());
        config.stripe = stripe;
        config.accounts.password_hashing =
            PasswordHashing::custom(64, 1, 1).expect("valid test hashing parameters");
        configure(&mut config);
        let email_dir = config.email_dir.clone();
        let commerce =
            Commerce::new(test_db.db.clone(), catalog.clone(), config).expect("commerce");
        commerce.migrate().await.expect("commerce migrate");
        // Search on the embedded engine in memory, following the outbox like a shop's.
        let index = emporium_search::embedded::EmbeddedIndex::in_memory(&["EUR", "USD"])
            .expect("search index");
        let search = emporium_api::search::Search::new(
            std::sync::Arc::new(index),
            catalog.clone(),
            commerce.inventory.clone(),
            vec![Currency::EUR, Currency::USD],
        );
        let commerce = commerce.with_search(search);
        let catalog = catalog.with_bus(commerce.bus.clone());
        let api_config = ApiConfig {
            admin_token: Some(TOKEN.to_owned()),
            bench_routes: false,
            trusted_proxy_header: Some(axum::http::HeaderName::from_static(CLIENT_HEADER)),
            cors_origins: vec![axum::http::HeaderValue::from_static(CORS_ORIGIN)],
        };
        let state = AppState::new(catalog, commerce.clone(), api_config);
        let app = with_http_layers(emporium_api::router(state.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        TestApp {
            label: test_db.label,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            commerce,
            state,
            email_dir,
            _dir: dir,
            _db: test_db,
        }
    }

    /// Bytes the API's read cache holds.
    pub fn state_cache_bytes(&self) -> usize {
        self.state.cache.bytes()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("GET failed")
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }
}
