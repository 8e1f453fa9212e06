//! Customers: the people behind leads and sales, and how their data is normalized.

use std::fmt;

use chrono::{DateTime, Utc};
use promptsales_kit::Decimal4;
use uuid::Uuid;

use super::{Invalid, country, optional_text, required_text};

/// A customer as the crm knows it (personal data in clear: only ever in memory).
#[derive(Clone, PartialEq)]
pub struct Customer {
    /// Primary key (UUIDv7), the customer's federation key.
    pub id: Uuid,
    /// The tenant it belongs to.
    pub organization_id: Uuid,
    /// Full name.
    pub full_name: String,
    /// E-mail, lower case.
    pub email: String,
    /// Phone in E.164 form (`+34600123456`).
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Latitude in degrees (present together with longitude).
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// Marketing segment.
    pub segment: Option<String>,
    /// Lifetime value as recorded by the caller.
    pub lifetime_value: Decimal4,
    /// Consent to marketing messages.
    pub consent_marketing: bool,
    /// When its personal data was erased on request (GDPR/CCPA); name and e-mail are then empty.
    pub erased_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A customer to create; `id` is generated when absent.
#[derive(Clone, PartialEq, Default)]
pub struct NewCustomer {
    /// A caller-chosen id (seeds, imports), else a new one.
    pub id: Option<Uuid>,
    /// The tenant.
    pub organization_id: Uuid,
    /// Full name.
    pub full_name: String,
    /// E-mail (any case; stored lower case).
    pub email: String,
    /// Phone (any common notation with a leading `+` and country code).
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country (any case).
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Latitude, -90..90.
    pub latitude: Option<f64>,
    /// Longitude, -180..180.
    pub longitude: Option<f64>,
    /// Marketing segment.
    pub segment: Option<String>,
    /// Lifetime value, >= 0.
    pub lifetime_value: Decimal4,
}

// Personal data never reaches logs through `{:?}`.
impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customer")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("personal_data", &"<redacted>")
            .field("country", &self.country)
            .field("segment", &self.segment)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for NewCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCustomer")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("personal_data", &"<redacted>")
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// Filters of a customer list (exact matches; absent means any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Segment.
    pub segment: Option<String>,
}

/// Validates and normalizes a new customer (trimmed text, lower-case e-mail, E.164 phone, upper-case country).
pub fn validate(new: NewCustomer) -> Result<NewCustomer, Invalid> {
    let full_name = required_text("input.fullName", &new.full_name, 200)?;
    let email = normalize_email("input.email", &new.email)?;
    let phone = match optional_text("input.phone", new.phone, 40)? {
        Some(p) => Some(normalize_phone("input.phone", &p)?),
        None => None,
    };
    let country = match optional_text("input.country", new.country, 8)? {
        Some(c) => Some(normalize_country("input.country", &c)?),
        None => None,
    };
    let city = optional_text("input.city", new.city, 100)?;
    let segment = optional_text("input.segment", new.segment, 64)?;
    check_coordinates(new.latitude, new.longitude)?;
    if new.lifetime_value.is_negative() {
        return Err(Invalid::new(
            "input.lifetimeValue",
            "input.lifetimeValue must be >= 0",
        ));
    }
    Ok(NewCustomer {
        full_name,
        email,
        phone,
        country,
        city,
        segment,
        ..new
    })
}

/// Normalizes a country code or names `field` as invalid.
pub fn normalize_country(field: &str, text: &str) -> Result<String, Invalid> {
    country::normalize(text).ok_or_else(|| {
        Invalid::new(
            field,
            format!("{field} must be an ISO 3166-1 alpha-2 country code such as ES, got {text:?}"),
        )
    })
}

fn check_coordinates(latitude: Option<f64>, longitude: Option<f64>) -> Result<(), Invalid> {
    match (latitude, longitude) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(Invalid::new(
            "input.longitude",
            "input.longitude is required with input.latitude",
        )),
        (None, Some(_)) => Err(Invalid::new(
            "input.latitude",
            "input.latitude is required with input.longitude",
        )),
        (Some(lat), Some(lon)) => {
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(Invalid::new(
                    "input.latitude",
                    "input.latitude must be between -90 and 90",
                ));
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(Invalid::new(
                    "input.longitude",
                    "input.longitude must be between -180 and 180",
                ));
            }
            Ok(())
        }
    }
}

