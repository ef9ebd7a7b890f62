//! Registration: the password and email rules, the hash that is stored, the events, and
//! an email that already has an account.

mod support;

use emporium_accounts::{AccountError, Registered, Registration};

use support::*;

#[tokio::test]
async fn registering_opens_an_unverified_account_stores_only_an_argon2id_hash_and_mails_a_link() {
    for env in envs().await {
        let l = env.label;
        let customer = env.register("  Ada@Example.com ").await;
        assert_eq!(customer.email.as_str(), "Ada@Example.com", "[{l}] trimmed");
        assert_eq!(customer.first_name.as_deref(), Some("Ada"), "[{l}]");
        assert_eq!(customer.last_name.as_deref(), Some("Lovelace"), "[{l}]");
        assert!(!customer.email_verified(), "[{l}]");
        let stored = env
            .accounts
            .customer(&customer.id)
            .await
            .must(l, "read back");
        assert_eq!(stored, customer, "[{l}]");

        let hash = env.stored_hash(&customer.id).await;
        assert!(
            hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "[{l}] {hash}"
        );
        assert!(!hash.contains(PASSWORD), "[{l}]");

        assert_eq!(
            env.topics(&customer.id).await,
            ["customer.registered", "customer.verification_requested"],
            "[{l}]"
        );
        let registered = env.last_event(&customer.id, "customer.registered").await;
        assert_eq!(registered["email"], "Ada@Example.com", "[{l}]");
        assert_eq!(registered["first_name"], "Ada", "[{l}]");
        let link = env
            .last_event(&customer.id, "customer.verification_requested")
            .await;
        assert_eq!(link["reason"], "registration", "[{l}]");
        assert_eq!(link["email"], "Ada@Example.com", "[{l}]");
        assert_eq!(link["token"].as_str().map(str::len), Some(43), "[{l}]");
        assert!(link["expires_at"].as_str().is_some(), "[{l}]");
        // Only the token's hash is stored.
        let token = link["token"].as_str().unwrap_or_default().to_owned();
        let stored_raw = env
            .count(&format!(
                "SELECT COUNT(*) FROM customer_tokens WHERE token_hash = '{token}'"
            ))
            .await;
        assert_eq!(stored_raw, 0, "[{l}] the raw token is not stored");
    }
}

