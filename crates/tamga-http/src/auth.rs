//! Bearer-token authentication. Tokens are stored hashed (SHA-256); the
//! resolved caller is cached briefly so a lodging does not pay a database
//! round trip for it.

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
/// bounded by [`CACHE_MAX`]).
pub struct TokenCache {
    entries: moka::sync::Cache<String, Caller>,
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
        }
    }
    fn get(&self, hash: &str) -> Option<Caller> {
        self.entries.get(hash)
    }
    fn put(&self, hash: String, c: Caller) {
        self.entries.insert(hash, c);
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
    Token {
        id: String,
        person: Option<String>,
    },
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

async fn resolve(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        // No token: the browser session's cookie, if any (issue 15).
        return crate::session::resolve_cookie(parts, state).await;
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
    if let Some(c) = state.tokens.get(&hash) {
        return Ok(c);
    }
    let store = state.clearance.store();
    let principal = store
        .principal_for_token(&hash)
        .await
        .map_err(|e| ApiError::from(tamga_app::AppError::Store(e)))?
        .ok_or_else(|| ApiError::unauthorized("unknown API token"))?;
    let caller = match principal {
        Principal::Operator { id } => Caller::Operator(id),
        Principal::User { username } => {
            let user = store
                .user(&username)
                .await
                .map_err(|e| ApiError::from(tamga_app::AppError::Store(e)))?
                .ok_or_else(|| ApiError::unauthorized("the token's user no longer exists"))?;
            Caller::User(user)
        }
    };
    state.tokens.put(hash, caller.clone());
    Ok(caller)
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
    let caller = resolve(parts, state).await?;
    bank_scope(parts, caller)
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

    #[test]
    fn the_cache_forgets_after_its_time_to_live() {
        let c = TokenCache::new(10, Duration::from_millis(50));
        c.put("a".into(), operator("UZ000000000001"));
        assert!(matches!(c.get("a"), Some(Caller::Operator(_))));
        std::thread::sleep(Duration::from_millis(80));
        assert!(c.get("a").is_none());
    }

    #[test]
    fn a_full_cache_evicts_some_entries_not_all() {
        let c = TokenCache::new(100, CACHE_TTL);
        for i in 0..300 {
            c.put(format!("t{i}"), operator("UZ000000000001"));
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
