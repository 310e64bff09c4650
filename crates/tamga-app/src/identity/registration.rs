//! An operator's online registration, parsed (not validated): the form as
//! sent ([`RegistrationForm`], strings) becomes a [`Registration`] whose
//! fields are known good, or the first bad field is refused with a stable
//! code and the JSON pointer of the field (400).

use serde::{Deserialize, Serialize};

use tamga_core::codes::Eori;
use tamga_store::OperatorKind;

use crate::error::AppError;
use crate::identity::password;

/// The registration as sent.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistrationForm {
    /// The operator's EORI (`UZ` and 12 digits).
    #[cfg_attr(feature = "openapi", schema(example = "UZ000000123456"))]
    pub eori: String,
    /// `trader`, `broker` or `carrier`.
    #[cfg_attr(feature = "openapi", schema(example = "trader"))]
    pub kind: String,
    /// The legal name (2 to 200 characters).
    pub legal_name: String,
    pub address: AddressForm,
    pub contact: ContactForm,
    pub representative: RepresentativeForm,
    /// The operator's first user, who logs in once the operator is approved.
    pub user: FirstUserForm,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressForm {
    pub street: String,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// ISO 3166 alpha-2 country code.
    #[cfg_attr(feature = "openapi", schema(example = "UZ"))]
    pub country: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactForm {
    #[cfg_attr(feature = "openapi", schema(example = "office@example.uz"))]
    pub email: String,
    /// International format: `+` and 7 to 15 digits (spaces and dashes
    /// are dropped).
    #[cfg_attr(feature = "openapi", schema(example = "+998 71 200 00 00"))]
    pub phone: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepresentativeForm {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirstUserForm {
    /// 3 to 32 characters: lower-case letters, digits, `.`, `_`, `-`,
    /// starting with a letter or digit.
    #[cfg_attr(feature = "openapi", schema(example = "silk.admin"))]
    pub username: String,
    /// The person's full name.
    pub name: String,
    /// At least 12 characters, not guessable (nor built on the user's own
    /// name, username, e-mail or company name).
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// A user name as tamga accepts it for new users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Username(String);

impl Username {
    pub const PATTERN: &'static str = "^[a-z0-9][a-z0-9._-]{2,31}$";
    pub fn parse(s: &str, pointer: &str) -> Result<Username, AppError> {
        let ok = (3..=32).contains(&s.len())
            && s.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || (i > 0 && matches!(b, b'.' | b'_' | b'-'))
            });
        if ok {
            Ok(Username(s.to_owned()))
        } else {
            Err(AppError::bad_request(
                "USERNAME_FORMAT",
                pointer,
                format!(
                    "a user name has 3 to 32 characters matching {}",
                    Self::PATTERN
                ),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text of at most `max` characters: trimmed, not empty, without
/// control characters.
pub fn text(s: &str, max: usize, pointer: &str) -> Result<String, AppError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(AppError::bad_request(
            "FIELD_REQUIRED",
            pointer,
            "this field may not be empty",
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::bad_request(
            "FIELD_TOO_LONG",
            pointer,
            format!("at most {max} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "FIELD_FORMAT",
            pointer,
            "control characters are not allowed",
        ));
    }
    Ok(t.to_owned())
}

/// An e-mail address: one `@`, a local part and a dotted domain, at most
/// 254 characters, no spaces (lower-cased).
pub fn email(s: &str, pointer: &str) -> Result<String, AppError> {
    let s = s.trim();
    let bad = || {
        AppError::bad_request(
            "EMAIL_FORMAT",
            pointer,
            "not an e-mail address (name@domain.tld)",
        )
    };
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(bad());
    }
    Ok(s.to_lowercase())
}

/// A phone number in international format, normalised to `+` and digits.
pub fn phone(s: &str, pointer: &str) -> Result<String, AppError> {
    let compact: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(AppError::bad_request(
            "PHONE_FORMAT",
            pointer,
            "a phone number in international format: + and 7 to 15 digits",
        ))
    }
}

/// A registration whose every field was parsed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub eori: Eori,
    pub kind: OperatorKind,
    pub legal_name: String,
    pub address: AddressForm,
    pub contact: ContactForm,
    pub representative: RepresentativeForm,
    pub username: Username,
    pub user_name: String,
    pub user_email: Option<String>,
    /// The password as sent, which met the policy (hash it, then drop it).
    pub password: String,
}

impl Registration {
    /// Parses the form, field by field in order; the first bad one is
    /// refused (400, its code and pointer).
    pub fn parse(f: RegistrationForm) -> Result<Registration, AppError> {
        let eori = Eori::parse(f.eori.trim())
            .map_err(|e| AppError::bad_request(e.code, "/eori", e.message))?;
        let kind = OperatorKind::parse(f.kind.trim())
            .filter(|k| k.first_role().is_some())
            .ok_or_else(|| {
                AppError::bad_request(
                    "REGISTRATION_KIND",
                    "/kind",
                    "an operator registers as a trader, broker or carrier",
                )
            })?;
        let legal_name = text(&f.legal_name, 200, "/legalName")?;
        let postcode = f
            .address
            .postcode
            .as_deref()
            .map(|p| text(p, 16, "/address/postcode"))
            .transpose()?;
        let country = f.address.country.trim();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AppError::bad_request(
                "COUNTRY_FORMAT",
                "/address/country",
                "an ISO 3166 alpha-2 country code (two capital letters)",
            ));
        }
        let address = AddressForm {
            street: text(&f.address.street, 200, "/address/street")?,
            city: text(&f.address.city, 100, "/address/city")?,
            postcode,
            country: country.to_owned(),
        };
        let contact = ContactForm {
            email: email(&f.contact.email, "/contact/email")?,
            phone: phone(&f.contact.phone, "/contact/phone")?,
        };
        let representative = RepresentativeForm {
            name: text(&f.representative.name, 200, "/representative/name")?,
            position: f
                .representative
                .position
                .as_deref()
                .map(|p| text(p, 100, "/representative/position"))
                .transpose()?,
        };
        let username = Username::parse(f.user.username.trim(), "/user/username")?;
        let user_name = text(&f.user.name, 200, "/user/name")?;
        let user_email = f
            .user
            .email
            .as_deref()
            .map(|e| email(e, "/user/email"))
            .transpose()?;
        let words = [
            username.as_str(),
            user_name.as_str(),
            user_email.as_deref().unwrap_or(""),
            contact.email.as_str(),
            legal_name.as_str(),
            eori.as_str(),
        ];
        password::check_policy(&f.user.password, &words)
            .map_err(|e| AppError::bad_request(e.code(), "/user/password", e.to_string()))?;
        Ok(Registration {
            eori,
            kind,
            legal_name,
            address,
            contact,
            representative,
            username,
            user_name,
            user_email,
            password: f.user.password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_emails_and_phones_are_parsed() {
        assert!(Username::parse("silk.admin", "/u").is_ok());
        for bad in ["ab", "Admin", ".dot", "a b c", &"x".repeat(33)] {
            assert_eq!(
                Username::parse(bad, "/u").unwrap_err().code(),
                "USERNAME_FORMAT",
                "{bad}"
            );
        }
        assert_eq!(email(" A@Example.UZ ", "/e").unwrap(), "a@example.uz");
        for bad in ["a", "a@b", "@b.uz", "a@b..uz", "a b@c.uz", "a@.uz"] {
            assert!(email(bad, "/e").is_err(), "{bad}");
        }
        assert_eq!(phone("+998 71 200-00-00", "/p").unwrap(), "+998712000000");
        for bad in ["998712000000", "+12", "+99871200000abc"] {
            assert!(phone(bad, "/p").is_err(), "{bad}");
        }
        assert_eq!(text("  ", 5, "/t").unwrap_err().code(), "FIELD_REQUIRED");
        assert_eq!(
            text("abcdef", 5, "/t").unwrap_err().code(),
            "FIELD_TOO_LONG"
        );
        assert_eq!(text("a\u{0}b", 5, "/t").unwrap_err().code(), "FIELD_FORMAT");
    }
}
