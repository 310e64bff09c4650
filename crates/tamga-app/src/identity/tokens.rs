//! API tokens (issue 15): named, expiring, revocable bearer tokens for
//! programs (a trader's ERP, a broker's software).
//!
//! Rules:
//! - **Whose tokens.** A token belongs to a principal: an economic
//!   operator or a user. A caller sees and revokes its own principal's
//!   tokens only (an operator's token, or a trader's user: the operator's;
//!   a customs user: its own); another principal's token is answered as
//!   missing (404 `TOKEN_NOT_FOUND`), so ids of others' tokens are not
//!   disclosed. An administrator lists, creates and revokes anyone's.
//! - **Who mints.** A token is created from a person's browser session
//!   (password, and the second factor when required), or by an
//!   administrator for another principal. **A bearer token never mints a
//!   token for its own principal** (403 `TOKEN_SESSION_REQUIRED`): a stolen
//!   token could otherwise mint a successor and outlive its revocation.
//!   For the same reason an administrator calling with a bearer token
//!   cannot mint a token for a principal that holds the administrator
//!   role.
//! - **Shape.** A name of 1 to 64 characters, unique among the principal's
//!   tokens that are not revoked (409 `TOKEN_NAME_TAKEN`); an expiry of 1
//!   to 365 days (default 90). The secret (`tmg_` and 256 random bits,
//!   base64url) is answered once, at creation; the store keeps its SHA-256.
//! - **Revocation** (owner or administrator) writes who and when, the
//!   audit entry and the identity epoch in one transaction
//!   (`tamga_store::TokenStore::revoke_token`); the revoking instance
//!   forgets the token at once, every other within a second
//!   ([`super::epoch`]).

use base64::Engine as _;
use serde::Serialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use tamga_store::{KeyAudit, NewToken, Principal, Role, Store, StoreError, TokenRecord};

use crate::clearance::{sha256_hex, Caller};
use crate::error::AppError;

/// What every secret starts with (so a leaked one is recognisable).
pub const TOKEN_PREFIX: &str = "tmg_";
/// Days a token lives when the request does not say.
pub const DEFAULT_DAYS: u32 = 90;
/// The longest life of a token, in days.
pub const MAX_DAYS: u32 = 365;
/// The longest token name, in characters.
pub const MAX_NAME: usize = 64;

/// 403: minting needs a browser session (or an administrator for someone
/// else).
pub const TOKEN_SESSION_REQUIRED: &str = "TOKEN_SESSION_REQUIRED";
/// 404: no such token of the caller's (or at all).
pub const TOKEN_NOT_FOUND: &str = "TOKEN_NOT_FOUND";
/// 409 at `/name`.
pub const TOKEN_NAME_TAKEN: &str = "TOKEN_NAME_TAKEN";
/// 400 at `/name`.
pub const TOKEN_NAME: &str = "TOKEN_NAME";
/// 400 at `/expiresInDays`.
pub const TOKEN_EXPIRY: &str = "TOKEN_EXPIRY";

/// How the caller of a request authenticated, as far as minting cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A person's browser session: the person.
    Session { username: String },
    /// A bearer API token (its public id).
    Token { id: String },
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub name: String,
    /// 1 to [`MAX_DAYS`]; `None`: [`DEFAULT_DAYS`].
    pub expires_in_days: Option<u32>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    /// The public id (first 16 hex digits of the secret's SHA-256).
    pub id: String,
    pub name: String,
    /// `operator:<EORI>` or `user:<username>`.
    pub principal: String,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    /// `None` for tokens made before expiry existed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

impl TokenView {
    pub fn of(r: TokenRecord, now: OffsetDateTime) -> TokenView {
        let status = if r.revoked_at.is_some() {
            "revoked"
        } else if r.live(now) {
            "active"
        } else {
            "expired"
        };
        TokenView {
            id: r.id,
            name: r.label,
            principal: principal_label(&r.principal),
            status,
            created_at: r.created_at,
            created_by: r.created_by,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
        }
    }
}

/// A token just created: the secret is shown this once.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    #[serde(flatten)]
    pub token: TokenView,
    /// The bearer secret; not stored, not shown again.
    pub secret: String,
}

