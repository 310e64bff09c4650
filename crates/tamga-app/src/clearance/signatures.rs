//! Detached signatures: operators sign what they send (lodging,
//! amendment, invalidation, mandates), officers their acts. Keys are read
//! from the store on first use and cached per owner.
//!
//! Invariants:
//! - A signature verifies over the exact body bytes with one of the
//!   owner's active keys (only the one `X-Tamga-Key-Id` names, if given).
//! - A signed JSON body with a repeated key (anywhere) is refused, so what
//!   the signature covers reads one way only.
//! - A signed officer act names the declaration (`"mrn"`) and the act
//!   (`"act"`) it is for, so it cannot be replayed elsewhere.
//! - An empty key list is not cached, so a key registered right after a
//!   refused request (by this or another instance) works at once.

use std::sync::Arc;

use serde_json::json;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::control::{violation, Violation};
use tamga_core::lifecycle::OfficerSignature;
use tamga_store::{Role, User};

use super::access::require_user;
use super::load_cache::LoadCache;
use super::{Caller, Clearance};
use crate::error::AppError;

/// A signed request body from an operator.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub body: &'a [u8],
    /// Base64 detached Ed25519 signature over `body`.
    pub signature: Option<&'a str>,
    /// Which registered key signed; if absent every active key is tried.
    pub key_id: Option<&'a str>,
}

/// SHA-256 in hex: request bodies, API tokens and key ids are hashed
/// with it.
pub use tamga_core::hash::sha256_hex;

/// The key id of a public key: first 16 hex digits of its SHA-256.
pub fn key_id_of(public_key_b64: &str) -> String {
    sha256_hex(public_key_b64.as_bytes())[..16].to_owned()
}

/// Error codes of officer signatures (422; nothing is written).
pub const OFFICER_SIGNATURE_MISSING: &str = "OFFICER_SIGNATURE_MISSING";
pub const OFFICER_SIGNATURE_INVALID: &str = "OFFICER_SIGNATURE_INVALID";
pub const OFFICER_SIGNATURE_KEY_UNKNOWN: &str = "OFFICER_SIGNATURE_KEY_UNKNOWN";
/// The act is signed with (or names) a revoked key of the officer.
pub const OFFICER_SIGNATURE_KEY_REVOKED: &str = "OFFICER_SIGNATURE_KEY_REVOKED";
/// A signed officer act body above [`MAX_OFFICER_ACT`] bytes (400).
pub const OFFICER_ACT_TOO_LARGE: &str = "OFFICER_ACT_TOO_LARGE";
/// The largest signed officer act body: it is stored as signed with the
/// act's event or audit entry, so it must not bloat the record.
pub const MAX_OFFICER_ACT: usize = 16 * 1024;

/// An officer's signature checked against the officer's registered keys;
/// only [`Clearance::verify_officer`] makes one, so an officer act cannot
/// be recorded with a signature that was not verified.
#[derive(Debug, Clone)]
pub struct VerifiedSignature {
    username: String,
    signature: OfficerSignature,
}

impl VerifiedSignature {
    /// Who signed (the user whose key verified).
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn signature(&self) -> &OfficerSignature {
        &self.signature
    }
    /// The signed body.
    pub fn body(&self) -> &str {
        &self.signature.body
    }
    /// Key id, signature and body hash: what an audit entry records (with
    /// the body it already holds).
    pub fn audit_json(&self) -> serde_json::Value {
        json!({
            "keyId": self.signature.key_id,
            "signature": self.signature.signature,
            "bodySha256": self.signature.body_sha256,
            "body": self.signature.body,
        })
    }

    /// The signature to store with `user`'s act; refused if someone else
    /// signed.
    pub(super) fn for_user(self, user: &User) -> Result<OfficerSignature, AppError> {
        if self.username != user.username {
            return Err(AppError::Forbidden(format!(
                "the act was signed by {}, not by {}",
                self.username, user.username
            )));
        }
        Ok(self.signature)
    }
}

