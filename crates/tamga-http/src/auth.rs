//! Bearer-token authentication. Tokens are stored hashed (SHA-256); the
//! resolved caller is cached briefly so a lodging does not pay a database
//! round trip for it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use tamga_app::clearance::sha256_hex;
use tamga_app::Caller;
use tamga_core::codes::Eori;
use tamga_store::Principal;

use crate::error::ApiError;
use crate::{AppState, AppStateInner};

const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 100_000;

#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, (Caller, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Caller> {
        let g = self.entries.read().expect("lock");
        g.get(hash)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(c, _)| c.clone())
    }
    fn put(&self, hash: String, c: Caller) {
        let mut g = self.entries.write().expect("lock");
        if g.len() >= CACHE_MAX {
            g.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if g.len() >= CACHE_MAX {
                g.clear();
            }
        }
        g.insert(hash, (c, Instant::now()));
    }
}

/// Any authenticated caller.
pub struct Auth(pub Caller);

/// An authenticated economic operator.
pub struct OperatorAuth(pub Eori);

async fn resolve(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized("send an API token: Authorization: Bearer <token>")
        })?;
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
        if u.role == tamga_store::Role::Bank {
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

impl FromRequestParts<Arc<AppStateInner>> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        let caller = resolve(parts, state).await?;
        bank_scope(parts, caller).map(Auth)
    }
}

impl FromRequestParts<Arc<AppStateInner>> for OperatorAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        match resolve(parts, state).await? {
            Caller::Operator(id) => Ok(OperatorAuth(id)),
            Caller::User(_) => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "only an economic operator's token may do this",
            )),
        }
    }
}
