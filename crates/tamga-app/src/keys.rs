//! Registering signing keys: operators' (declarations, amendments,
//! invalidations) and customs users' (officer acts).
//!
//! **A bearer token alone never registers a key** (issue 15): a key
//! registered by whoever holds a token would make every signature prove
//! only that the token was stolen. A key is approved by something a token
//! thief does not have:
//!
//! - a holder with an active key adds another with a request **signed by
//!   one of its active keys** (`X-Tamga-Signature`, as for lodging), over a
//!   body that names the act, the owner and the new key
//!   (`{"act": "add_signing_key", "owner": "<EORI or username>",
//!   "publicKey": "<base64>"}`), so it cannot be replayed for another owner
//!   or another key; the same signed body again is answered as a replay;
//! - a holder without an active key cannot add one (403
//!   `KEY_APPROVAL_REQUIRED`): an **administrator** registers a first (or
//!   replacement) key for an operator or a user, never for itself
//!   (403 `KEY_SELF_APPROVAL`).
//!
//! Every registration is written with its approval, its audit entry and,
//! for an operator, a `signing_key_added` notification (pulled, and pushed
//! to its webhook), in one transaction
//! (`tamga_store::OfficerKeyStore::add_approved_key`). Customs users have
//! no notification channel: they see their keys and who approved each
//! with [`list`] (`GET /api/v1/account/signing-keys`), and the audit log
//! has every registration.
//!
//! A public key belongs to one owner (issue 13, finding 9): both key tables
//! enter the store's `public_keys` registry, whose primary key (the key id)
//! refuses a key that anyone else registered, in either table, race-safe on
//! both backends. Registering one's own key again is 400
//! `SIGNING_KEY_EXISTS`; a key of another operator or user is 409
//! `SIGNING_KEY_TAKEN`. The key id is computed from the canonical base64 of
//! a canonical point encoding, so one key has one id.

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::lifecycle::{NewNotification, NotificationKind};
use tamga_core::signature;
use tamga_store::{
    KeyApproval as ApprovalRecord, KeyAudit, NewKey, OfficerKeyRecord, Role, SigningKeyRecord,
    Store, StoreError,
};

use crate::clearance::{key_id_of, sha256_hex, signed_json, Caller, Signed};
use crate::error::AppError;

/// The value of `"act"` in a signed key registration.
pub const ADD_SIGNING_KEY_ACT: &str = "add_signing_key";
/// 403: the holder has no active key to sign the request with; an
/// administrator registers its first key.
pub const KEY_APPROVAL_REQUIRED: &str = "KEY_APPROVAL_REQUIRED";
/// 403: an administrator registering a key for itself.
pub const KEY_SELF_APPROVAL: &str = "KEY_SELF_APPROVAL";
/// 422: the registration request carries no signature.
pub const KEY_SIGNATURE_MISSING: &str = "KEY_SIGNATURE_MISSING";
/// 422: `X-Tamga-Key-Id` names no active key of the owner.
pub const KEY_SIGNATURE_KEY_UNKNOWN: &str = "KEY_SIGNATURE_KEY_UNKNOWN";
/// 422: the request is signed with (or names) a revoked key.
pub const KEY_SIGNATURE_KEY_REVOKED: &str = "KEY_SIGNATURE_KEY_REVOKED";
/// 422: no active key of the owner verifies the signature.
pub const KEY_SIGNATURE_INVALID: &str = "KEY_SIGNATURE_INVALID";
/// 400 at `/act`: the signed body is not a key registration.
pub const KEY_SIGNED_ACT: &str = "KEY_SIGNED_ACT";
/// 400 at `/owner`: the signed body names another owner.
pub const KEY_SIGNED_OWNER: &str = "KEY_SIGNED_OWNER";
/// 400: the user may not hold a signing key (only officers and
/// administrators sign acts).
pub const KEY_OWNER_ROLE: &str = "KEY_OWNER_ROLE";

/// Largest signed registration body (it names a key and an owner).
const MAX_REQUEST: usize = 4 * 1024;

/// Whose key it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    Operator(Eori),
    /// A customs user (officer or administrator), by user name.
    User(String),
}