/// An owner's signing keys: the active ones, and the revoked ones (kept to
/// say why a signature by one is refused).
pub(super) use crate::keys::KeyRing;
use crate::keys::SignatureFailure;

/// Signing keys by owner (an operator, or an officer by user name). A ring
/// without an active key is not cached, so a key registered right after a
/// refused act (by this or another instance) works at once. Every cache is
/// cleared when the identity epoch moves
/// ([`crate::identity::epoch`]), so a key revoked at another instance
/// stops signing here within a second.
pub(super) type KeyCache<K> = LoadCache<K, KeyRing>;

impl<K: std::hash::Hash + Eq + Clone> LoadCache<K, KeyRing> {
    /// The owner's keys, cached or read with `load` (key id, base64 public
    /// key, revoked).
    pub(super) async fn ring<F>(&self, owner: &K, load: F) -> Result<Arc<KeyRing>, AppError>
    where
        F: std::future::Future<
            Output = Result<Vec<(String, String, bool)>, tamga_store::StoreError>,
        >,
    {
        let parsed = async { Ok(KeyRing::of(load.await?)) };
        self.get_or_load(owner, parsed, |keys: &KeyRing| !keys.active.is_empty())
            .await
    }
}

impl Clearance {
    async fn keys_of(&self, op: &Eori) -> Result<Arc<KeyRing>, AppError> {
        self.keys
            .ring(op, async {
                Ok(self
                    .store
                    .signing_keys(op)
                    .await?
                    .into_iter()
                    .map(|k| (k.key_id, k.public_key, k.revoked))
                    .collect())
            })
            .await
    }

    /// Checks the detached signature; returns the id of the key that signed.
    pub(crate) async fn verify(&self, op: &Eori, s: &Signed<'_>) -> Result<String, Violation> {
        let keys = self.keys_of(op).await.map_err(|e| {
            violation(
                "FLC-SIGNING-KEY-UNKNOWN",
                "",
                format!("signing keys could not be read: {e}"),
            )
        })?;
        keys.check(s.body, s.signature, s.key_id).map_err(|f| match f {
            SignatureFailure::Revoked(id) => violation(
                "FLC-SIGNING-KEY-REVOKED",
                "",
                format!("the signing key {id} of {op} is revoked: it signs nothing from its revocation on"),
            ),
            SignatureFailure::Missing => violation(
                "FLC-SIGNATURE-MISSING",
                "",
                "the request carries no signature (X-Tamga-Signature header)",
            ),
            SignatureFailure::UnknownKey => violation(
                "FLC-SIGNING-KEY-UNKNOWN",
                "",
                match s.key_id {
                    Some(id) => format!("{op} has no active signing key {id:?}"),
                    None => format!("{op} has no registered signing key"),
                },
            ),
            SignatureFailure::Invalid => violation(
                "FLC-SIGNATURE-INVALID",
                "",
                "the signature does not verify against the exact body bytes with the declarant's key",
            ),
        })
    }

