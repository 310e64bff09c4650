//! Bearer-token authentication. Tokens are stored hashed (SHA-256); the
//! resolved caller is cached briefly so a lodging does not pay a database
//! round trip for it.
//!
//! A revoked or expired token, a token of a deactivated user or of an
//! operator that is not approved, authenticates nobody
//! (`tamga_store::TokenStore::token_grant`). The cache never outlives
//! that: an entry is dropped at the token's expiry; the instance that
//! revokes a token forgets it at once ([`TokenCache::forget`]); every
//! instance forgets all entries when the identity epoch moves
//! ([`TokenCache::set_epoch`], fed by `tamga_app::identity::epoch`, within
//! about a second), and an entry resolved under an older epoch is never
//! used (so a lookup racing a revocation cannot re-insert a stale caller).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use tamga_app::clearance::sha256_hex;
use tamga_app::Caller;
use tamga_core::codes::Eori;
use tamga_store::Principal;

use crate::error::ApiError;
use crate::{AppState, AppStateInner};

/// How long a resolved token is trusted without asking the store again: a
/// token removed from the store (or a user's changed role or offices)
/// takes effect within this time.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// Tokens remembered at most; past it the least used are evicted (one at a
/// time, not the whole cache).
pub const CACHE_MAX: u64 = 100_000;

/// Resolved callers by token hash (`moka`: time to live [`CACHE_TTL`],
/// bounded by [`CACHE_MAX`]), each with the identity epoch it was resolved
/// under and the token's expiry.
pub struct TokenCache {
    entries: moka::sync::Cache<String, Resolved>,
    epoch: AtomicI64,
}

/// A resolved token.
#[derive(Clone)]
struct Resolved {
    epoch: i64,
    caller: Caller,
    credential: Credential,
    expires_at: Option<time::OffsetDateTime>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(CACHE_MAX, CACHE_TTL)
    }
}

impl TokenCache {
    pub fn new(max: u64, ttl: Duration) -> Self {
        TokenCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(max)
                .time_to_live(ttl)
                .build(),
            epoch: AtomicI64::new(i64::MIN),
        }
    }
    /// The identity epoch this cache trusts.
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::Acquire)
    }
    fn get(&self, hash: &str) -> Option<(Caller, Credential)> {
        let r = self.entries.get(hash)?;
        let expired = r
            .expires_at
            .is_some_and(|e| e <= time::OffsetDateTime::now_utc());
        if r.epoch != self.epoch() || expired {
            self.entries.invalidate(hash);
            return None;
        }
        Some((r.caller, r.credential))
    }
    fn put(&self, hash: String, r: Resolved) {
        // Resolved under an epoch that has moved since: not kept.
        if r.epoch == self.epoch() {
            self.entries.insert(hash, r);
        }
    }
    /// Forgets one token (its SHA-256, hex): the instance that revokes it.
    pub fn forget(&self, token_sha256: &str) {
        self.entries.invalidate(token_sha256);
    }
    /// The identity epoch moved: entries resolved before are not used
    /// again, and all are dropped.
    pub fn set_epoch(&self, epoch: i64) {
        if self.epoch.swap(epoch, Ordering::AcqRel) != epoch {
            self.clear();
        }
    }
    /// Forgets every resolved token (the next request of each asks the
    /// store).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }
}

/// How the caller of a request authenticated. Identity endpoints read it:
/// some acts need a person's browser session (password, and the second
/// factor when required) rather than a bearer token, and the audit log
/// names the person behind an operator's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A bearer API token: its public id (the first 16 hex digits of its
    /// SHA-256) and the person who created it, when known.
    Token { id: String, person: Option<String> },
    /// A browser session of the user `username` (cookie).
    Session { username: String },
}

impl Credential {
    /// The person behind the call, when known (a session's user, a token's
    /// user or creator).
    pub fn person(&self) -> Option<&str> {
        match self {
            Credential::Token { person, .. } => person.as_deref(),
            Credential::Session { username } => Some(username),
        }
    }
}

/// Any authenticated caller.
pub struct Auth(pub Caller);

/// An authenticated economic operator.
pub struct OperatorAuth(pub Eori);

async fn resolve(parts: &Parts, state: &AppState) -> Result<(Caller, Credential), ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        // No token: the browser session's cookie, if any (issue 15).
        return crate::session::resolve_cookie_credential(parts, state).await;
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be: Bearer <token>")
        })?;
    let hash = sha256_hex(token.as_bytes());
    // Read before the store: an entry resolved under an older epoch is
    // never kept.
    let epoch = state.tokens.epoch();
    if let Some(hit) = state.tokens.get(&hash) {
        return Ok(hit);
    }
    let store = state.clearance.store();
    let refused = || {
        ApiError::unauthorized("unknown, revoked or expired API token (or its holder may not act)")
    };
    let grant = store
        .token_grant(&hash, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| ApiError::from(tamga_app::AppError::Store(e)))?
        .ok_or_else(refused)?;
    let (caller, person) = match grant.principal {
        Principal::Operator { id } => (
            Caller::Operator(id),
            grant
                .created_by
                .as_deref()
                .and_then(|c| c.strip_prefix("user:"))
                .map(str::to_owned),
        ),
        Principal::User { username } => {
            let user = store
                .user(&username)
                .await
                .map_err(|e| ApiError::from(tamga_app::AppError::Store(e)))?
                .filter(|u| u.active)
                .ok_or_else(refused)?;
            (Caller::User(user), Some(username))
        }
    };
    let credential = Credential::Token {
        id: grant.id,
        person,
    };
    state.tokens.put(
        hash,
        Resolved {
            epoch,
            caller: caller.clone(),
            credential: credential.clone(),
            expires_at: grant.expires_at,
        },
    );
    Ok((caller, credential))
}