impl KeyOwner {
    /// As in the `public_keys` registry and the audit log.
    pub fn label(&self) -> String {
        match self {
            KeyOwner::Operator(op) => format!("operator:{op}"),
            KeyOwner::User(u) => format!("user:{u}"),
        }
    }

    /// As the signed body names it (`"owner"`): the EORI or user name.
    fn id(&self) -> &str {
        match self {
            KeyOwner::Operator(op) => op.as_str(),
            KeyOwner::User(u) => u,
        }
    }

    fn is(&self, caller: &Caller) -> bool {
        match (self, caller) {
            (KeyOwner::Operator(op), Caller::Operator(c)) => op == c,
            (KeyOwner::User(u), Caller::User(c)) => *u == c.username,
            _ => false,
        }
    }
}

/// How a new key is approved.
#[derive(Debug, Clone, Copy)]
pub enum KeyApproval<'a> {
    /// The owner's request, signed with one of its active keys; the body
    /// is `{"act": "add_signing_key", "owner": …, "publicKey": …}`.
    Signed(Signed<'a>),
    /// An administrator (the caller) registers `public_key` for the owner.
    Administrator { public_key: &'a str },
}

/// A registered key, as answered.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedKey {
    pub key_id: String,
    /// Base64 of the 32-byte public key (canonical).
    pub public_key: String,
    /// `operator:<EORI>` or `user:<username>`.
    pub owner: String,
    /// Who approved it: the owner (with `approving_key`) or an
    /// administrator.
    pub approved_by: String,
    pub approving_key: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// True when the same signed request was answered before: nothing was
    /// registered again.
    pub replay: bool,
}

/// One of the caller's keys with its approval, if it has one (keys of the
/// demo set-up and keys registered before issue 15 have none).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnKey {
    pub key_id: String,
    pub public_key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub revoked: bool,
    /// When it was revoked (absent for keys revoked before revocation
    /// times were kept).
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
    pub approved_by: Option<String>,
    pub approving_key: Option<String>,
}

