//! Who an order is for and where it goes: an [`Email`] and a postal [`Address`], parsed
//! once at the edge of the service that takes them, so everything after holds values
//! that are known to be well formed.

use serde::{Deserialize, Serialize};

/// Which input field is wrong and what to do about it (`shipping_address.city`: "must not
/// be empty"). Services turn it into their own "invalid field" error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

const MAX_EMAIL: usize = 254;
const MAX_ADDRESS_FIELD: usize = 200;

/// A deliverable-looking email address, trimmed: one `@`, something before it, a dot
/// inside the domain, no spaces, at most 254 characters. Real verification is the
/// confirmation email's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses `input` as the field named `field`.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let email = input.trim();
        let invalid = |message: &str| Err(FieldError::new(field, message));
        if email.is_empty() {
            return invalid("give an email address for the order confirmation");
        }
        if email.len() > MAX_EMAIL {
            return invalid("at most 254 characters");
        }
        if email.chars().any(char::is_whitespace) {
            return invalid("must not contain spaces");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("must contain an @, e.g. ada@example.com");
        };
        if domain.contains('@') {
            return invalid("must contain exactly one @");
        }
        if local.is_empty() {
            return invalid("needs a name before the @");
        }
        let dot_inside = domain
            .find('.')
            .is_some_and(|i| i > 0 && i + 1 < domain.len())
            && !domain.ends_with('.');
        if !dot_inside {
            return invalid("the part after the @ must be a domain such as example.com");
        }
        Ok(Email(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = FieldError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse("email", &value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// A postal address. Stored as JSON text and carried as is in order events; only
/// [`Address::parse`] makes one from input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    #[serde(default)]
    pub phone: Option<String>,
}

impl Address {
    /// Checks `input` field by field, trimming each, and names the first field at fault
    /// under `prefix` (`shipping_address.city`). `ships_to`, when given, lists the
    /// countries the address may be in.
    pub fn parse(
        prefix: &str,
        input: &Address,
        ships_to: Option<&[String]>,
    ) -> Result<Self, FieldError> {
        let country = input.country.trim().to_ascii_uppercase();
        let field = format!("{prefix}.country");
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FieldError::new(
                field,
                "give a two-letter ISO 3166-1 country code, e.g. DE",
            ));
        }
        if let Some(countries) = ships_to {
            if !countries.contains(&country) {
                return Err(FieldError::new(
                    field,
                    format!(
                        "this store's region does not ship to {country}; it ships to {}",
                        countries.join(", ")
                    ),
                ));
            }
        }
        Ok(Address {
            name: required(prefix, "name", &input.name)?,
            line1: required(prefix, "line1", &input.line1)?,
            line2: optional(prefix, "line2", input.line2.as_deref())?,
            city: required(prefix, "city", &input.city)?,
            postal_code: required(prefix, "postal_code", &input.postal_code)?,
            country,
            phone: optional(prefix, "phone", input.phone.as_deref())?,
        })
    }
}

fn required(prefix: &str, name: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    let field = format!("{prefix}.{name}");
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > MAX_ADDRESS_FIELD {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_ADDRESS_FIELD} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn optional(prefix: &str, name: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => required(prefix, name, v).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Address {
        Address {
            name: " Ada Lovelace ".into(),
            line1: "Unter den Linden 1".into(),
            line2: Some("  ".into()),
            city: "Berlin".into(),
            postal_code: "10117".into(),
            country: "de".into(),
            phone: None,
        }
    }

    #[test]
    fn an_email_is_trimmed_and_must_look_deliverable() {
        assert_eq!(
            Email::parse("email", " ada@example.com ").map(|e| e.to_string()),
            Ok("ada@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.de",
            "ada@.com",
            "ada@example.",
        ] {
            let err = Email::parse("email", bad).expect_err(bad);
            assert_eq!(err.field, "email", "{bad}");
        }
        assert!(Email::parse("email", &format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn an_email_read_back_from_json_is_parsed_again() {
        assert!(serde_json::from_str::<Email>("\"ada@example.com\"").is_ok());
        assert!(serde_json::from_str::<Email>("\"not an email\"").is_err());
    }

    #[test]
    fn an_address_is_trimmed_its_country_upper_cased_and_empty_optionals_dropped() {
        let parsed = Address::parse("shipping_address", &berlin(), None).expect("valid");
        assert_eq!(parsed.name, "Ada Lovelace");
        assert_eq!(parsed.country, "DE");
        assert_eq!(parsed.line2, None);
    }

    #[test]
    fn an_address_names_the_field_at_fault() {
        let mut a = berlin();
        a.city = " ".into();
        assert_eq!(
            Address::parse("shipping_address", &a, None).map_err(|e| e.field),
            Err("shipping_address.city".to_owned())
        );
        let mut a = berlin();
        a.country = "Germany".into();
        assert_eq!(
            Address::parse("billing_address", &a, None).map_err(|e| e.field),
            Err("billing_address.country".to_owned())
        );
        let refused = Address::parse("shipping_address", &berlin(), Some(&["FR".to_owned()]));
        assert!(refused.is_err_and(|e| e.message.contains("ships to FR")));
    }
}
