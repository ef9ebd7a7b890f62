//! No password, token, hash or link reaches a log line or a `Debug` output. Every log
//! line of the process (every level, every crate: the kernel's database and outbox too)
//! is captured while a customer goes through the flows that handle secrets, and then
//! searched for each secret.
//!
//! One test in this file: it installs the process-wide subscriber.

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex, PoisonError},
};

use emporium_accounts::{AccountError, Registration};
use sha2::{Digest, Sha256};

use support::*;

/// Where every log line goes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The stored form of a token, as the service computes it.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[tokio::test]
async fn no_password_token_or_hash_appears_in_logs_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    for env in envs().await {
        let l = env.label;
        let first = "first secret passphrase";
        let second = "second secret passphrase";
        let third = "third secret passphrase";
        let mut secrets: Vec<String> = vec![first.into(), second.into(), third.into()];
        let mut shown = Vec::new();

        let registration = Registration {
            email: "ada@example.com".into(),
            password: first.into(),
            first_name: Some("Ada".into()),
            last_name: None,
        };
        shown.push(format!("{registration:?}"));
        let outcome = env
            .accounts
            .register(registration)
            .await
            .must(l, "register");
        shown.push(format!("{outcome:?}"));
        let emporium_accounts::Registered::Created(ada) = outcome else {
            panic!("[{l}] new account");
        };
        secrets.push(env.stored_hash(&ada.id).await);
        let verify = env
            .mailed_token(&ada.id, "customer.verification_requested")
            .await;
        env.accounts.verify_email(&verify).await.must(l, "verify");
        secrets.push(verify);

        // A wrong login and a registration attempt with the same email.
        let err = failure(
            env.accounts.login("ada@example.com", second).await,
            l,
            "wrong",
        );
        shown.push(format!("{err:?} {err}"));
        env.accounts
            .register(Registration {
                email: "ADA@example.com".into(),
                password: second.into(),
                ..Registration::default()
            })
            .await
            .must(l, "register again");

        let reset = env.reset_token(&ada).await;
        secrets.push(reset.clone());
        env.accounts
            .confirm_password_reset(&reset, second)
            .await
            .must(l, "reset");
        let err = failure(
            env.accounts.confirm_password_reset(&reset, third).await,
            l,
            "reuse",
        );
        shown.push(format!("{err:?} {err}"));
        secrets.push(env.stored_hash(&ada.id).await);

        let logged_in = env.login("ada@example.com", second).await;
        shown.push(format!("{logged_in:?}"));
        shown.push(format!("{:?}", logged_in.token));
        secrets.push(logged_in.token.expose().to_owned());
        env.accounts
            .authenticate(logged_in.token.expose())
            .await
            .must(l, "authenticate");
        env.advance(MINUTE);
        env.accounts
            .authenticate(logged_in.token.expose())
            .await
            .must(l, "authenticate and touch");
        env.accounts
            .change_password(&ada.id, Some(&logged_in.session.id), second, third)
            .await
            .must(l, "change password");
        let err = failure(
            env.accounts
                .change_password(&ada.id, None, first, "password123")
                .await,
            l,
            "weak",
        );
        shown.push(format!("{err:?} {err}"));
        secrets.push(env.stored_hash(&ada.id).await);
        env.accounts
            .logout(logged_in.token.expose())
            .await
            .must(l, "logout");
        shown.push(format!("{:?}", env.accounts));
        shown.push(format!("{:?}", AccountError::InvalidCredentials));

        // Hashes in every form they take: the PHC string, its output part, the SHA-256
        // of each token.
        for phc in secrets.clone().iter().filter(|s| s.starts_with("$argon2")) {
            if let Some(output) = phc.rsplit('$').next() {
                secrets.push(output.to_owned());
            }
        }
        for token in secrets.clone().iter().filter(|s| s.len() == 43) {
            secrets.push(token_hash(token));
        }

        let logs = captured.text();
        for expected in [
            "customer registered",
            "password reset",
            "customer logged in",
            "password changed",
        ] {
            assert!(
                logs.contains(expected),
                "[{l}] the capture works: {expected}"
            );
        }
        for secret in &secrets {
            assert!(
                !logs.contains(secret.as_str()),
                "[{l}] a secret was logged: {secret}"
            );
            for output in &shown {
                assert!(
                    !output.contains(secret.as_str()),
                    "[{l}] a secret is in Debug output: {output}"
                );
            }
        }
        assert!(shown.iter().any(|s| s.contains("<redacted>")), "[{l}]");
    }
}