/// Registers a key for `owner`, approved as `approval` says, by `caller`.
/// The caller of a signed request is the owner; of an administrator's
/// registration, an administrator other than the owner.
pub(crate) async fn add(
    store: &dyn Store,
    caller: &Caller,
    owner: &KeyOwner,
    approval: KeyApproval<'_>,
) -> Result<AddedKey, AppError> {
    let now = OffsetDateTime::now_utc();
    let (public_key_b64, approving, body_sha256) = match approval {
        KeyApproval::Signed(s) => {
            if !owner.is(caller) {
                return Err(AppError::Forbidden(
                    "a signed key registration is the owner's own request".into(),
                ));
            }
            check_owner(store, owner).await?;
            let approving = verify(store, owner, &s).await?;
            let public_key = signed_public_key(owner, &s)?;
            (public_key, Some(approving), Some(sha256_hex(s.body)))
        }
        KeyApproval::Administrator { public_key } => {
            caller.require(&[Role::Admin])?;
            if owner.is(caller) {
                return Err(AppError::Denied {
                    code: KEY_SELF_APPROVAL,
                    message: "an administrator does not approve its own key: sign the request with one of your keys (POST /api/v1/account/signing-keys) or ask another administrator".into(),
                });
            }
            check_owner(store, owner).await?;
            // An office administrator registers keys only for the staff
            // it manages (the same scope as its other acts on people).
            if let (KeyOwner::User(u), Caller::User(admin)) = (owner, caller) {
                if let Some(target) = store.user(u).await? {
                    crate::identity::login::may_manage(admin, &target)
                        .map_err(|e| AppError::Forbidden(e.to_string()))?;
                }
            }
            (public_key.to_owned(), None, None)
        }
    };
    let (key_id, public_key) = new_key(&public_key_b64)?;
    let me = owner.label();
    let record = ApprovalRecord {
        key_id: key_id.clone(),
        owner: me.clone(),
        approved_by: caller.label(),
        approving_key: approving,
        body_sha256,
        at: now,
    };
    let key = match owner {
        KeyOwner::Operator(op) => NewKey::Operator(SigningKeyRecord {
            key_id: key_id.clone(),
            operator: op.clone(),
            public_key: public_key.clone(),
            created_at: now,
            revoked: false,
        }),
        KeyOwner::User(u) => NewKey::User(OfficerKeyRecord {
            key_id: key_id.clone(),
            username: u.clone(),
            public_key: public_key.clone(),
            created_at: now,
            revoked: false,
        }),
    };
    let action = match owner {
        KeyOwner::Operator(_) => "signing_key.add",
        KeyOwner::User(_) => "officer_key.add",
    };
    let audit = KeyAudit {
        actor: record.approved_by.clone(),
        action: action.into(),
        payload: json!({
            "keyId": key_id,
            "owner": me,
            "approvedBy": record.approved_by,
            "approvingKey": record.approving_key,
            "bodySha256": record.body_sha256,
        }),
    };
    let notification = match owner {
        KeyOwner::Operator(op) => Some(NewNotification {
            recipient: op.clone(),
            kind: NotificationKind::SigningKeyAdded,
            mrn: None,
            lrn: None,
            at: now,
            payload: json!({
                "keyId": key_id,
                "addedBy": record.approved_by,
                "approvingKey": record.approving_key,
                "at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            }),
        }),
        KeyOwner::User(_) => None,
    };
    match store
        .add_approved_key(&key, &record, &audit, notification.as_ref())
        .await
    {
        Ok(()) => Ok(AddedKey {
            key_id,
            public_key,
            owner: me,
            approved_by: record.approved_by,
            approving_key: record.approving_key,
            at: now,
            replay: false,
        }),
        Err(e) => refused(store, e, &record, &public_key).await,
    }
}

/// The caller's own keys, oldest first, each with its approval.
pub async fn list(store: &dyn Store, caller: &Caller) -> Result<Vec<OwnKey>, AppError> {
    let (owner, keys) = match caller {
        Caller::Operator(op) => (
            KeyOwner::Operator(op.clone()),
            store
                .signing_keys(op)
                .await?
                .into_iter()
                .map(|k| (k.key_id, k.public_key, k.created_at, k.revoked))
                .collect::<Vec<_>>(),
        ),
        Caller::User(u) => (
            KeyOwner::User(u.username.clone()),
            store
                .officer_keys(&u.username)
                .await?
                .into_iter()
                .map(|k| (k.key_id, k.public_key, k.created_at, k.revoked))
                .collect(),
        ),
    };
    let approvals = store.key_approvals(&owner.label()).await?;
    let revocations = store.key_revocations(&owner.label()).await?;
    Ok(keys
        .into_iter()
        .map(|(key_id, public_key, created_at, revoked)| {
            let a = approvals.iter().find(|a| a.key_id == key_id);
            let r = revocations.iter().find(|r| r.key_id == key_id);
            OwnKey {
                revoked_at: r.and_then(|r| r.revoked_at),
                revoked_by: r.and_then(|r| r.revoked_by.clone()),
                approved_by: a.map(|a| a.approved_by.clone()),
                approving_key: a.and_then(|a| a.approving_key.clone()),
                key_id,
                public_key,
                created_at,
                revoked,
            }
        })
        .collect())
}

/// A key revoked (or found revoked already), as answered.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokedKey {
    pub key_id: String,
    /// `operator:<EORI>` or `user:<username>`.
    pub owner: String,
    /// Absent only for keys revoked before revocation times were kept.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
    /// False when the key was revoked already (nothing was written).
    pub newly: bool,
}

impl KeyOwner {
    fn parse(label: &str) -> Option<KeyOwner> {
        if let Some(op) = label.strip_prefix("operator:") {
            Eori::parse(op).ok().map(KeyOwner::Operator)
        } else {
            label
                .strip_prefix("user:")
                .map(|u| KeyOwner::User(u.to_owned()))
        }
    }

    /// Whether `caller` holds this key as its own: the operator itself or
    /// one of its users, or the customs user.
    fn held_by(&self, caller: &Caller) -> bool {
        match (self, caller) {
            (KeyOwner::Operator(op), Caller::User(u)) => u.operator.as_ref() == Some(op),
            _ => self.is(caller),
        }
    }
}

/// Revokes the signing key `key_id`: the caller's own (`as_admin` false;
/// another's is answered as missing, 404 `SIGNING_KEY_NOT_FOUND`), or as
/// an administrator anyone's. The revocation time and who revoked it, the
/// audit entry (`signing_key.revoke` / `officer_key.revoke`), an
/// operator's `signing_key_revoked` notification and the identity epoch
/// are written in one transaction. From then on no signature by the key
/// is accepted (lodging, amendment, invalidation, mandates, officer acts,
/// key approvals); acts signed before stay verifiable. Returns the owner
/// (for the caller's caches) and the revocation.
pub(crate) async fn revoke(
    store: &dyn Store,
    caller: &Caller,
    key_id: &str,
    as_admin: bool,
) -> Result<(KeyOwner, RevokedKey), AppError> {
    if as_admin {
        caller.require(&[Role::Admin])?;
    }
    let key_id = key_id.trim();
    let owner = store
        .public_key_owner(key_id)
        .await?
        .and_then(|o| KeyOwner::parse(&o))
        .filter(|o| as_admin || o.held_by(caller))
        .ok_or_else(|| AppError::not_found(format!("signing key {key_id}")))?;
    let now = OffsetDateTime::now_utc();
    let me = owner.label();
    let by = caller.label();
    let audit = KeyAudit {
        actor: by.clone(),
        action: match owner {
            KeyOwner::Operator(_) => "signing_key.revoke",
            KeyOwner::User(_) => "officer_key.revoke",
        }
        .into(),
        payload: json!({ "keyId": key_id, "owner": me, "revokedBy": by }),
    };
    let at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let notification = match &owner {
        KeyOwner::Operator(op) => Some(NewNotification {
            recipient: op.clone(),
            kind: NotificationKind::SigningKeyRevoked,
            mrn: None,
            lrn: None,
            at: now,
            payload: json!({ "keyId": key_id, "revokedBy": by, "at": at }),
        }),
        KeyOwner::User(_) => None,
    };
    let newly = store
        .revoke_key(&me, key_id, &by, now, &audit, notification.as_ref())
        .await?;
    let revoked = if newly {
        RevokedKey {
            key_id: key_id.to_owned(),
            owner: me,
            revoked_at: Some(now),
            revoked_by: Some(by),
            newly,
        }
    } else {
        let r = store.key_revocation(key_id).await?;
        RevokedKey {
            key_id: key_id.to_owned(),
            owner: me,
            revoked_at: r.as_ref().and_then(|r| r.revoked_at),
            revoked_by: r.and_then(|r| r.revoked_by),
            newly,
        }
    };
    Ok((owner, revoked))
}

/// The owner exists and may hold a key: an operator, or a customs user
/// who signs acts (officer or administrator).
async fn check_owner(store: &dyn Store, owner: &KeyOwner) -> Result<(), AppError> {
    match owner {
        KeyOwner::Operator(op) => {
            if store.operator(op).await?.is_none() {
                return Err(AppError::not_found(format!("operator {op}")));
            }
        }
        KeyOwner::User(u) => match store.user(u).await? {
            None => return Err(AppError::not_found(format!("user {u}"))),
            Some(user) if !user.has_any(&[Role::Officer, Role::Inspector, Role::Admin, Role::AppealsOfficer]) => {
                return Err(AppError::bad_request(
                    KEY_OWNER_ROLE,
                    "/username",
                    format!(
                        "{u} is a {}: only officers and administrators hold keys (they sign officer acts)",
                        user.roles_text()
                    ),
                ))
            }
            Some(_) => {}
        },
    }
    Ok(())
}

/// The owner's keys, active and revoked, read from the store.
async fn ring(store: &dyn Store, owner: &KeyOwner) -> Result<KeyRing, AppError> {
    let keys: Vec<(String, String, bool)> = match owner {
        KeyOwner::Operator(op) => store
            .signing_keys(op)
            .await?
            .into_iter()
            .map(|k| (k.key_id, k.public_key, k.revoked))
            .collect(),
        KeyOwner::User(u) => store
            .officer_keys(u)
            .await?
            .into_iter()
            .map(|k| (k.key_id, k.public_key, k.revoked))
            .collect(),
    };
    Ok(KeyRing::of(keys))
}

/// An owner's parsed keys: the active ones sign; the revoked ones are kept
/// only to say why a signature made with one is refused.
#[derive(Debug, Default)]
pub(crate) struct KeyRing {
    pub(crate) active: Vec<(String, ed25519_dalek::VerifyingKey)>,
    pub(crate) revoked: Vec<(String, ed25519_dalek::VerifyingKey)>,
}

impl KeyRing {
    /// The keys of stored `(key id, base64 public key, revoked)` rows
    /// (unparseable keys left out). The one reading of key rows, for the
    /// signature caches and for registration.
    pub(crate) fn of(rows: Vec<(String, String, bool)>) -> KeyRing {
        let mut ring = KeyRing::default();
        for (id, pk, revoked) in rows {
            if let Ok(k) = signature::parse_public_key(&pk) {
                if revoked {
                    ring.revoked.push((id, k));
                } else {
                    ring.active.push((id, k));
                }
            }
        }
        ring
    }

    /// Checks a detached signature against the active keys (only the one
    /// named by `key_id`, if given); returns the id of the key that
    /// verified. A signature by a revoked key (or naming one) is
    /// [`SignatureFailure::Revoked`], never accepted.
    pub(crate) fn check(
        &self,
        body: &[u8],
        signature: Option<&str>,
        key_id: Option<&str>,
    ) -> Result<String, SignatureFailure> {
        let sig = signature.ok_or(SignatureFailure::Missing)?;
        let named = |k: &String| key_id.is_none_or(|id| k == id.trim());
        let revoked_verifies = || {
            self.revoked
                .iter()
                .filter(|(k, _)| named(k))
                .find(|(_, key)| signature::verify(key, body, sig).is_ok())
                .map(|(id, _)| SignatureFailure::Revoked(id.clone()))
        };
        let mut candidates = self.active.iter().filter(|(k, _)| named(k)).peekable();
        if candidates.peek().is_none() {
            if let Some(id) = key_id {
                if self.revoked.iter().any(|(k, _)| k == id.trim()) {
                    return Err(SignatureFailure::Revoked(id.trim().to_owned()));
                }
            }
            return Err(revoked_verifies().unwrap_or(SignatureFailure::UnknownKey));
        }
        candidates
            .find(|(_, key)| signature::verify(key, body, sig).is_ok())
            .map(|(id, _)| id.clone())
            .ok_or_else(|| revoked_verifies().unwrap_or(SignatureFailure::Invalid))
    }
}

/// Why a detached signature was refused; each side maps it to its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureFailure {
    /// No signature was sent.
    Missing,
    /// The owner has no active key (or not the one `X-Tamga-Key-Id` names).
    UnknownKey,
    /// No candidate key verifies the signature over the exact body.
    Invalid,
    /// The signature is by (or names) a revoked key of the owner.
    Revoked(String),
}