/// The canonical form of an e-mail (trimmed, lower case), or why it is not one.
///
/// The blind index is computed over this form, so two spellings of one
/// address are one customer.
pub fn normalize_email(field: &str, text: &str) -> Result<String, Invalid> {
    let email = text.trim().to_lowercase();
    let refuse = |why: &str| {
        Err(Invalid::new(
            field,
            format!("{field} is not an e-mail address: {why}"),
        ))
    };
    if email.is_empty() {
        return refuse("it is empty");
    }
    if email.len() > 254 {
        return refuse("it is longer than 254 characters");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return refuse("it has no @");
    };
    if local.is_empty() || local.len() > 64 {
        return refuse("the part before @ must have 1 to 64 characters");
    }
    if local
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"@\\".contains(c))
    {
        return refuse("the part before @ has characters an address cannot have");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels.iter().any(|l| {
            l.is_empty()
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
    {
        return refuse("the domain must be a name such as example.com");
    }
    Ok(email)
}

/// The E.164 form of a phone number written with a leading `+` and country code
/// (spaces, dots, dashes and parentheses are allowed as separators).
pub fn normalize_phone(field: &str, text: &str) -> Result<String, Invalid> {
    let trimmed = text.trim();
    let refuse = || {
        Err(Invalid::new(
            field,
            format!(
                "{field} must be an international number such as +34 600 123 456, got {trimmed:?}"
            ),
        ))
    };
    let Some(rest) = trimmed.strip_prefix('+') else {
        return refuse();
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return refuse(),
        }
    }
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return refuse();
    }
    Ok(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> NewCustomer {
        NewCustomer {
            organization_id: Uuid::nil(),
            full_name: "  Lucía Pérez ".into(),
            email: " Lucia.Perez@Example.COM ".into(),
            phone: Some("+34 (600) 123-456".into()),
            country: Some("es".into()),
            city: Some("Madrid".into()),
            latitude: Some(40.4168),
            longitude: Some(-3.7038),
            segment: Some("  ".into()),
            ..Default::default()
        }
    }

    #[test]
    fn normalizes_what_it_accepts() {
        let c = validate(valid()).unwrap();
        assert_eq!(c.full_name, "Lucía Pérez");
        assert_eq!(c.email, "lucia.perez@example.com");
        assert_eq!(c.phone.as_deref(), Some("+34600123456"));
        assert_eq!(c.country.as_deref(), Some("ES"));
        assert_eq!(c.segment, None);
        assert_eq!(validate(c.clone()).unwrap(), c, "validation is idempotent");
    }

    #[test]
    fn names_the_field_it_refuses() {
        let field = |c: NewCustomer| validate(c).unwrap_err().field;
        assert_eq!(
            field(NewCustomer {
                email: "nope".into(),
                ..valid()
            }),
            "input.email"
        );
        assert_eq!(
            field(NewCustomer {
                email: "a@b".into(),
                ..valid()
            }),
            "input.email"
        );
        assert_eq!(
            field(NewCustomer {
                full_name: " ".into(),
                ..valid()
            }),
            "input.fullName"
        );
        assert_eq!(
            field(NewCustomer {
                phone: Some("600123456".into()),
                ..valid()
            }),
            "input.phone"
        );
        assert_eq!(
            field(NewCustomer {
                country: Some("XX".into()),
                ..valid()
            }),
            "input.country"
        );
        assert_eq!(
            field(NewCustomer {
                latitude: Some(91.0),
                ..valid()
            }),
            "input.latitude"
        );
        assert_eq!(
            field(NewCustomer {
                longitude: None,
                ..valid()
            }),
            "input.longitude"
        );
        assert_eq!(
            field(NewCustomer {
                longitude: Some(f64::NAN),
                ..valid()
            }),
            "input.longitude"
        );
        assert_eq!(
            field(NewCustomer {
                lifetime_value: Decimal4(-1),
                ..valid()
            }),
            "input.lifetimeValue"
        );
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let c = validate(valid()).unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("lucia") && !text.contains("Pérez") && !text.contains("600"));
    }
}