    /// Registers an operator's Ed25519 public key for signing, approved
    /// by a request the operator signed with one of its active keys, or by
    /// an administrator; never by a token alone (`crate::keys`).
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), operator = %op))]
    pub async fn add_signing_key(
        &self,
        caller: &Caller,
        op: &Eori,
        approval: crate::keys::KeyApproval<'_>,
    ) -> Result<crate::keys::AddedKey, AppError> {
        let owner = crate::keys::KeyOwner::Operator(op.clone());
        let rec = crate::keys::add(self.store.as_ref(), caller, &owner, approval).await?;
        self.keys.invalidate(op);
        Ok(rec)
    }

    /// Registers an officer's (or administrator's) Ed25519 public key for
    /// signing officer acts, approved like an operator's
    /// ([`Clearance::add_signing_key`]).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn add_officer_key(
        &self,
        caller: &Caller,
        username: &str,
        approval: crate::keys::KeyApproval<'_>,
    ) -> Result<crate::keys::AddedKey, AppError> {
        let owner = crate::keys::KeyOwner::User(username.to_owned());
        let rec = crate::keys::add(self.store.as_ref(), caller, &owner, approval).await?;
        self.officer_keys.invalidate(&username.to_owned());
        Ok(rec)
    }

    /// Revokes a signing key, an operator's or a customs user's: the
    /// caller's own, or with `as_admin` anyone's (`crate::keys::revoke`).
    /// This instance forgets the owner's keys at once; the others when
    /// they see the identity epoch move.
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), key = %key_id))]
    pub async fn revoke_signing_key(
        &self,
        caller: &Caller,
        key_id: &str,
        as_admin: bool,
    ) -> Result<crate::keys::RevokedKey, AppError> {
        let (owner, revoked) =
            crate::keys::revoke(self.store.as_ref(), caller, key_id, as_admin).await?;
        match owner {
            crate::keys::KeyOwner::Operator(op) => self.keys.invalidate(&op),
            crate::keys::KeyOwner::User(u) => self.officer_keys.invalidate(&u),
        }
        Ok(revoked)
    }

    /// Forgets every cached signing key (the identity epoch moved).
    pub fn forget_signing_keys(&self) {
        self.keys.clear();
        self.officer_keys.clear();
    }

    async fn officer_keys_of(&self, username: &str) -> Result<Arc<KeyRing>, AppError> {
        self.officer_keys
            .ring(&username.to_owned(), async {
                Ok(self
                    .store
                    .officer_keys(username)
                    .await?
                    .into_iter()
                    .map(|k| (k.key_id, k.public_key, k.revoked))
                    .collect())
            })
            .await
    }

    /// Checks the detached signature of an officer act (`X-Tamga-Signature`
    /// over the exact body bytes, with one of the caller's registered keys;
    /// `X-Tamga-Key-Id` may name it). Errors are
    /// [`AppError::Signature`] (422): missing, unknown key or invalid.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn verify_officer(
        &self,
        caller: &Caller,
        s: &Signed<'_>,
    ) -> Result<VerifiedSignature, AppError> {
        self.verify_user_act(caller, &[Role::Officer, Role::Inspector, Role::Admin], s)
            .await
    }

    /// [`Clearance::verify_officer`] for a customs user holding one of
    /// `roles` (appeals officers sign their decisions the same way).
    pub(crate) async fn verify_user_act(
        &self,
        caller: &Caller,
        roles: &[Role],
        s: &Signed<'_>,
    ) -> Result<VerifiedSignature, AppError> {
        let user = require_user(caller, roles)?;
        if s.body.len() > MAX_OFFICER_ACT {
            return Err(AppError::bad_request(
                OFFICER_ACT_TOO_LARGE,
                "",
                format!(
                    "a signed officer act is at most {} KiB (it is stored, as signed, in the hash-chained record)",
                    MAX_OFFICER_ACT / 1024
                ),
            ));
        }
        let keys = self.officer_keys_of(&user.username).await?;
        let key_id = keys.check(s.body, s.signature, s.key_id).map_err(|f| match f {
            SignatureFailure::Revoked(id) => AppError::Signature {
                code: OFFICER_SIGNATURE_KEY_REVOKED,
                message: format!(
                    "the signing key {id} of {} is revoked: it signs nothing from its revocation on",
                    user.username
                ),
            },
            SignatureFailure::Missing => AppError::Signature {
                code: OFFICER_SIGNATURE_MISSING,
                message: "an officer act is signed: send the base64 Ed25519 signature of the exact body bytes in the X-Tamga-Signature header".into(),
            },
            SignatureFailure::UnknownKey => AppError::Signature {
                code: OFFICER_SIGNATURE_KEY_UNKNOWN,
                message: match s.key_id {
                    Some(id) => format!("{} has no active signing key {id:?}", user.username),
                    None => format!(
                        "{} has no registered signing key (POST /api/v1/account/signing-keys)",
                        user.username
                    ),
                },
            },
            SignatureFailure::Invalid => AppError::Signature {
                code: OFFICER_SIGNATURE_INVALID,
                message: format!(
                    "the signature does not verify against the exact body bytes with {}'s keys",
                    user.username
                ),
            },
        })?;
        let sig = s.signature.unwrap_or_default();
        let body = std::str::from_utf8(s.body)
            .map_err(|_| AppError::bad_request("REQUEST_JSON", "", "the body is not UTF-8 JSON"))?;
        Ok(VerifiedSignature {
            username: user.username.clone(),
            signature: OfficerSignature {
                key_id: key_id.clone(),
                signature: sig.trim().to_owned(),
                body_sha256: sha256_hex(s.body),
                body: body.to_owned(),
            },
        })
    }
}