/// Checks the request's signature with the owner's active keys (read
/// from the store, not a cache: a registration is rare and must see a
/// revocation at once); returns the id of the key that signed.
async fn verify(store: &dyn Store, owner: &KeyOwner, s: &Signed<'_>) -> Result<String, AppError> {
    let keys = ring(store, owner).await?;
    if keys.active.is_empty() && s.signature.is_none() {
        return Err(approval_required(owner));
    }
    keys.check(s.body, s.signature, s.key_id).map_err(|f| match f {
        SignatureFailure::Missing => AppError::Signature {
            code: KEY_SIGNATURE_MISSING,
            message: "a new key is approved by one of your active keys: send the base64 Ed25519 signature of the exact body bytes in the X-Tamga-Signature header".into(),
        },
        SignatureFailure::Revoked(id) => AppError::Signature {
            code: KEY_SIGNATURE_KEY_REVOKED,
            message: format!("the key {id} of {} is revoked: it approves nothing", owner.id()),
        },
        SignatureFailure::UnknownKey if keys.active.is_empty() => approval_required(owner),
        SignatureFailure::UnknownKey => AppError::Signature {
            code: KEY_SIGNATURE_KEY_UNKNOWN,
            message: format!(
                "{} has no active signing key {:?}",
                owner.id(),
                s.key_id.unwrap_or_default()
            ),
        },
        SignatureFailure::Invalid if keys.active.is_empty() => approval_required(owner),
        SignatureFailure::Invalid => AppError::Signature {
            code: KEY_SIGNATURE_INVALID,
            message: format!(
                "the signature does not verify against the exact body bytes with an active key of {}",
                owner.id()
            ),
        },
    })
}

