//! `/register`: a company registers online. The form's fields are those of
//! `POST /api/v1/registrations` ([`RegistrationForm`]), each named by the
//! last part of its JSON pointer, so the service's error (code and
//! pointer) lands next to its field; what was typed is kept (never the
//! password). The first user's password is chosen here, as the API takes
//! it (`user.password`). On success the company waits for an
//! administrator's approval ([`registered_page`]).

use askama::Template;
use tamga_app::identity::registration::{
    AddressForm, ContactForm, FirstUserForm, RegistrationForm, RepresentativeForm,
};

use super::error_message;
use crate::pages::form::{summary, Field, Posted};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

/// Each field: form name, JSON pointer in the API's body, message id of
/// its label, input type, autocomplete token, required.
pub const FIELDS: &[(&str, &str, &str, &str, &str, bool)] = &[
    ("eori", "/eori", "reg-eori", "text", "off", true),
    (
        "legalName",
        "/legalName",
        "reg-legal-name",
        "text",
        "organization",
        true,
    ),
    (
        "street",
        "/address/street",
        "reg-street",
        "text",
        "street-address",
        true,
    ),
    (
        "city",
        "/address/city",
        "reg-city",
        "text",
        "address-level2",
        true,
    ),
    (
        "postcode",
        "/address/postcode",
        "reg-postcode",
        "text",
        "postal-code",
        false,
    ),
    (
        "country",
        "/address/country",
        "reg-country",
        "text",
        "country",
        true,
    ),
    (
        "email",
        "/contact/email",
        "reg-email",
        "email",
        "email",
        true,
    ),
    ("phone", "/contact/phone", "reg-phone", "tel", "tel", true),
    (
        "representative",
        "/representative/name",
        "reg-representative",
        "text",
        "off",
        true,
    ),
    (
        "position",
        "/representative/position",
        "reg-position",
        "text",
        "organization-title",
        false,
    ),
    (
        "username",
        "/user/username",
        "reg-username",
        "text",
        "username",
        true,
    ),
    (
        "userName",
        "/user/name",
        "reg-user-name",
        "text",
        "name",
        true,
    ),
    (
        "userEmail",
        "/user/email",
        "reg-user-email",
        "email",
        "email",
        false,
    ),
    (
        "password",
        "/user/password",
        "reg-password",
        "password",
        "new-password",
        true,
    ),
];

/// The operator kinds that register online, with their message ids.
pub const KINDS: &[(&str, &str)] = &[
    ("trader", "reg-kind-trader"),
    ("broker", "reg-kind-broker"),
    ("carrier", "reg-kind-carrier"),
];

/// The service's form from the posted fields (empty optional fields are
/// absent, as an API client would leave them out).
pub fn form_of(p: &Posted) -> RegistrationForm {
    let opt = |name: &str| {
        let v = p.get(name);
        (!v.trim().is_empty()).then(|| v.to_owned())
    };
    RegistrationForm {
        eori: p.get("eori").to_owned(),
        kind: p.get("kind").to_owned(),
        legal_name: p.get("legalName").to_owned(),
        address: AddressForm {
            street: p.get("street").to_owned(),
            city: p.get("city").to_owned(),
            postcode: opt("postcode"),
            country: p.get("country").to_owned(),
        },
        contact: ContactForm {
            email: p.get("email").to_owned(),
            phone: p.get("phone").to_owned(),
        },
        representative: RepresentativeForm {
            name: p.get("representative").to_owned(),
            position: opt("position"),
        },
        user: FirstUserForm {
            username: p.get("username").to_owned(),
            name: p.get("userName").to_owned(),
            password: p.get("password").to_owned(),
            email: opt("userEmail"),
        },
    }
}

/// The form field an API pointer names (`/address/street` → `street`).
pub fn field_of(pointer: &str) -> Option<&'static str> {
    if pointer == "/kind" {
        return Some("kind");
    }
    FIELDS
        .iter()
        .find(|(_, p, ..)| *p == pointer)
        .map(|(name, ..)| *name)
}

#[derive(Template)]
#[template(path = "account/register.html")]
struct RegisterPage {
    f: Frame,
    csrf: String,
    fields: Vec<Field>,
    kind: Field,
    kinds: Vec<(&'static str, String)>,
    summary: Vec<(String, String)>,
    form_error: String,
}

/// The form, with what was typed (`posted`) and the service's error
/// (`code`, `pointer`) if the last try failed; `csrf` is the form's
/// double-submitted token.
pub fn register_page(
    ctx: &Ctx,
    csrf: &str,
    posted: &Posted,
    error: Option<(&str, &str)>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut fields: Vec<Field> = FIELDS
        .iter()
        .map(|(name, _, label, kind, auto, required)| {
            let mut f = Field::new(name, tr.t(label), kind).autocomplete(auto);
            let hint = format!("{label}-hint");
            if tr.has(&hint) {
                f = f.hint(tr.t(&hint));
            }
            if *kind != "password" {
                f = f.value(posted.get(name));
            }
            if *required {
                f = f.required();
            }
            f
        })
        .collect();
    let mut kind = Field::new("kind", tr.t("reg-kind"), "select").value(posted.get("kind"));
    kind.required = true;
    let mut form_error = String::new();
    if let Some((code, pointer)) = error {
        let msg = error_message(ctx, code);
        match field_of(pointer) {
            Some("kind") => kind.fail(code, msg),
            Some(name) => {
                if let Some(f) = fields.iter_mut().find(|f| f.name == name) {
                    f.fail(code, msg);
                }
            }
            None => form_error = format!("{msg} ({code})"),
        }
    }
    let mut all = vec![kind.clone()];
    all.extend(fields.iter().cloned());
    render(
        &RegisterPage {
            f: Frame::new(ctx, tr.t("reg-title")),
            csrf: csrf.to_owned(),
            summary: summary(&all),
            fields,
            kind,
            kinds: KINDS.iter().map(|(v, id)| (*v, tr.t(id))).collect(),
            form_error,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "account/registered.html")]
struct RegisteredPage {
    f: Frame,
}

/// The page after a registration: it waits for approval.
pub fn registered_page(ctx: &Ctx) -> Result<Rendered, PageError> {
    render(
        &RegisteredPage {
            f: Frame::new(ctx, ctx.tr.t("reg-done-title")),
        },
        200,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pointer_of_the_service_has_its_field() {
        for p in [
            "/eori",
            "/kind",
            "/legalName",
            "/address/postcode",
            "/contact/phone",
            "/user/password",
            "/user/email",
        ] {
            assert!(field_of(p).is_some(), "{p}");
        }
        assert_eq!(field_of("/address/street"), Some("street"));
        assert_eq!(field_of("/nope"), None);
        let p = Posted(vec![
            ("postcode".into(), " ".into()),
            ("eori".into(), "UZ1".into()),
        ]);
        let f = form_of(&p);
        assert_eq!(f.address.postcode, None);
        assert_eq!(f.eori, "UZ1");
    }
}
