//! Login and sessions: one error for every failed login, sliding and absolute expiry,
//! logout, logout everywhere, changing the password, hash upgrades, housekeeping.

mod support;

use std::time::Instant;

use emporium_accounts::{AccountError, Accounts, AccountsConfig, CustomerId, PasswordHashing};
use emporium_kernel::events::EventBus;

use support::*;

fn is_invalid_credentials(err: &AccountError) -> bool {
    matches!(err, AccountError::InvalidCredentials)
}

#[tokio::test]
async fn login_opens_a_session_whose_token_authenticates_the_customer() {
    for env in envs().await {
        let l = env.label;
        let customer = env.register("ada@example.com").await;
        let now = env.now();
        // Any case of the email logs in.
        let logged_in = env.login("ADA@Example.com", PASSWORD).await;
        assert_eq!(logged_in.customer.id, customer.id, "[{l}]");
        assert_eq!(logged_in.token.expose().len(), 43, "[{l}]");
        let s = &logged_in.session;
        assert_eq!(s.customer_id, customer.id, "[{l}]");
        assert_eq!((s.created_at, s.last_seen_at), (now, now), "[{l}]");
        assert_eq!(s.expires_at, now + 30 * DAY.as_millis() as i64, "[{l}]");
        assert_eq!(
            s.absolute_expires_at,
            now + 90 * DAY.as_millis() as i64,
            "[{l}]"
        );
        let found = env
            .accounts
            .authenticate(logged_in.token.expose())
            .await
            .must(l, "authenticate");
        assert_eq!(found.as_ref(), Some(s), "[{l}]");
        // Each login is a session of its own.
        let second = env.login("ada@example.com", PASSWORD).await;
        assert_ne!(second.token, logged_in.token, "[{l}]");
        assert_ne!(second.session.id, s.id, "[{l}]");
        let listed = env
            .accounts
            .sessions(&customer.id)
            .await
            .must(l, "sessions");
        assert_eq!(listed.len(), 2, "[{l}]");
    }
}

#[tokio::test]
async fn a_wrong_password_an_unknown_email_and_malformed_input_get_the_same_error() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let too_long = "x".repeat(129);
        for (email, password) in [
            ("ada@example.com", OTHER_PASSWORD),
            ("ada@example.com", ""),
            ("ada@example.com", too_long.as_str()),
            ("nobody@example.com", PASSWORD),
            ("nobody@example.com", OTHER_PASSWORD),
            ("not an email", PASSWORD),
            ("", ""),
        ] {
            let err = failure(env.accounts.login(email, password).await, l, email);
            assert!(is_invalid_credentials(&err), "[{l}] {email}: {err:?}");
            assert_eq!(
                err.to_string(),
                "the email address or the password is not correct",
                "[{l}]"
            );
        }
    }
}

/// Median of `n` timed runs of `f`.
async fn median<F, Fut>(n: usize, mut f: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        f().await;
        times.push(start.elapsed());
    }
    times.sort();
    times[n / 2]
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_take_as_long() {
    // Costly enough that the hash dominates a login, as it does in production.
    let config = AccountsConfig {
        password_hashing: PasswordHashing::custom(4096, 1, 1).expect("valid"),
        ..test_config()
    };
    for env in envs_with(config).await {
        let l = env.label;
        env.register("ada@example.com").await;
        // Warm up connections and caches.
        let _ = env.accounts.login("nobody@example.com", PASSWORD).await;
        let _ = env.accounts.login("ada@example.com", OTHER_PASSWORD).await;
        let wrong = median(7, || async {
            let _ = env.accounts.login("ada@example.com", OTHER_PASSWORD).await;
        })
        .await;
        let unknown = median(7, || async {
            let _ = env
                .accounts
                .login("nobody@example.com", OTHER_PASSWORD)
                .await;
        })
        .await;
        let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
        assert!(
            (0.5..2.0).contains(&ratio),
            "[{l}] wrong password {wrong:?}, unknown email {unknown:?}"
        );
    }
}

#[tokio::test]
async fn a_session_slides_its_idle_expiry_but_records_use_at_most_once_a_minute() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let t0 = env.now();
        let token = env.login("ada@example.com", PASSWORD).await.token;
        let idle = 30 * DAY.as_millis() as i64;

        env.advance(MINUTE / 2);
        let s = env
            .accounts
            .authenticate(token.expose())
            .await
            .must(l, "after 30 s")
            .unwrap_or_else(|| panic!("[{l}] live after 30 s"));
        assert_eq!(
            (s.last_seen_at, s.expires_at),
            (t0, t0 + idle),
            "[{l}] not written"
        );

        env.advance(MINUTE / 2);
        let t1 = env.now();
        let s = env
            .accounts
            .authenticate(token.expose())
            .await
            .must(l, "after a minute")
            .unwrap_or_else(|| panic!("[{l}] live after a minute"));
        assert_eq!(
            (s.last_seen_at, s.expires_at),
            (t1, t1 + idle),
            "[{l}] slid"
        );

        // The slide was stored: the next read within the minute sees it.
        env.advance(MINUTE / 4);
        let s = env
            .accounts
            .authenticate(token.expose())
            .await
            .must(l, "again")
            .unwrap_or_else(|| panic!("[{l}] live"));
        assert_eq!(
            (s.last_seen_at, s.expires_at),
            (t1, t1 + idle),
            "[{l}] stored"
        );
    }
}