fn approval_required(owner: &KeyOwner) -> AppError {
    AppError::Denied {
        code: KEY_APPROVAL_REQUIRED,
        message: format!(
            "{} has no active signing key to approve a new one with: an administrator registers the first key (POST /api/v1/admin/{}/signing-keys)",
            owner.id(),
            match owner {
                KeyOwner::Operator(op) => format!("operators/{op}"),
                KeyOwner::User(u) => format!("users/{u}"),
            }
        ),
    }
}

/// The new key named by a verified request body, which must be exactly
/// `{"act": "add_signing_key", "owner": <the owner>, "publicKey": …}`.
fn signed_public_key(owner: &KeyOwner, s: &Signed<'_>) -> Result<String, AppError> {
    if s.body.len() > MAX_REQUEST {
        return Err(AppError::bad_request(
            "REQUEST_JSON",
            "",
            format!(
                "a signed key registration is at most {} KiB",
                MAX_REQUEST / 1024
            ),
        ));
    }
    let body = std::str::from_utf8(s.body)
        .map_err(|_| AppError::bad_request("REQUEST_JSON", "", "the body is not UTF-8 JSON"))?;
    let doc = signed_json(body)?;
    let Some(fields) = doc.as_object() else {
        return Err(AppError::bad_request(
            "REQUEST_JSON",
            "",
            "the body is a JSON object: {\"act\", \"owner\", \"publicKey\"}",
        ));
    };
    if let Some(k) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "act" | "owner" | "publicKey"))
    {
        return Err(AppError::bad_request(
            "REQUEST_JSON",
            format!("/{k}"),
            format!("unknown field {k:?}: the body is {{\"act\", \"owner\", \"publicKey\"}}"),
        ));
    }
    if doc.get("act").and_then(|a| a.as_str()) != Some(ADD_SIGNING_KEY_ACT) {
        return Err(AppError::bad_request(
            KEY_SIGNED_ACT,
            "/act",
            format!("the signed body names its act: \"act\": \"{ADD_SIGNING_KEY_ACT}\""),
        ));
    }
    if doc.get("owner").and_then(|o| o.as_str()) != Some(owner.id()) {
        return Err(AppError::bad_request(
            KEY_SIGNED_OWNER,
            "/owner",
            format!(
                "the signed body names the key's owner, the caller: \"owner\": \"{}\"",
                owner.id()
            ),
        ));
    }
    doc.get("publicKey")
        .and_then(|k| k.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            AppError::bad_request(
                "SIGNING_KEY_FORMAT",
                "/publicKey",
                "the signed body names the new key: \"publicKey\": \"<base64>\"",
            )
        })
}

