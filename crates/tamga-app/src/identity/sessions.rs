//! Browser sessions: issued at login with a fresh random id (the cookie's
//! value), stored only as its SHA-256, valid for [`LIFETIME`] and ended
//! after [`IDLE`] without a request. A session is `second_factor` between
//! the password and the TOTP code, `full` after; completing the second
//! factor issues a new id and kills the old one (no session fixation).
//!
//! [`resolve`] turns a cookie's id into the caller of a request: a user of
//! an economic operator acts as that operator (`Caller::Operator`), a
//! customs user as itself (`Caller::User`). A deactivated user, or one
//! whose operator is not (or no longer) approved, has no valid session.

use std::sync::Arc;

use base64::Engine;
use ring::rand::SecureRandom;
use time::{Duration, OffsetDateTime};

use tamga_core::hash::sha256_hex;
use tamga_store::{LoginRecord, NewSession, SessionRecord, SessionStage, Store, User};

use crate::{AppError, Caller};

/// How long a session lives at most (a working day).
pub const LIFETIME: Duration = Duration::hours(8);
/// A session unused this long is over.
pub const IDLE: Duration = Duration::minutes(30);

/// A session just issued: the id goes into the cookie (and nowhere
/// else), the CSRF token to the page.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: String,
    pub csrf: String,
    pub stage: SessionStage,
    pub expires_at: OffsetDateTime,
}

/// A valid session with its user.
#[derive(Debug, Clone)]
pub struct Active {
    pub session: SessionRecord,
    pub user: User,
    pub login: LoginRecord,
}

impl Active {
    /// Who the session's requests act as.
    pub fn caller(&self) -> Caller {
        match &self.user.operator {
            Some(eori) => Caller::Operator(eori.clone()),
            None => Caller::User(self.user.clone()),
        }
    }
}

/// 32 random bytes, URL-safe base64 (a session id or a CSRF token).
pub fn random_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Unavailable("the system random generator failed".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database stores of a session id.
pub fn id_hash(id: &str) -> String {
    sha256_hex(id.as_bytes())
}

fn fresh(stage: SessionStage, now: OffsetDateTime) -> Result<Issued, AppError> {
    Ok(Issued {
        id: random_token()?,
        csrf: random_token()?,
        stage,
        expires_at: now + LIFETIME,
    })
}

/// Issues a new session of `username` at `stage`.
pub async fn start(
    store: &Arc<dyn Store>,
    username: &str,
    stage: SessionStage,
    now: OffsetDateTime,
) -> Result<Issued, AppError> {
    let s = fresh(stage, now)?;
    let hash = id_hash(&s.id);
    store
        .create_session(&NewSession {
            id_sha256: &hash,
            username,
            stage,
            csrf: &s.csrf,
            at: now,
            expires_at: s.expires_at,
        })
        .await?;
    Ok(s)
}

/// Replaces the second-factor session `old_hash` of `username` by a full
/// one with a new id; `None` if it is no longer such a session.
pub async fn promote(
    store: &Arc<dyn Store>,
    old_hash: &str,
    username: &str,
    now: OffsetDateTime,
) -> Result<Option<Issued>, AppError> {
    let s = fresh(SessionStage::Full, now)?;
    let hash = id_hash(&s.id);
    let done = store
        .promote_session(
            old_hash,
            &NewSession {
                id_sha256: &hash,
                username,
                stage: SessionStage::Full,
                csrf: &s.csrf,
                at: now,
                expires_at: s.expires_at,
            },
        )
        .await?;
    Ok(done.then_some(s))
}

/// The valid session a cookie's `id` names, with its user; `None` when
/// there is none, or its user may no longer log in.
pub async fn resolve(
    store: &Arc<dyn Store>,
    id: &str,
    now: OffsetDateTime,
) -> Result<Option<Active>, AppError> {
    if id.is_empty() || id.len() > 128 {
        return Ok(None);
    }
    let Some(session) = store.session(&id_hash(id), now, now - IDLE).await? else {
        return Ok(None);
    };
    let (Some(user), Some(login)) = (
        store.user(&session.username).await?,
        store.login_record(&session.username).await?,
    ) else {
        return Ok(None);
    };
    if !user.active || !login.active || !operator_approved(&login) {
        return Ok(None);
    }
    Ok(Some(Active {
        session,
        user,
        login,
    }))
}

/// Whether the user's operator (if it has one) is approved.
pub fn operator_approved(login: &LoginRecord) -> bool {
    login.operator_id.is_none() || login.operator_status.as_deref() == Some("approved")
}

/// Ends a session (logout).
pub async fn end(
    store: &Arc<dyn Store>,
    active: &Active,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    store.revoke_session(&active.session.id_sha256, now).await?;
    Ok(())
}