#[tokio::test]
async fn a_session_unused_for_the_idle_timeout_ends() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let token = env.login("ada@example.com", PASSWORD).await.token;
        env.advance(29 * DAY);
        assert!(
            env.accounts
                .authenticate(token.expose())
                .await
                .must(l, "29 days")
                .is_some(),
            "[{l}] used after 29 days"
        );
        env.advance(30 * DAY);
        assert_eq!(
            env.accounts
                .authenticate(token.expose())
                .await
                .must(l, "30 idle days"),
            None,
            "[{l}] 30 days unused"
        );
    }
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_lifetime_however_often_it_is_used() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let t0 = env.now();
        let token = env.login("ada@example.com", PASSWORD).await.token;
        let mut last = None;
        for _ in 0..3 {
            env.advance(25 * DAY);
            last = env
                .accounts
                .authenticate(token.expose())
                .await
                .must(l, "use");
            assert!(
                last.is_some(),
                "[{l}] live at {} days",
                (env.now() - t0) / 86_400_000
            );
        }
        let ninety = t0 + 90 * DAY.as_millis() as i64;
        assert_eq!(
            last.map(|s| s.expires_at),
            Some(ninety),
            "[{l}] the idle expiry is capped by the lifetime"
        );
        env.advance(15 * DAY - MINUTE);
        assert!(
            env.accounts
                .authenticate(token.expose())
                .await
                .must(l, "89 days")
                .is_some(),
            "[{l}]"
        );
        env.advance(MINUTE);
        assert_eq!(
            env.accounts
                .authenticate(token.expose())
                .await
                .must(l, "90 days"),
            None,
            "[{l}] 90 days after login"
        );
    }
}

#[tokio::test]
async fn tokens_that_were_never_issued_authenticate_nobody() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        env.login("ada@example.com", PASSWORD).await;
        let huge = "A".repeat(100_000);
        for bad in [
            "",
            "not-a-token",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            huge.as_str(),
            "' OR 1=1 --",
        ] {
            assert_eq!(
                env.accounts.authenticate(bad).await.must(l, "authenticate"),
                None,
                "[{l}] {}",
                &bad[..bad.len().min(20)]
            );
        }
    }
}