/// What an officer signs: every signed body names its act (`"act"`), so a
/// body signed for one act is refused by every other endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficerAct {
    ControlResult,
    TaskResult,
    Release,
    Refusal,
    Reassignment,
    RefundDecision,
}

impl OfficerAct {
    /// The value of `"act"` in the signed body.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficerAct::ControlResult => "control_result",
            OfficerAct::TaskResult => "task_result",
            OfficerAct::Release => "release",
            OfficerAct::Refusal => "refusal",
            OfficerAct::Reassignment => "reassignment",
            OfficerAct::RefundDecision => "refund_decision",
        }
    }
}

/// Error code of a signed body that does not name the act of the endpoint
/// (400, pointer `/act`).
pub const OFFICER_SIGNED_ACT: &str = "OFFICER_SIGNED_ACT";

/// The JSON body of a verified officer act, which names the declaration it
/// acts on (`"mrn"`) and the act (`"act"`), so that a signed act cannot be
/// replayed on another declaration or as another act; the version and the
/// act's own fields are read by `acts::signed_version` and
/// `acts::act_fields`.
pub fn act_json(
    v: &VerifiedSignature,
    mrn: &Mrn,
    act: OfficerAct,
) -> Result<serde_json::Value, AppError> {
    let doc = signed_json(v.body())?;
    check_act_mrn(&doc, mrn)?;
    check_act(&doc, act)?;
    Ok(doc)
}

/// A signed act body as JSON; duplicate keys (anywhere) are refused so that
/// what the signature covers reads one way only.
pub fn signed_json(body: &str) -> Result<serde_json::Value, AppError> {
    let bad = |e: serde_json::Error| {
        AppError::bad_request(
            "REQUEST_JSON",
            "",
            format!("the body is not valid JSON: {e}"),
        )
    };
    serde_json::from_str::<NoDuplicateKeys>(body).map_err(bad)?;
    serde_json::from_str(body).map_err(bad)
}

/// The signed body names the declaration: 400 `OFFICER_SIGNED_MRN`.
pub(super) fn check_act_mrn(doc: &serde_json::Value, mrn: &Mrn) -> Result<(), AppError> {
    let named = doc
        .get("mrn")
        .and_then(|m| m.as_str())
        .and_then(|m| Mrn::parse(m).ok());
    if named.as_ref() != Some(mrn) {
        return Err(AppError::bad_request(
            "OFFICER_SIGNED_MRN",
            "/mrn",
            format!("the signed body names the declaration it acts on: \"mrn\": \"{mrn}\""),
        ));
    }
    Ok(())
}

/// The signed body names the act of the endpoint: 400 `OFFICER_SIGNED_ACT`.
pub fn check_act(doc: &serde_json::Value, act: OfficerAct) -> Result<(), AppError> {
    if doc.get("act").and_then(|a| a.as_str()) != Some(act.as_str()) {
        return Err(AppError::bad_request(
            OFFICER_SIGNED_ACT,
            "/act",
            format!(
                "the signed body names the act it is for: \"act\": \"{}\"",
                act.as_str()
            ),
        ));
    }
    Ok(())
}

/// Walks a JSON document and fails on an object with a repeated key.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NoDuplicateKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
                Ok(NoDuplicateKeys)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<NoDuplicateKeys>()?;
                    if !seen.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                }
                Ok(NoDuplicateKeys)
            }
        }
        d.deserialize_any(V)
    }
}