#[tokio::test]
async fn a_password_under_10_or_over_128_characters_is_refused() {
    for env in envs().await {
        let l = env.label;
        let too_long = "abc".repeat(43);
        for bad in ["", "short", "nine char", too_long.as_str()] {
            let err = failure(
                env.accounts
                    .register(registration("ada@example.com", bad))
                    .await,
                l,
                &format!("{} characters", bad.chars().count()),
            );
            assert_eq!(field_of(&err), "password", "[{l}] {err}");
        }
        // 10 and 128 characters are fine.
        env.register_with("ten@example.com", "ten chars!").await;
        env.register_with("long@example.com", &"xy".repeat(64))
            .await;
        assert_eq!(
            env.count("SELECT COUNT(*) FROM customers").await,
            2,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn a_common_password_is_refused_in_any_case() {
    for env in envs().await {
        let l = env.label;
        for common in [
            "password123",
            "Password123",
            "QWERTYUIOP",
            "1q2w3e4r5t",
            "iloveyou12",
        ] {
            let err = failure(
                env.accounts
                    .register(registration("ada@example.com", common))
                    .await,
                l,
                common,
            );
            assert_eq!(field_of(&err), "password", "[{l}] {common}");
            assert!(err.to_string().contains("common"), "[{l}] {err}");
        }
        assert_eq!(
            env.count("SELECT COUNT(*) FROM customers").await,
            0,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn a_password_equal_to_the_email_or_one_repeated_character_is_refused() {
    for env in envs().await {
        let l = env.label;
        for bad in [
            "ada.lovelace@example.com",
            "ADA.LOVELACE@EXAMPLE.COM",
            "aaaaaaaaaaaa",
        ] {
            let err = failure(
                env.accounts
                    .register(registration("ada.lovelace@example.com", bad))
                    .await,
                l,
                bad,
            );
            assert_eq!(field_of(&err), "password", "[{l}] {bad}");
        }
    }
}

#[tokio::test]
async fn a_malformed_email_or_name_is_refused_naming_the_field() {
    for env in envs().await {
        let l = env.label;
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
        ] {
            let err = failure(
                env.accounts.register(registration(bad, PASSWORD)).await,
                l,
                bad,
            );
            assert_eq!(field_of(&err), "email", "[{l}] {bad:?}");
        }
        let mut with_newline = registration("ada@example.com", PASSWORD);
        with_newline.first_name = Some("Ada\r\nBcc: everyone@example.com".into());
        let err = failure(env.accounts.register(with_newline).await, l, "newline");
        assert_eq!(field_of(&err), "first_name", "[{l}]");
        let mut long = registration("ada@example.com", PASSWORD);
        long.last_name = Some("x".repeat(101));
        let err = failure(env.accounts.register(long).await, l, "long name");
        assert_eq!(field_of(&err), "last_name", "[{l}]");
        // Blank names are no names.
        let blank = Registration {
            first_name: Some("   ".into()),
            last_name: None,
            ..registration("ada@example.com", PASSWORD)
        };
        match env.accounts.register(blank).await.must(l, "blank names") {
            Registered::Created(c) => assert_eq!(c.first_name, None, "[{l}]"),
            Registered::Existing => panic!("[{l}] new email"),
        }
    }
}

#[tokio::test]
async fn registering_an_existing_email_in_another_case_changes_nothing_and_tells_its_owner() {
    for env in envs().await {
        let l = env.label;
        let owner = env.register("ada@example.com").await;
        let again = env
            .accounts
            .register(registration("ADA@example.COM", OTHER_PASSWORD))
            .await
            .must(l, "register again");
        assert_eq!(again, Registered::Existing, "[{l}]");
        assert_eq!(
            env.count("SELECT COUNT(*) FROM customers").await,
            1,
            "[{l}]"
        );
        // The owner's password still works; the stranger's does not.
        env.login("ada@example.com", PASSWORD).await;
        let err = failure(
            env.accounts.login("ada@example.com", OTHER_PASSWORD).await,
            l,
            "stranger's password",
        );
        assert!(
            matches!(err, AccountError::InvalidCredentials),
            "[{l}] {err:?}"
        );
        // The owner is told, once per interval.
        let notice = env
            .last_event(&owner.id, "customer.registration_attempted_existing")
            .await;
        assert_eq!(notice["email"], "ada@example.com", "[{l}]");
        assert_eq!(notice["first_name"], "Ada", "[{l}]");
        assert!(
            notice.get("token").is_none(),
            "[{l}] no token in the notice"
        );
        let notices = |topics: Vec<String>| {
            topics
                .iter()
                .filter(|t| *t == "customer.registration_attempted_existing")
                .count()
        };
        env.accounts
            .register(registration("ada@example.com", OTHER_PASSWORD))
            .await
            .must(l, "a third time");
        assert_eq!(notices(env.topics(&owner.id).await), 1, "[{l}] throttled");
        env.advance(MINUTE);
        env.accounts
            .register(registration("ada@example.com", OTHER_PASSWORD))
            .await
            .must(l, "a minute later");
        assert_eq!(notices(env.topics(&owner.id).await), 2, "[{l}]");
        // No verification link goes out for an attempt.
        let links = env
            .topics(&owner.id)
            .await
            .into_iter()
            .filter(|t| t == "customer.verification_requested")
            .count();
        assert_eq!(
            links, 1,
            "[{l}] only the owner's own registration mailed a link"
        );
    }
}

#[tokio::test]
async fn two_registrations_racing_for_one_email_make_one_account() {
    for env in envs().await {
        let l = env.label;
        let tasks: Vec<_> = ["race@example.com", "RACE@example.com", "Race@Example.com"]
            .into_iter()
            .map(|email| {
                let accounts = env.accounts.clone();
                tokio::spawn(async move { accounts.register(registration(email, PASSWORD)).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.expect("task").must(l, "register") {
                Registered::Created(_) => created += 1,
                Registered::Existing => {}
            }
        }
        assert_eq!(created, 1, "[{l}]");
        assert_eq!(
            env.count("SELECT COUNT(*) FROM customers").await,
            1,
            "[{l}]"
        );
    }
}

impl Env {
    async fn register_with(&self, email: &str, password: &str) {
        match self
            .accounts
            .register(registration(email, password))
            .await
            .must(self.label, email)
        {
            Registered::Created(_) => {}
            Registered::Existing => panic!("[{}] {email} should be new", self.label),
        }
    }
}