#[tokio::test]
async fn logout_ends_only_that_session_and_may_be_repeated() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let laptop = env.login("ada@example.com", PASSWORD).await.token;
        let phone = env.login("ada@example.com", PASSWORD).await.token;
        env.accounts.logout(laptop.expose()).await.must(l, "logout");
        assert_eq!(
            env.accounts
                .authenticate(laptop.expose())
                .await
                .must(l, "laptop"),
            None,
            "[{l}]"
        );
        assert!(
            env.accounts
                .authenticate(phone.expose())
                .await
                .must(l, "phone")
                .is_some(),
            "[{l}]"
        );
        env.accounts.logout(laptop.expose()).await.must(l, "again");
        env.accounts.logout("garbage").await.must(l, "garbage");
    }
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_of_the_customer_and_no_one_elses() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        env.register("grace@example.com").await;
        let a1 = env.login("ada@example.com", PASSWORD).await.token;
        let a2 = env.login("ada@example.com", PASSWORD).await.token;
        let g = env.login("grace@example.com", PASSWORD).await.token;
        let ended = env
            .accounts
            .logout_everywhere(&ada.id)
            .await
            .must(l, "logout everywhere");
        assert_eq!(ended, 2, "[{l}]");
        for t in [&a1, &a2] {
            assert_eq!(
                env.accounts.authenticate(t.expose()).await.must(l, "ada"),
                None,
                "[{l}]"
            );
        }
        assert!(
            env.accounts
                .authenticate(g.expose())
                .await
                .must(l, "grace")
                .is_some(),
            "[{l}]"
        );
        assert!(
            env.accounts
                .sessions(&ada.id)
                .await
                .must(l, "list")
                .is_empty(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let here = env.login("ada@example.com", PASSWORD).await;
        let elsewhere = env.login("ada@example.com", PASSWORD).await.token;
        let mailed_reset = env.reset_token(&ada).await;

        let err = failure(
            env.accounts
                .change_password(
                    &ada.id,
                    Some(&here.session.id),
                    OTHER_PASSWORD,
                    "brand new secret",
                )
                .await,
            l,
            "wrong current password",
        );
        assert!(is_invalid_credentials(&err), "[{l}] {err:?}");
        for weak in ["short", "password123", "ada@example.com"] {
            let err = failure(
                env.accounts
                    .change_password(&ada.id, Some(&here.session.id), PASSWORD, weak)
                    .await,
                l,
                weak,
            );
            assert_eq!(field_of(&err), "new_password", "[{l}] {weak}");
        }
        assert!(
            env.accounts
                .authenticate(elsewhere.expose())
                .await
                .must(l, "untouched")
                .is_some(),
            "[{l}] refused changes end nothing"
        );

        env.accounts
            .change_password(&ada.id, Some(&here.session.id), PASSWORD, OTHER_PASSWORD)
            .await
            .must(l, "change");
        assert!(
            env.accounts
                .authenticate(here.token.expose())
                .await
                .must(l, "here")
                .is_some(),
            "[{l}] this session stays"
        );
        assert_eq!(
            env.accounts
                .authenticate(elsewhere.expose())
                .await
                .must(l, "elsewhere"),
            None,
            "[{l}] the other one ends"
        );
        env.login("ada@example.com", OTHER_PASSWORD).await;
        let err = failure(
            env.accounts.login("ada@example.com", PASSWORD).await,
            l,
            "old password",
        );
        assert!(is_invalid_credentials(&err), "[{l}]");
        let event = env.last_event(&ada.id, "customer.password_changed").await;
        assert_eq!(event["via"], "change", "[{l}]");
        assert_eq!(event["email"], "ada@example.com", "[{l}]");
        // A reset link mailed before the change no longer works.
        let err = failure(
            env.accounts
                .confirm_password_reset(&mailed_reset, "yet another secret")
                .await,
            l,
            "old reset link",
        );
        assert!(matches!(err, AccountError::TokenInvalid), "[{l}] {err:?}");
        // Without a session to keep, every session ends.
        env.accounts
            .change_password(&ada.id, None, OTHER_PASSWORD, PASSWORD)
            .await
            .must(l, "change back");
        assert!(
            env.accounts
                .sessions(&ada.id)
                .await
                .must(l, "list")
                .is_empty(),
            "[{l}]"
        );
        let err = failure(
            env.accounts
                .change_password(&CustomerId::new(), None, PASSWORD, OTHER_PASSWORD)
                .await,
            l,
            "unknown customer",
        );
        assert!(matches!(err, AccountError::NotFound), "[{l}] {err:?}");
    }
}

#[tokio::test]
async fn a_hash_made_with_older_parameters_is_upgraded_at_the_next_login() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        assert!(
            env.stored_hash(&ada.id).await.contains("$m=64,t=1,p=1$"),
            "[{l}]"
        );
        let stronger = Accounts::with_clock(
            env.db.db.clone(),
            EventBus::new(),
            AccountsConfig {
                password_hashing: PasswordHashing::custom(128, 2, 1).expect("valid"),
                ..test_config()
            },
            env.clock.clone(),
        );
        stronger
            .login("ada@example.com", PASSWORD)
            .await
            .must(l, "login with the old hash");
        assert!(
            env.stored_hash(&ada.id).await.contains("$m=128,t=2,p=1$"),
            "[{l}] upgraded"
        );
        stronger
            .login("ada@example.com", PASSWORD)
            .await
            .must(l, "login with the new hash");
        // A failed login upgrades nothing.
        let before = env.stored_hash(&ada.id).await;
        let _ = env.accounts.login("ada@example.com", OTHER_PASSWORD).await;
        assert_eq!(env.stored_hash(&ada.id).await, before, "[{l}]");
    }
}

#[tokio::test]
async fn housekeeping_deletes_ended_sessions_and_expired_links() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let old = env.login("ada@example.com", PASSWORD).await.token;
        env.advance(31 * DAY);
        let fresh = env.login("ada@example.com", PASSWORD).await.token;
        let purged = env.accounts.purge_expired().await.must(l, "purge");
        assert_eq!((purged.sessions, purged.tokens), (1, 1), "[{l}] {purged:?}");
        assert_eq!(
            env.accounts.authenticate(old.expose()).await.must(l, "old"),
            None,
            "[{l}]"
        );
        assert!(
            env.accounts
                .authenticate(fresh.expose())
                .await
                .must(l, "fresh")
                .is_some(),
            "[{l}]"
        );
        assert_eq!(
            env.count("SELECT COUNT(*) FROM customer_sessions").await,
            1,
            "[{l}]"
        );
    }
}
