//! `/me/keys`: the signing keys registered for me (an operator user sees
//! the operator's keys), revoking one, making a key in this browser with
//! WebCrypto Ed25519 (`static/sign.js`: the private key never leaves the
//! browser; the page shows the public key to hand to an administrator),
//! and, for a person who already holds an active key, registering another
//! public key with a request signed in this browser
//! (`{"act":"add_signing_key","owner":…,"publicKey":…}`, as
//! `POST /api/v1/account/signing-keys` takes it).

use askama::Template;
use tamga_app::keys::OwnKey;

use super::{csrf, error_message, when};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

/// One key as the table shows it.
pub struct KeyRow {
    pub key_id: String,
    pub public_key: String,
    pub created: String,
    pub active: bool,
    pub status: String,
    pub approved_by: String,
}

#[derive(Template)]
#[template(path = "account/keys.html")]
struct KeysPage {
    f: Frame,
    csrf: String,
    username: String,
    rows: Vec<KeyRow>,
    /// Whether the person may register a key by a signed request (holds
    /// an active key and is an operator's user, an officer or an
    /// administrator).
    can_sign: bool,
    /// The public key typed to be registered, and its signed body.
    pending: Option<(String, String)>,
    error: String,
    notice: String,
}

/// What the keys page shows besides the keys.
#[derive(Debug, Default)]
pub struct KeysView<'a> {
    /// The owner a signed request names: the operator's EORI or the
    /// user name.
    pub owner: &'a str,
    /// Whether the person's roles may register keys by a signed request.
    pub may_register: bool,
    /// A public key to register (typed in the form), shown with the exact
    /// body that will be signed.
    pub pending: Option<&'a str>,
    /// The last act's error code, if it failed.
    pub error: Option<&'a str>,
    /// The id of the key just registered or revoked.
    pub done: Option<(&'a str, &'a str)>,
}

/// The exact body a holder signs to register `public_key` for `owner`
/// (compact JSON on one line: the browser signs these bytes).
pub fn add_key_body(owner: &str, public_key: &str) -> String {
    serde_json::json!({
        "act": "add_signing_key",
        "owner": owner,
        "publicKey": public_key,
    })
    .to_string()
}

pub fn keys_page(
    ctx: &Ctx,
    keys: &[OwnKey],
    v: &KeysView<'_>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let rows: Vec<KeyRow> = keys
        .iter()
        .rev()
        .map(|k| KeyRow {
            key_id: k.key_id.clone(),
            public_key: k.public_key.clone(),
            created: when(k.created_at),
            active: !k.revoked,
            status: if k.revoked {
                match k.revoked_at {
                    Some(t) => tr.t1("keys-revoked-at", "at", &when(t)),
                    None => tr.t("keys-revoked"),
                }
            } else {
                tr.t("keys-active")
            },
            approved_by: k.approved_by.clone().unwrap_or_default(),
        })
        .collect();
    let can_sign = v.may_register && rows.iter().any(|r| r.active);
    let notice = match v.done {
        Some(("added", id)) => tr.t1("keys-added", "id", id),
        Some((_, id)) => tr.t1("keys-revoked-done", "id", id),
        None => String::new(),
    };
    render(
        &KeysPage {
            f: Frame::new(ctx, tr.t("keys-title")),
            csrf: csrf(ctx),
            username: ctx
                .me
                .as_ref()
                .map(|m| m.username.clone())
                .unwrap_or_default(),
            rows,
            can_sign,
            pending: v
                .pending
                .filter(|_| can_sign)
                .map(|p| (p.to_owned(), add_key_body(v.owner, p))),
            error: v
                .error
                .map(|c| format!("{} ({c})", error_message(ctx, c)))
                .unwrap_or_default(),
            notice,
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_body_is_compact_and_names_the_owner() {
        let b = add_key_body("UZ000000000101", "AAAA\"x");
        assert_eq!(
            b,
            r#"{"act":"add_signing_key","owner":"UZ000000000101","publicKey":"AAAA\"x"}"#
        );
        assert!(!b.contains('\n'));
    }
}
