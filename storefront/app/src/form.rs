//! What the storefront's forms share: the error a form came back with (the API's
//! message and the field it names), labelled text fields that show that error beside
//! them, and the banner for an error no field of the form shows.
//!
//! A plain form (JavaScript off) learns its error from the URL: the server function
//! redirects back with `?error=…&field=…` (see [`crate::cart_api`]); [`url_error`]
//! reads it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The error to show and the field it belongs to (the API's `param`, e.g.
/// `shipping_address.postal_code`).
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    pub message: String,
    pub field: Option<String>,
}

impl FormError {
    /// Whether the error belongs to the field `param`.
    pub fn is_for(&self, param: &str) -> bool {
        self.field.as_deref() == Some(param)
    }
}

/// The error the URL carries (`?error=…&field=…`), as a plain form came back with it.
pub fn url_error() -> Memo<Option<FormError>> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        query.get("error").map(|message| FormError {
            message,
            field: query.get("field"),
        })
    })
}

/// The id of the error text of `param`, when the error belongs to it.
pub fn field_error_id(error: &Option<FormError>, param: &str) -> Option<String> {
    error
        .as_ref()
        .filter(|e| e.is_for(param))
        .map(|_| error_id(param))
}

pub fn error_id(param: &str) -> String {
    format!("error-{}", ids(param))
}

pub fn input_id(param: &str) -> String {
    format!("field-{}", ids(param))
}

fn hint_id(param: &str) -> String {
    format!("hint-{}", ids(param))
}

fn ids(param: &str) -> String {
    param.replace(['.', '_'], "-")
}

/// The error text under a field, linked from the field with `aria-describedby`.
#[component]
pub fn FieldError(
    param: &'static str,
    error: Memo<Option<FormError>>,
    /// Announced as an alert: for a form without a banner that already announces it.
    #[prop(optional)]
    alert: bool,
) -> impl IntoView {
    move || {
        error.get().filter(|e| e.is_for(param)).map(|e| {
            view! {
                <p class="field-error" id=error_id(param) role=alert.then_some("alert")>
                    {e.message}
                </p>
            }
        })
    }
}

/// A labelled input with its hint and, when the error names it, its error.
#[component]
pub fn TextField(
    /// The API's name of the field, e.g. `shipping_address.city`.
    #[prop(into)]
    param: String,
    #[prop(into)] name: String,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    autocomplete: &'static str,
    #[prop(into)] value: String,
    #[prop(default = false)] required: bool,
    error: Memo<Option<FormError>>,
    /// Shown under the label and read with the field, e.g. a password rule.
    #[prop(optional)]
    hint: Option<&'static str>,
    #[prop(optional)] minlength: Option<u32>,
    /// The error is announced as an alert: for a form without a banner that already
    /// announces it.
    #[prop(optional)]
    alert: bool,
) -> impl IntoView {
    let id = input_id(&param);
    let invalid = {
        let param = param.clone();
        move || {
            error
                .get()
                .is_some_and(|e| e.is_for(&param))
                .then_some("true")
        }
    };
    let hint_ref = hint.map(|_| hint_id(&param));
    let described = {
        let param = param.clone();
        let hint_ref = hint_ref.clone();
        move || {
            let refs: Vec<String> = hint_ref
                .iter()
                .cloned()
                .chain(field_error_id(&error.get(), &param))
                .collect();
            (!refs.is_empty()).then(|| refs.join(" "))
        }
    };
    let message = {
        let param = param.clone();
        move || {
            error.get().filter(|e| e.is_for(&param)).map(|e| {
                view! {
                    <p class="field-error" id=error_id(&param) role=alert.then_some("alert")>
                        {e.message}
                    </p>
                }
            })
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>
                {label}
                {(!required).then(|| view! { <span class="optional">" (optional)"</span> })}
            </label>
            {hint.map(|text| view! { <p class="field-hint" id=hint_ref.clone()>{text}</p> })}
            <input
                id=id
                type=kind
                name=name
                value=value
                autocomplete=autocomplete
                required=required
                minlength=minlength
                aria-invalid=invalid
                aria-describedby=described
            />
            {message}
        </div>
    }
}

/// The error of a form that none of its `fields` shows: one without a field, or about
/// a field the form does not have.
#[component]
pub fn FormBanner(
    error: Memo<Option<FormError>>,
    fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref().is_none_or(|f| !fields.contains(&f)))
            .map(|e| {
                view! {
                    <div class="form-error banner" role="alert">
                        <p data-testid="form-error">{e.message}</p>
                    </div>
                }
            })
    }
}

/// A confirmation at the top of a page (e.g. "Your name is saved.").
#[component]
pub fn Notice(text: Option<String>) -> impl IntoView {
    text.map(|text| {
        view! {
            <p class="form-status banner" role="status" data-testid="notice">
                {text}
            </p>
        }
    })
}