/// A token revoked (or found revoked already).
#[derive(Debug, Clone)]
pub struct Revoked {
    pub token: TokenView,
    /// The hex SHA-256 of the secret: the key of the token caches.
    pub token_sha256: String,
}

/// `operator:<EORI>` or `user:<username>`.
pub fn principal_label(p: &Principal) -> String {
    match p {
        Principal::Operator { id } => format!("operator:{id}"),
        Principal::User { username } => format!("user:{username}"),
    }
}

/// The principal whose tokens the caller holds: an operator's (also for a
/// user of that operator), or the customs user's own.
pub fn own_principal(caller: &Caller) -> Principal {
    match caller {
        Caller::Operator(id) => Principal::Operator { id: id.clone() },
        Caller::User(u) => match &u.operator {
            Some(op) => Principal::Operator { id: op.clone() },
            None => Principal::User {
                username: u.username.clone(),
            },
        },
    }
}

fn is_admin(caller: &Caller) -> bool {
    caller.require(&[Role::Admin]).is_ok()
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("token {id}"))
}

/// The caller's own principal's tokens, newest first.
pub async fn list_own(store: &dyn Store, caller: &Caller) -> Result<Vec<TokenView>, AppError> {
    list(store, &own_principal(caller)).await
}

/// Administrators: a principal's tokens, newest first.
pub async fn list_for(
    store: &dyn Store,
    caller: &Caller,
    principal: &Principal,
) -> Result<Vec<TokenView>, AppError> {
    caller.require(&[Role::Admin])?;
    check_principal(store, principal).await?;
    list(store, principal).await
}

async fn list(store: &dyn Store, principal: &Principal) -> Result<Vec<TokenView>, AppError> {
    let now = OffsetDateTime::now_utc();
    Ok(store
        .tokens_of(principal)
        .await?
        .into_iter()
        .map(|r| TokenView::of(r, now))
        .collect())
}

/// A token for the caller's own principal, minted from a browser session
/// only (see the module doc).
pub async fn create_own(
    store: &dyn Store,
    caller: &Caller,
    via: &Via,
    req: &TokenRequest,
) -> Result<IssuedToken, AppError> {
    if let Via::Token { .. } = via {
        return Err(session_required(
            "a bearer token cannot mint tokens for its own holder (a stolen token would outlive its revocation): create tokens from a browser session",
        ));
    }
    create(store, caller, via, &own_principal(caller), req).await
}

/// Administrators: a token for another principal. With a bearer token, not
/// for a principal that holds the administrator role (nor for oneself).
pub async fn create_for(
    store: &dyn Store,
    caller: &Caller,
    via: &Via,
    principal: &Principal,
    req: &TokenRequest,
) -> Result<IssuedToken, AppError> {
    caller.require(&[Role::Admin])?;
    let target_is_admin = check_principal(store, principal).await?;
    let session = matches!(via, Via::Session { .. });
    if !session && (target_is_admin || own_principal(caller) == *principal) {
        return Err(session_required(
            "with a bearer token an administrator mints tokens for non-administrators only (a stolen administrator token would otherwise outlive its revocation): use a browser session",
        ));
    }
    create(store, caller, via, principal, req).await
}

fn session_required(message: &str) -> AppError {
    AppError::Denied {
        code: TOKEN_SESSION_REQUIRED,
        message: message.into(),
    }
}

/// The principal exists and may hold tokens; whether it is an
/// administrator.
async fn check_principal(store: &dyn Store, principal: &Principal) -> Result<bool, AppError> {
    match principal {
        Principal::Operator { id } => {
            if store.operator(id).await?.is_none() {
                return Err(AppError::not_found(format!("operator {id}")));
            }
            Ok(false)
        }
        Principal::User { username } => match store.user(username).await? {
            None => Err(AppError::not_found(format!("user {username}"))),
            Some(u) => Ok(u.has(Role::Admin)),
        },
    }
}