/// The only endpoints (method, route) the bank role may call: report a
/// deposit, and see whom its token belongs to. Everything else answers 403
/// to the bank, whatever the handler's own rules, so an endpoint added
/// later is closed to it unless listed here.
pub const BANK_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/v1/bank/deposits"),
    ("GET", "/api/v1/account"),
];

/// Least privilege for the bank role (see [`BANK_ENDPOINTS`]).
fn bank_scope(parts: &Parts, caller: Caller) -> Result<Caller, ApiError> {
    if let Caller::User(u) = &caller {
        if u.has(tamga_store::Role::Bank) {
            let route = parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .map(|m| m.as_str());
            let allowed = BANK_ENDPOINTS
                .iter()
                .any(|(m, p)| parts.method.as_str() == *m && route == Some(*p));
            if !allowed {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "FORBIDDEN",
                    "the bank role may only report deposits (POST /api/v1/bank/deposits)",
                ));
            }
        }
    }
    Ok(caller)
}

/// The caller of a request: the token resolved, within the bank's scope.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    authenticate_with(parts, state).await.map(|(c, _)| c)
}

/// [`authenticate`], with how the caller authenticated.
pub async fn authenticate_with(
    parts: &Parts,
    state: &AppState,
) -> Result<(Caller, Credential), ApiError> {
    let (caller, credential) = resolve(parts, state).await?;
    Ok((bank_scope(parts, caller)?, credential))
}

/// How the caller of the request authenticated ([`crate::access::enforce`]
/// put it in the request's extensions; else it authenticates now).
pub struct Cred(pub Credential);

impl FromRequestParts<Arc<AppStateInner>> for Cred {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        match parts.extensions.get::<Credential>() {
            Some(c) => Ok(Cred(c.clone())),
            None => authenticate_with(parts, state).await.map(|(_, c)| Cred(c)),
        }
    }
}

/// The caller [`crate::access::enforce`] authenticated, or else
/// authenticates it now.
async fn caller_of(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    match parts.extensions.get::<crate::access::Authorised>() {
        Some(a) => Ok(a.0.clone()),
        None => authenticate(parts, state).await,
    }
}

impl FromRequestParts<Arc<AppStateInner>> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        caller_of(parts, state).await.map(Auth)
    }
}

impl FromRequestParts<Arc<AppStateInner>> for OperatorAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        match caller_of(parts, state).await? {
            Caller::Operator(id) => Ok(OperatorAuth(id)),
            Caller::User(_) => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "only an economic operator's token may do this",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(id: &str) -> Caller {
        Caller::Operator(Eori::parse(id).unwrap())
    }

    fn resolved(c: &TokenCache, caller: Caller) -> Resolved {
        Resolved {
            epoch: c.epoch(),
            caller,
            credential: Credential::Token {
                id: "0123456789abcdef".into(),
                person: None,
            },
            expires_at: None,
        }
    }

    #[test]
    fn an_entry_of_an_older_epoch_or_past_its_expiry_is_not_used() {
        let c = TokenCache::new(10, CACHE_TTL);
        c.set_epoch(7);
        let stale = resolved(&c, operator("UZ000000000001"));
        c.put("a".into(), stale.clone());
        assert!(c.get("a").is_some());
        c.set_epoch(8);
        assert!(c.get("a").is_none());
        // A lookup that started before the epoch moved is not kept.
        c.put("a".into(), stale);
        assert!(c.get("a").is_none());
        let mut expired = resolved(&c, operator("UZ000000000001"));
        expired.expires_at = Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(1));
        c.put("b".into(), expired);
        assert!(c.get("b").is_none());
        c.put("c".into(), resolved(&c, operator("UZ000000000001")));
        c.forget("c");
        assert!(c.get("c").is_none());
    }

    #[test]
    fn the_cache_forgets_after_its_time_to_live() {
        let c = TokenCache::new(10, Duration::from_millis(50));
        c.put("a".into(), resolved(&c, operator("UZ000000000001")));
        assert!(matches!(c.get("a"), Some((Caller::Operator(_), _))));
        std::thread::sleep(Duration::from_millis(80));
        assert!(c.get("a").is_none());
    }

    #[test]
    fn a_full_cache_evicts_some_entries_not_all() {
        let c = TokenCache::new(100, CACHE_TTL);
        for i in 0..300 {
            c.put(format!("t{i}"), resolved(&c, operator("UZ000000000001")));
        }
        c.entries.run_pending_tasks();
        let kept = (0..300)
            .filter(|i| c.get(&format!("t{i}")).is_some())
            .count();
        assert!((1..=100).contains(&kept), "{kept}");
        c.clear();
        c.entries.run_pending_tasks();
        assert_eq!(c.entries.entry_count(), 0);
    }
}
