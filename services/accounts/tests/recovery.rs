//! Password reset and email verification: single-use links that expire, the same answer
//! for an unknown email, a race for one link, throttling.

mod support;

use emporium_accounts::{AccountError, VerificationRequest};

use support::*;

fn is_token_invalid(err: &AccountError) -> bool {
    matches!(err, AccountError::TokenInvalid)
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_ends_every_session_and_verifies_the_email() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let session = env.login("ada@example.com", PASSWORD).await.token;
        let token = env.reset_token(&ada).await;

        let mail = env
            .last_event(&ada.id, "customer.password_reset_requested")
            .await;
        assert_eq!(mail["email"], "ada@example.com", "[{l}]");
        assert_eq!(mail["first_name"], "Ada", "[{l}]");
        assert!(mail["expires_at"].as_str().is_some(), "[{l}]");

        let whose = env
            .accounts
            .confirm_password_reset(&token, OTHER_PASSWORD)
            .await
            .must(l, "reset");
        assert_eq!(whose, ada.id, "[{l}]");
        env.login("ada@example.com", OTHER_PASSWORD).await;
        assert!(
            env.accounts
                .login("ada@example.com", PASSWORD)
                .await
                .is_err(),
            "[{l}] the old password is gone"
        );
        assert_eq!(
            env.accounts
                .authenticate(session.expose())
                .await
                .must(l, "old session"),
            None,
            "[{l}] sessions from before the reset end"
        );
        assert!(
            env.accounts
                .customer(&ada.id)
                .await
                .must(l, "customer")
                .email_verified(),
            "[{l}] the link proved the address"
        );
        let changed = env.last_event(&ada.id, "customer.password_changed").await;
        assert_eq!(changed["via"], "reset", "[{l}]");

        let err = failure(
            env.accounts
                .confirm_password_reset(&token, "a third password")
                .await,
            l,
            "the same link again",
        );
        assert!(is_token_invalid(&err), "[{l}] {err:?}");
    }
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_an_unknown_email_and_mails_nothing() {
    for env in envs().await {
        let l = env.label;
        env.register("ada@example.com").await;
        let before = env.count("SELECT COUNT(*) FROM outbox_events").await;
        env.accounts
            .request_password_reset("nobody@example.com")
            .await
            .must(l, "unknown email");
        assert_eq!(
            env.count("SELECT COUNT(*) FROM outbox_events").await,
            before,
            "[{l}] no event"
        );
        assert_eq!(
            env.count("SELECT COUNT(*) FROM customer_tokens WHERE purpose = 'reset_password'")
                .await,
            0,
            "[{l}]"
        );
        env.accounts
            .request_password_reset("ADA@example.com")
            .await
            .must(l, "known email, any case");
        assert_eq!(
            env.count("SELECT COUNT(*) FROM outbox_events").await,
            before + 1,
            "[{l}] one event"
        );
        let err = failure(
            env.accounts.request_password_reset("not an email").await,
            l,
            "malformed",
        );
        assert_eq!(field_of(&err), "email", "[{l}]");
    }
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let token = env.reset_token(&ada).await;
        env.advance(HOUR);
        let err = failure(
            env.accounts
                .confirm_password_reset(&token, OTHER_PASSWORD)
                .await,
            l,
            "an hour later",
        );
        assert!(is_token_invalid(&err), "[{l}] {err:?}");
        env.login("ada@example.com", PASSWORD).await;
        // A fresh one works just before its hour is up.
        let token = env.reset_token(&ada).await;
        env.advance(HOUR - MINUTE);
        env.accounts
            .confirm_password_reset(&token, OTHER_PASSWORD)
            .await
            .must(l, "59 minutes later");
    }
}

#[tokio::test]
async fn two_requests_racing_with_one_reset_link_exactly_one_wins() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        for round in 0..3 {
            env.advance(MINUTE);
            let token = env.reset_token(&ada).await;
            let passwords = [
                format!("winner number {round} a"),
                format!("winner number {round} b"),
            ];
            let tasks: Vec<_> = passwords
                .iter()
                .map(|p| {
                    let (accounts, token, p) = (env.accounts.clone(), token.clone(), p.clone());
                    tokio::spawn(async move { accounts.confirm_password_reset(&token, &p).await })
                })
                .collect();
            let mut outcomes = Vec::new();
            for task in tasks {
                outcomes.push(task.await.expect("task"));
            }
            let winners: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_ok()).collect();
            assert_eq!(winners.len(), 1, "[{l}] round {round}: {outcomes:?}");
            let loser = 1 - winners[0];
            assert!(
                outcomes[loser].as_ref().is_err_and(is_token_invalid),
                "[{l}] {outcomes:?}"
            );
            env.login("ada@example.com", &passwords[winners[0]]).await;
            assert!(
                env.accounts
                    .login("ada@example.com", &passwords[loser])
                    .await
                    .is_err(),
                "[{l}] the loser's password was not set"
            );
        }
    }
}

