//! The ways into an account: `/account/login`, `/account/register`,
//! `/account/forgot` (ask for a reset link), `/account/reset?token=…` (choose a new
//! password) and `/account/verify?token=…` (confirm the email address).
//!
//! Each is a plain HTML form posting to a server function of [`crate::account_api`],
//! which redirects: the pages read the outcome from the URL (`?error=…&field=…`,
//! `?notice=…`, `?status=…`), so they work the same with JavaScript off.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Meta, Title};
use leptos_router::{components::Redirect, hooks::use_query_map};

use crate::{
    account::AccountContext,
    account_api::{
        after_sign_in, kept_account_fields, sign_in_href, ConfirmEmail, ForgotPassword, Register,
        ResendVerification, ResetPassword, SignIn,
    },
    form::{url_error, FormBanner, FormError, Notice, TextField},
    layout::Loading,
    response,
};

/// What the password fields say of the rule the API checks first.
const PASSWORD_HINT: &str = "At least 10 characters. A few words make a good one.";
const PASSWORD_MIN: u32 = 10;

/// What a notice code in the sign-in page's URL says.
fn login_notice(code: &str) -> Option<&'static str> {
    match code {
        "registered" => Some("Check your inbox to confirm your email, then sign in."),
        "password-reset" => Some("Your password is changed. Sign in with the new one."),
        _ => None,
    }
}

/// `/account/login`: email and password; `?next=` is where to go afterwards.
#[component]
pub fn LoginPage() -> impl IntoView {
    response::private_page();
    let query = use_query_map();
    let error = url_error();
    let account = AccountContext::get().account;
    let kept = Resource::new(|| (), |_| kept_account_fields());
    let notice = move || {
        query
            .read()
            .get("notice")
            .and_then(|code| login_notice(&code))
            .map(str::to_owned)
    };
    view! {
        <Title text="Sign in"/>
        <Meta name="robots" content="noindex"/>
        <section class="account-page auth-page">
            <h1>"Sign in"</h1>
            {move || view! { <Notice text=notice()/> }}
            <Suspense fallback=Loading>
                {move || {
                    let next = after_sign_in(query.read().get("next").as_deref());
                    Suspend::new(async move {
                        // Signed in already: on to where the shopper was going.
                        if let Ok(Some(_)) = account.await {
                            return view! { <Redirect path=next/> }.into_any();
                        }
                        let kept = kept.await.unwrap_or_default();
                        view! {
                            <form
                                class="account-form"
                                method="post"
                                action=SignIn::PATH
                                data-testid="login-form"
                            >
                                <FormBanner error fields=&["email", "password"]/>
                                <input type="hidden" name="next" value=next/>
                                <TextField param="email" name="email" label="Email" kind="email"
                                    autocomplete="email" value=kept.email required=true error alert=true/>
                                <TextField param="password" name="password" label="Password"
                                    kind="password" autocomplete="current-password" value=""
                                    required=true error alert=true/>
                                <button type="submit" class="button">"Sign in"</button>
                            </form>
                        }
                            .into_any()
                    })
                }}
            </Suspense>
            <p><a href="/account/forgot">"Forgot your password?"</a></p>
            <p>"New here? " <a href="/account/register">"Create an account"</a></p>
        </section>
    }
}

/// `/account/register`: email, password and name. The API never signs in here: the
/// shopper confirms the email first, then signs in.
#[component]
pub fn RegisterPage() -> impl IntoView {
    response::private_page();
    let error = url_error();
    let kept = Resource::new(|| (), |_| kept_account_fields());
    view! {
        <Title text="Create an account"/>
        <Meta name="robots" content="noindex"/>
        <section class="account-page auth-page">
            <h1>"Create an account"</h1>
            <p class="lead">"Track your orders and check out faster with saved addresses."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let kept = kept.await.unwrap_or_default();
                    view! {
                        <form
                            class="account-form"
                            method="post"
                            action=Register::PATH
                            data-testid="register-form"
                        >
                            <FormBanner error fields=&["email", "password", "first_name", "last_name"]/>
                            <TextField param="email" name="email" label="Email" kind="email"
                                autocomplete="email" value=kept.email required=true error alert=true/>
                            <TextField param="password" name="password" label="Password"
                                kind="password" autocomplete="new-password" value="" required=true
                                hint=PASSWORD_HINT minlength=PASSWORD_MIN error alert=true/>
                            <div class="field-row halves">
                                <TextField param="first_name" name="first_name" label="First name"
                                    autocomplete="given-name" value=kept.first_name error alert=true/>
                                <TextField param="last_name" name="last_name" label="Last name"
                                    autocomplete="family-name" value=kept.last_name error alert=true/>
                            </div>
                            <button type="submit" class="button">"Create account"</button>
                        </form>
                    }
                })}
            </Suspense>
            <p>"Already have an account? " <a href="/account/login">"Sign in"</a></p>
        </section>
    }
}

