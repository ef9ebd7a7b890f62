//! The profile: names and phone, and changing the email.

mod support;

use emporium_accounts::{AccountError, CustomerId, ProfileUpdate};

use support::*;

#[tokio::test]
async fn the_profile_is_replaced_trimmed_and_blank_fields_cleared() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        env.advance(MINUTE);
        let updated = env
            .accounts
            .update_profile(
                &ada.id,
                ProfileUpdate {
                    first_name: Some(" Augusta Ada ".into()),
                    last_name: Some("King".into()),
                    phone: Some(" +44 (20) 7946-0958 ".into()),
                },
            )
            .await
            .must(l, "update");
        assert_eq!(updated.first_name.as_deref(), Some("Augusta Ada"), "[{l}]");
        assert_eq!(updated.last_name.as_deref(), Some("King"), "[{l}]");
        assert_eq!(
            updated.phone.as_deref(),
            Some("+44 (20) 7946-0958"),
            "[{l}]"
        );
        assert_eq!(updated.updated_at, env.now(), "[{l}]");
        assert_eq!(
            updated.email, ada.email,
            "[{l}] the email is not a profile field"
        );
        assert_eq!(
            env.accounts.customer(&ada.id).await.must(l, "read back"),
            updated,
            "[{l}]"
        );
        let cleared = env
            .accounts
            .update_profile(
                &ada.id,
                ProfileUpdate {
                    first_name: Some("Ada".into()),
                    last_name: Some("  ".into()),
                    phone: None,
                },
            )
            .await
            .must(l, "clear");
        assert_eq!((cleared.last_name, cleared.phone), (None, None), "[{l}]");
    }
}

#[tokio::test]
async fn invalid_profile_fields_are_refused_naming_the_field() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let cases = [
            (
                "first_name",
                ProfileUpdate {
                    first_name: Some("a".repeat(101)),
                    ..Default::default()
                },
            ),
            (
                "last_name",
                ProfileUpdate {
                    last_name: Some("King\nBcc: x".into()),
                    ..Default::default()
                },
            ),
            (
                "phone",
                ProfileUpdate {
                    phone: Some("call me".into()),
                    ..Default::default()
                },
            ),
            (
                "phone",
                ProfileUpdate {
                    phone: Some("12".into()),
                    ..Default::default()
                },
            ),
            (
                "phone",
                ProfileUpdate {
                    phone: Some("1".repeat(33)),
                    ..Default::default()
                },
            ),
        ];
        for (field, update) in cases {
            let err = failure(env.accounts.update_profile(&ada.id, update).await, l, field);
            assert_eq!(field_of(&err), field, "[{l}]");
        }
        let unchanged = env.accounts.customer(&ada.id).await.must(l, "read");
        assert_eq!(unchanged, ada, "[{l}]");
    }
}

#[tokio::test]
async fn an_unknown_customer_is_not_found() {
    for env in envs().await {
        let l = env.label;
        let nobody = CustomerId::new();
        let err = failure(env.accounts.customer(&nobody).await, l, "read");
        assert!(matches!(err, AccountError::NotFound), "[{l}] {err:?}");
        let err = failure(
            env.accounts
                .update_profile(&nobody, ProfileUpdate::default())
                .await,
            l,
            "update",
        );
        assert!(matches!(err, AccountError::NotFound), "[{l}] {err:?}");
        let err = failure(
            env.accounts
                .change_email(&nobody, PASSWORD, "x@example.com")
                .await,
            l,
            "change email",
        );
        assert!(matches!(err, AccountError::NotFound), "[{l}] {err:?}");
    }
}

#[tokio::test]
async fn changing_the_email_needs_the_password_resets_verification_and_mails_both_addresses() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let first_link = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        let reset_link = env.reset_token(&ada).await;
        env.accounts
            .verify_email(&first_link)
            .await
            .must(l, "verify");
        let err = failure(
            env.accounts
                .change_email(&ada.id, OTHER_PASSWORD, "ada@lovelace.org")
                .await,
            l,
            "wrong password",
        );
        assert!(
            matches!(err, AccountError::InvalidCredentials),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.accounts
                .change_email(&ada.id, PASSWORD, "not an email")
                .await,
            l,
            "malformed",
        );
        assert_eq!(field_of(&err), "email", "[{l}]");

        let changed = env
            .accounts
            .change_email(&ada.id, PASSWORD, " Ada@Lovelace.org ")
            .await
            .must(l, "change");
        assert_eq!(changed.email.as_str(), "Ada@Lovelace.org", "[{l}]");
        assert!(
            !changed.email_verified(),
            "[{l}] the new address is unverified"
        );

        let notice = env.last_event(&ada.id, "customer.email_changed").await;
        assert_eq!(notice["old_email"], "ada@example.com", "[{l}]");
        assert_eq!(notice["new_email"], "Ada@Lovelace.org", "[{l}]");
        let link = env
            .last_event(&ada.id, "customer.verification_requested")
            .await;
        assert_eq!(
            link["email"], "Ada@Lovelace.org",
            "[{l}] the link goes to the new address"
        );
        assert_eq!(link["reason"], "email_changed", "[{l}]");

        // The reset link mailed to the old address stopped working.
        let err = failure(
            env.accounts
                .confirm_password_reset(&reset_link, OTHER_PASSWORD)
                .await,
            l,
            "old reset link",
        );
        assert!(matches!(err, AccountError::TokenInvalid), "[{l}] {err:?}");
        // Logins use the new address.
        env.login("ada@lovelace.org", PASSWORD).await;
        assert!(
            env.accounts
                .login("ada@example.com", PASSWORD)
                .await
                .is_err(),
            "[{l}]"
        );
        // The new link verifies the new address.
        let token = link["token"].as_str().unwrap_or_default().to_owned();
        env.accounts
            .verify_email(&token)
            .await
            .must(l, "verify new");
        assert!(
            env.accounts
                .customer(&ada.id)
                .await
                .must(l, "read")
                .email_verified(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn a_verification_link_for_an_address_the_account_no_longer_has_is_refused() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let old_link = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        env.accounts
            .change_email(&ada.id, PASSWORD, "ada@lovelace.org")
            .await
            .must(l, "change");
        let err = failure(env.accounts.verify_email(&old_link).await, l, "old link");
        assert!(matches!(err, AccountError::TokenInvalid), "[{l}] {err:?}");
        assert!(
            !env.accounts
                .customer(&ada.id)
                .await
                .must(l, "read")
                .email_verified(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn the_same_email_in_another_case_keeps_its_verification_and_mails_nothing() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let link = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        env.accounts.verify_email(&link).await.must(l, "verify");
        let before = env.topics(&ada.id).await.len();
        let changed = env
            .accounts
            .change_email(&ada.id, PASSWORD, "Ada@Example.com")
            .await
            .must(l, "recase");
        assert_eq!(changed.email.as_str(), "Ada@Example.com", "[{l}]");
        assert!(changed.email_verified(), "[{l}]");
        assert_eq!(env.topics(&ada.id).await.len(), before, "[{l}] no mail");
    }
}

#[tokio::test]
async fn an_email_another_account_has_is_refused() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        env.register("grace@example.com").await;
        let err = failure(
            env.accounts
                .change_email(&ada.id, PASSWORD, "GRACE@example.com")
                .await,
            l,
            "taken",
        );
        assert_eq!(field_of(&err), "email", "[{l}]");
        let unchanged = env.accounts.customer(&ada.id).await.must(l, "read");
        assert_eq!(unchanged.email.as_str(), "ada@example.com", "[{l}]");
        env.login("grace@example.com", PASSWORD).await;
    }
}