/// Why a registration was refused: the same signed request again is a
/// replay (answered with the key, `replay: true`); else the key is the owner's already (400
/// `SIGNING_KEY_EXISTS`) or someone else's (409 `SIGNING_KEY_TAKEN`, not
/// saying whose). The conflicting row is committed (the unique violation
/// waited for it), so its owner can be read.
async fn refused(
    store: &dyn Store,
    e: StoreError,
    tried: &ApprovalRecord,
    public_key: &str,
) -> Result<AddedKey, AppError> {
    if !matches!(e, StoreError::AlreadyExists(_)) {
        return Err(e.into());
    }
    let key_id = &tried.key_id;
    match store.public_key_owner(key_id).await? {
        Some(owner) if owner != tried.owner => Err(AppError::Conflict {
            code: "SIGNING_KEY_TAKEN",
            pointer: "/publicKey".into(),
            message: format!(
                "the key {key_id} is registered to another user: a key signs for one owner only"
            ),
        }),
        _ => {
            if tried.body_sha256.is_some() {
                if let Some(a) = store.key_approval(key_id).await? {
                    if a.body_sha256 == tried.body_sha256 && a.owner == tried.owner {
                        return Ok(AddedKey {
                            key_id: a.key_id,
                            public_key: public_key.to_owned(),
                            owner: a.owner,
                            approved_by: a.approved_by,
                            approving_key: a.approving_key,
                            at: a.at,
                            replay: true,
                        });
                    }
                }
            }
            Err(AppError::bad_request(
                "SIGNING_KEY_EXISTS",
                "/publicKey",
                format!("the key {key_id} is already registered"),
            ))
        }
    }
}