/// `/account/forgot`: asks for a reset link; the answer is the same for any email.
#[component]
pub fn ForgotPage() -> impl IntoView {
    response::private_page();
    let query = use_query_map();
    let error = url_error();
    let kept = Resource::new(|| (), |_| kept_account_fields());
    let sent = move || query.read().get("status").as_deref() == Some("sent");
    view! {
        <Title text="Forgot your password"/>
        <Meta name="robots" content="noindex"/>
        <section class="account-page auth-page">
            <h1>"Forgot your password?"</h1>
            <Show
                when=sent
                fallback=move || {
                    view! {
                        <p class="lead">"Enter your email and we will send you a link to choose a new password."</p>
                        <Suspense fallback=Loading>
                            {move || Suspend::new(async move {
                                let kept = kept.await.unwrap_or_default();
                                view! {
                                    <form
                                        class="account-form"
                                        method="post"
                                        action=ForgotPassword::PATH
                                        data-testid="forgot-form"
                                    >
                                        <FormBanner error fields=&["email"]/>
                                        <TextField param="email" name="email" label="Email"
                                            kind="email" autocomplete="email" value=kept.email
                                            required=true error alert=true/>
                                        <button type="submit" class="button">"Send me a link"</button>
                                    </form>
                                }
                            })}
                        </Suspense>
                    }
                }
            >
                <p class="form-status banner" role="status" data-testid="notice">
                    "If an account exists for that email, we sent a link."
                </p>
                <p>"The link works for a short while. Check your spam folder if it does not arrive."</p>
            </Show>
            <p><a href="/account/login">"Back to sign in"</a></p>
        </section>
    }
}

/// Whether the error says the emailed link cannot be used (unknown, expired or used).
fn link_refused(error: &Option<FormError>) -> bool {
    error.as_ref().is_some_and(|e| e.is_for("token"))
}

/// `/account/reset?token=…`: the new password.
#[component]
pub fn ResetPage() -> impl IntoView {
    response::private_page();
    let query = use_query_map();
    let error = url_error();
    let body = move || {
        let token = query.read().get("token").unwrap_or_default();
        if link_refused(&error.get()) || token.is_empty() {
            let text = if token.is_empty() && !link_refused(&error.get()) {
                "This link is not complete. Open the link from the email again, or ask for a new one."
            } else {
                "This link has expired or was already used."
            };
            return view! {
                <div class="form-error banner" role="alert" data-testid="link-refused">
                    <p>{text}</p>
                </div>
                <p><a class="button" href="/account/forgot">"Ask for a new link"</a></p>
            }
            .into_any();
        }
        view! {
            <form class="account-form" method="post" action=ResetPassword::PATH data-testid="reset-form">
                <FormBanner error fields=&["password", "token"]/>
                <input type="hidden" name="token" value=token/>
                <TextField param="password" name="password" label="New password" kind="password"
                    autocomplete="new-password" value="" required=true hint=PASSWORD_HINT
                    minlength=PASSWORD_MIN error alert=true/>
                <button type="submit" class="button">"Set new password"</button>
            </form>
        }
        .into_any()
    };
    view! {
        <Title text="Choose a new password"/>
        <Meta name="robots" content="noindex"/>
        <section class="account-page auth-page">
            <h1>"Choose a new password"</h1>
            {body}
        </section>
    }
}

/// `/account/verify?token=…`: confirms the email address with a button, never on the
/// GET itself (mail scanners open links, and the token works once).
#[component]
pub fn VerifyPage() -> impl IntoView {
    response::private_page();
    let query = use_query_map();
    let error = url_error();
    let account = AccountContext::get().account;
    view! {
        <Title text="Confirm your email"/>
        <Meta name="robots" content="noindex"/>
        <section class="account-page auth-page">
            <Suspense fallback=Loading>
                {move || {
                    let (token, status) = {
                        let query = query.read();
                        (query.get("token").unwrap_or_default(), query.get("status"))
                    };
                    let refused = link_refused(&error.get());
                    Suspend::new(async move {
                        let signed_in = matches!(account.await, Ok(Some(_)));
                        if status.as_deref() == Some("confirmed") {
                            return confirmed(signed_in);
                        }
                        if refused || token.is_empty() {
                            return new_link(signed_in, refused);
                        }
                        view! {
                            <h1>"Confirm your email"</h1>
                            <p class="lead">"One click and your email address is confirmed."</p>
                            <form class="account-form" method="post" action=ConfirmEmail::PATH data-testid="verify-form">
                                <FormBanner error fields=&["token"]/>
                                <input type="hidden" name="token" value=token/>
                                <button type="submit" class="button">"Confirm my email"</button>
                            </form>
                        }
                            .into_any()
                    })
                }}
            </Suspense>
        </section>
    }
}

fn confirmed(signed_in: bool) -> AnyView {
    let (href, label) = if signed_in {
        ("/account", "Go to your account")
    } else {
        ("/account/login", "Sign in")
    };
    view! {
        <h1>"Your email is confirmed"</h1>
        <p class="form-status banner" role="status" data-testid="notice">
            "Thank you: your email address is confirmed."
        </p>
        <p><a class="button" href=href>{label}</a></p>
    }
    .into_any()
}

/// A link that cannot confirm anything, and how to get a new one: a signed-in customer
/// asks here; anyone else signs in first.
fn new_link(signed_in: bool, refused: bool) -> AnyView {
    let text = if refused {
        "This link has expired or was already used."
    } else {
        "This link is not complete. Open the link from the email again, or ask for a new one."
    };
    let ask = if signed_in {
        view! {
            <form method="post" action=ResendVerification::PATH>
                <button type="submit" class="button" data-testid="resend-verification">
                    "Send me a new link"
                </button>
            </form>
        }
        .into_any()
    } else {
        view! {
            <p>
                <a class="button" href=sign_in_href("/account")>"Sign in to get a new link"</a>
            </p>
        }
        .into_any()
    };
    view! {
        <h1>"Confirm your email"</h1>
        <div class="form-error banner" role="alert" data-testid="link-refused">
            <p>{text}</p>
        </div>
        {ask}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        assert!(login_notice("registered").is_some_and(|t| t.contains("Check your inbox")));
        assert!(login_notice("password-reset").is_some());
        assert_eq!(login_notice("<script>"), None);
    }
}
