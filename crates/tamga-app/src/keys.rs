//! Registering signing keys: operators' (declarations, amendments,
//! invalidations) and customs users' (officer acts).
//!
//! A public key belongs to one owner (issue 13, finding 9): both key tables
//! enter the store's `public_keys` registry, whose primary key (the key id)
//! refuses a key that anyone else registered, in either table, race-safe on
//! both backends. Registering one's own key again is 400
//! `SIGNING_KEY_EXISTS`; a key of another operator or user is 409
//! `SIGNING_KEY_TAKEN`. The key id is computed from the canonical base64 of
//! a canonical point encoding, so one key has one id.

use serde_json::json;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::signature;
use tamga_store::{OfficerKeyRecord, SigningKeyRecord, Store, StoreError};

use crate::clearance::key_id_of;
use crate::error::AppError;

/// An operator registers a key (the audit names the operator).
pub(crate) async fn add_operator_key(
    store: &dyn Store,
    op: &Eori,
    public_key_b64: &str,
) -> Result<SigningKeyRecord, AppError> {
    let (key_id, public_key) = new_key(public_key_b64)?;
    let rec = SigningKeyRecord {
        key_id,
        operator: op.clone(),
        public_key,
        created_at: OffsetDateTime::now_utc(),
        revoked: false,
    };
    let me = format!("operator:{op}");
    if let Err(e) = store.add_signing_key(&rec).await {
        return Err(refused(store, e, &rec.key_id, &me).await);
    }
    store
        .append_audit(
            &me,
            "signing_key.add",
            rec.created_at,
            &json!({ "keyId": rec.key_id }),
        )
        .await?;
    Ok(rec)
}

/// An officer or administrator registers a key.
pub(crate) async fn add_user_key(
    store: &dyn Store,
    username: &str,
    public_key_b64: &str,
) -> Result<OfficerKeyRecord, AppError> {
    let (key_id, public_key) = new_key(public_key_b64)?;
    let rec = OfficerKeyRecord {
        key_id,
        username: username.to_owned(),
        public_key,
        created_at: OffsetDateTime::now_utc(),
        revoked: false,
    };
    let me = format!("user:{username}");
    if let Err(e) = store.add_officer_key(&rec).await {
        return Err(refused(store, e, &rec.key_id, &me).await);
    }
    store
        .append_audit(
            &me,
            "officer_key.add",
            rec.created_at,
            &json!({ "keyId": rec.key_id }),
        )
        .await?;
    Ok(rec)
}

/// Why a registration was refused: the key is the caller's already (400
/// `SIGNING_KEY_EXISTS`) or someone else's (409 `SIGNING_KEY_TAKEN`, not
/// saying whose). The conflicting row is committed (the unique violation
/// waited for it), so its owner can be read.
async fn refused(store: &dyn Store, e: StoreError, key_id: &str, me: &str) -> AppError {
    if !matches!(e, StoreError::AlreadyExists(_)) {
        return e.into();
    }
    match store.public_key_owner(key_id).await {
        Ok(Some(owner)) if owner != me => AppError::Conflict {
            code: "SIGNING_KEY_TAKEN",
            pointer: "/publicKey".into(),
            message: format!(
                "the key {key_id} is registered to another user: a key signs for one owner only"
            ),
        },
        Ok(_) => AppError::bad_request(
            "SIGNING_KEY_EXISTS",
            "/publicKey",
            format!("the key {key_id} is already registered"),
        ),
        Err(e) => e.into(),
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
}