#[tokio::test]
async fn a_refused_new_password_leaves_the_reset_link_usable() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let token = env.reset_token(&ada).await;
        for weak in ["short", "iloveyou12", "ada@example.com"] {
            let err = failure(
                env.accounts.confirm_password_reset(&token, weak).await,
                l,
                weak,
            );
            assert_eq!(field_of(&err), "new_password", "[{l}] {weak}");
        }
        env.accounts
            .confirm_password_reset(&token, OTHER_PASSWORD)
            .await
            .must(l, "then a good one");
    }
}

#[tokio::test]
async fn links_that_were_never_mailed_or_were_for_the_other_purpose_are_refused() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let verify = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        for bad in [
            "",
            "nope",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            verify.as_str(),
        ] {
            let err = failure(
                env.accounts
                    .confirm_password_reset(bad, OTHER_PASSWORD)
                    .await,
                l,
                bad,
            );
            assert!(is_token_invalid(&err), "[{l}] {bad}: {err:?}");
        }
        let reset = env.reset_token(&ada).await;
        let err = failure(
            env.accounts.verify_email(&reset).await,
            l,
            "reset as verify",
        );
        assert!(is_token_invalid(&err), "[{l}] {err:?}");
        assert_eq!(
            err.to_string(),
            "this link is invalid or has expired: ask for a new one",
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn reset_emails_go_out_at_most_once_a_minute_per_account() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let resets = async || {
            env.topics(&ada.id)
                .await
                .iter()
                .filter(|t| *t == "customer.password_reset_requested")
                .count()
        };
        for _ in 0..3 {
            env.accounts
                .request_password_reset("ada@example.com")
                .await
                .must(l, "request");
        }
        assert_eq!(resets().await, 1, "[{l}]");
        env.advance(MINUTE);
        env.accounts
            .request_password_reset("ada@example.com")
            .await
            .must(l, "a minute later");
        assert_eq!(resets().await, 2, "[{l}]");
    }
}

#[tokio::test]
async fn the_registration_link_verifies_the_email_once() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let token = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        env.advance(HOUR);
        let whose = env.accounts.verify_email(&token).await.must(l, "verify");
        assert_eq!(whose, ada.id, "[{l}]");
        let customer = env.accounts.customer(&ada.id).await.must(l, "customer");
        assert_eq!(customer.email_verified_at, Some(env.now()), "[{l}]");
        let err = failure(env.accounts.verify_email(&token).await, l, "again");
        assert!(is_token_invalid(&err), "[{l}] {err:?}");
        assert_eq!(
            env.accounts
                .request_email_verification(&ada.id)
                .await
                .must(l, "ask again"),
            VerificationRequest::AlreadyVerified,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn a_verification_link_expires_after_48_hours() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let token = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        env.advance(48 * HOUR);
        let err = failure(env.accounts.verify_email(&token).await, l, "48 h later");
        assert!(is_token_invalid(&err), "[{l}] {err:?}");
        assert!(
            !env.accounts
                .customer(&ada.id)
                .await
                .must(l, "customer")
                .email_verified(),
            "[{l}]"
        );
        // A new link, asked for by the customer, works.
        let asked = env
            .accounts
            .request_email_verification(&ada.id)
            .await
            .must(l, "ask");
        assert_eq!(
            asked,
            VerificationRequest::Sent {
                expires_at: env.now() + 48 * 3_600_000
            },
            "[{l}]"
        );
        let event = env
            .last_event(&ada.id, "customer.verification_requested")
            .await;
        assert_eq!(event["reason"], "requested", "[{l}]");
        let fresh = event["token"].as_str().unwrap_or_default().to_owned();
        assert_ne!(fresh, token, "[{l}]");
        assert_eq!(
            env.accounts
                .request_email_verification(&ada.id)
                .await
                .must(l, "at once"),
            VerificationRequest::TooSoon,
            "[{l}]"
        );
        env.accounts.verify_email(&fresh).await.must(l, "verify");
    }
}

#[tokio::test]
async fn asking_for_a_verification_email_for_an_unknown_customer_is_not_found() {
    for env in envs().await {
        let l = env.label;
        let err = failure(
            env.accounts
                .request_email_verification(&emporium_accounts::CustomerId::new())
                .await,
            l,
            "unknown",
        );
        assert!(matches!(err, AccountError::NotFound), "[{l}] {err:?}");
    }
}