/// A key offered for registration, checked: its id and its canonical
/// base64 (standard alphabet, padded, of the canonical point encoding).
fn new_key(public_key_b64: &str) -> Result<(String, String), AppError> {
    let key = signature::parse_public_key(public_key_b64).map_err(|e| match e {
        signature::SignatureError::WeakKey => AppError::bad_request(
            "SIGNING_KEY_WEAK",
            "/publicKey",
            format!("{e}: register a real Ed25519 public key"),
        ),
        e => AppError::bad_request("SIGNING_KEY_FORMAT", "/publicKey", e.to_string()),
    })?;
    // A point has one canonical encoding; another spelling of the same
    // point would be another key id for one key.
    if key.to_edwards().compress().to_bytes() != *key.as_bytes() {
        return Err(AppError::bad_request(
            "SIGNING_KEY_FORMAT",
            "/publicKey",
            "the public key is not the canonical encoding of its point",
        ));
    }
    use base64::Engine as _;
    let public_key = base64::engine::general_purpose::STANDARD.encode(key.as_bytes());
    Ok((key_id_of(&public_key), public_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_has_one_canonical_form() {
        let k = signature::signing_key_from_seed([7; 32]).verifying_key();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.as_bytes());
        let (id, stored) = new_key(&format!("  {b64}\n")).unwrap();
        assert_eq!(stored, b64);
        assert_eq!(id, key_id_of(&b64));
        let unpadded = b64.trim_end_matches('=');
        assert!(new_key(unpadded).is_err());
    }

    fn signed(body: &str) -> Signed<'_> {
        Signed {
            body: body.as_bytes(),
            signature: None,
            key_id: None,
        }
    }

    #[test]
    fn a_signed_request_names_the_act_the_owner_and_nothing_else() {
        let owner = KeyOwner::Operator(Eori::parse("UZ123456789012").unwrap());
        let ok = r#"{"act":"add_signing_key","owner":"UZ123456789012","publicKey":"k"}"#;
        assert_eq!(signed_public_key(&owner, &signed(ok)).unwrap(), "k");
        for (body, code, pointer) in [
            (
                r#"{"act":"release","owner":"UZ123456789012","publicKey":"k"}"#,
                KEY_SIGNED_ACT,
                "/act",
            ),
            (
                r#"{"act":"add_signing_key","owner":"UZ999999999999","publicKey":"k"}"#,
                KEY_SIGNED_OWNER,
                "/owner",
            ),
            (
                r#"{"act":"add_signing_key","publicKey":"k"}"#,
                KEY_SIGNED_OWNER,
                "/owner",
            ),
            (
                r#"{"act":"add_signing_key","owner":"UZ123456789012","publicKey":"k","x":1}"#,
                "REQUEST_JSON",
                "/x",
            ),
            (
                r#"{"act":"add_signing_key","owner":"UZ123456789012","owner":"UZ123456789012","publicKey":"k"}"#,
                "REQUEST_JSON",
                "",
            ),
        ] {
            match signed_public_key(&owner, &signed(body)).unwrap_err() {
                AppError::BadRequest {
                    code: c,
                    pointer: p,
                    ..
                } => {
                    assert_eq!((c, p.as_str()), (code, pointer), "{body}");
                }
                e => panic!("{body}: {e:?}"),
            }
        }
    }
}
