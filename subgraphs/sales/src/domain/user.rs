//! Users: e-mail, phone, time zone and user type rules.

use promptsales_kit::{ApiError, ApiResult};

use super::text;
use crate::store::NewUser;

/// What a user is to the platform.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    /// A client's person who buys or approves.
    Customer,
    /// Administers the organization.
    Admin,
    /// Runs campaigns.
    Marketer,
    /// Works leads.
    SalesAgent,
}

/// The time zone of a user who did not say.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// An e-mail address, trimmed and lower-cased (so uniqueness ignores case).
pub fn email(field: &str, value: &str) -> ApiResult<String> {
    let email = value.trim().to_lowercase();
    let bad = |why: &str| {
        ApiError::bad_input(
            field,
            format!("{field} is not an e-mail address ({why}): {value:?}"),
        )
    };
    if email.len() > 254 {
        return Err(bad("longer than 254 characters"));
    }
    let (local, domain) = email.split_once('@').ok_or_else(|| bad("no @"))?;
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return Err(bad(
            "the part before @ must be 1 to 64 characters, with a single @",
        ));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("spaces are not allowed"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad("the domain must look like example.com"));
    }
    Ok(email)
}

/// A phone number: digits with the usual separators, 6 to 15 digits (E.164's maximum).
pub fn phone(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(phone) = text::optional(field, value, 32)? else {
        return Ok(None);
    };
    let allowed =
        |(i, c): (usize, char)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0);
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.chars().enumerate().all(allowed) || !(6..=15).contains(&digits) {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} must be a phone number of 6 to 15 digits, optionally starting with +, got {phone:?}"
            ),
        ));
    }
    Ok(Some(phone))
}

/// The IANA areas a zone name starts with.
const TZ_AREAS: [&str; 11] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

/// An IANA time zone name, checked by shape (`Europe/Madrid`, `America/Argentina/Salta`, `UTC`), not
/// against the database: that would pin the service to one tzdata release.
pub fn timezone(field: &str, value: &str) -> ApiResult<String> {
    let zone = value.trim();
    if zone == "UTC" || zone == "GMT" {
        return Ok(zone.to_string());
    }
    let parts: Vec<&str> = zone.split('/').collect();
    let part_ok = |p: &&str| {
        p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
    };
    let valid = zone.len() <= 64
        && (2..=3).contains(&parts.len())
        && TZ_AREAS.contains(&parts[0])
        && parts.iter().all(part_ok);
    if valid {
        Ok(zone.to_string())
    } else {
        Err(ApiError::bad_input(
            field,
            format!(
                "{field} must be an IANA time zone name such as Europe/Madrid or UTC, got {zone:?}"
            ),
        ))
    }
}

/// Validates and normalises a user to create; fields are named as in `CreateUserInput`.
pub fn validate_new(new: NewUser) -> ApiResult<NewUser> {
    Ok(NewUser {
        email: email("input.email", &new.email)?,
        name: text::required("input.name", &new.name, 200)?,
        phone: phone("input.phone", new.phone.as_deref())?,
        timezone: timezone("input.timezone", &new.timezone)?,
        ..new
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            email("e", " Ana@Aurora.Example ").ok(),
            Some("ana@aurora.example".into())
        );
        for bad in [
            "ana",
            "@x.com",
            "ana@",
            "ana@localhost",
            "a b@x.com",
            "ana@x..com",
            "a@b@x.com",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_and_time_zones_are_checked_lightly() {
        assert!(phone("p", Some("+34 600 123 456")).is_ok());
        assert_eq!(phone("p", Some("  ")).ok(), Some(None));
        assert!(phone("p", Some("12-34")).is_err());
        assert!(phone("p", Some("34+600123456")).is_err());
        for ok in [
            "UTC",
            "Europe/Madrid",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
        ] {
            assert!(timezone("t", ok).is_ok(), "{ok}");
        }
        for bad in [
            "Mars/Olympus",
            "Europe",
            "europe/madrid",
            "Europe/Ma drid",
            "",
        ] {
            assert!(timezone("t", bad).is_err(), "{bad}");
        }
    }
}