fn check_request(req: &TokenRequest) -> Result<(String, u32), AppError> {
    let name = req.name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            TOKEN_NAME,
            "/name",
            format!("a token's name is 1 to {MAX_NAME} characters, without control characters"),
        ));
    }
    let days = req.expires_in_days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::bad_request(
            TOKEN_EXPIRY,
            "/expiresInDays",
            format!("a token expires in 1 to {MAX_DAYS} days (default {DEFAULT_DAYS})"),
        ));
    }
    Ok((name.to_owned(), days))
}

/// A fresh secret: [`TOKEN_PREFIX`] and 256 random bits, base64url.
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| AppError::Unavailable("no randomness for a token".into()))?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

async fn create(
    store: &dyn Store,
    caller: &Caller,
    via: &Via,
    principal: &Principal,
    req: &TokenRequest,
) -> Result<IssuedToken, AppError> {
    let (name, days) = check_request(req)?;
    // Who made it: the person of the session (a trader's user acts as its
    // operator, but the token records the person), else the caller.
    let by = match via {
        Via::Session { username } => format!("user:{username}"),
        Via::Token { .. } => caller.label(),
    };
    let now = OffsetDateTime::now_utc();
    let secret = new_secret()?;
    let token = NewToken {
        token_sha256: sha256_hex(secret.as_bytes()),
        principal: principal.clone(),
        label: name.clone(),
        created_by: by.clone(),
        created_at: now,
        expires_at: now + Duration::days(i64::from(days)),
    };
    let audit = KeyAudit {
        actor: by,
        action: "api_token.create".into(),
        payload: json!({
            "tokenId": &token.token_sha256[..16],
            "principal": principal_label(principal),
            "name": name,
            "expiresAt": token.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        }),
    };
    match store.create_token(&token, &audit).await {
        Ok(r) => Ok(IssuedToken {
            token: TokenView::of(r, now),
            secret,
        }),
        Err(StoreError::AlreadyExists(_)) => Err(AppError::Conflict {
            code: TOKEN_NAME_TAKEN,
            pointer: "/name".into(),
            message: format!(
                "{} already has a token named {name:?}: pick another name or revoke that one",
                principal_label(principal)
            ),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Revokes one of the caller's own principal's tokens (an administrator:
/// anyone's). Another principal's token is answered as missing. Revoking
/// a revoked token again changes nothing and answers it as it is.
pub async fn revoke(store: &dyn Store, caller: &Caller, id: &str) -> Result<Revoked, AppError> {
    let id = id.trim();
    let Some(t) = store.token(id).await? else {
        return Err(not_found(id));
    };
    if !is_admin(caller) && t.principal != own_principal(caller) {
        return Err(not_found(id));
    }
    revoke_found(store, caller, id).await
}

/// Administrators: revokes any token.
pub async fn revoke_any(store: &dyn Store, caller: &Caller, id: &str) -> Result<Revoked, AppError> {
    caller.require(&[Role::Admin])?;
    revoke_found(store, caller, id.trim()).await
}

async fn revoke_found(store: &dyn Store, caller: &Caller, id: &str) -> Result<Revoked, AppError> {
    let now = OffsetDateTime::now_utc();
    let audit = KeyAudit {
        actor: caller.label(),
        action: "api_token.revoke".into(),
        payload: json!({ "tokenId": id }),
    };
    let r = store
        .revoke_token(id, &caller.label(), now, &audit)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Revoked {
        token: TokenView::of(r.record, now),
        token_sha256: r.token_sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_expiries_are_bounded() {
        let req = |name: &str, days| TokenRequest {
            name: name.into(),
            expires_in_days: days,
        };
        assert_eq!(
            check_request(&req(" erp ", None)).unwrap(),
            ("erp".into(), 90)
        );
        assert_eq!(
            check_request(&req(&"x".repeat(64), Some(365))).unwrap().1,
            365
        );
        for bad in [req("", None), req(&"x".repeat(65), None), req("a\nb", None)] {
            assert!(matches!(
                check_request(&bad),
                Err(AppError::BadRequest {
                    code: TOKEN_NAME,
                    ..
                })
            ));
        }
        for days in [0, 366] {
            assert!(matches!(
                check_request(&req("erp", Some(days))),
                Err(AppError::BadRequest {
                    code: TOKEN_EXPIRY,
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_secret_is_256_random_bits_with_a_prefix() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
    }
}
