//! Logging in, the second factor, and passwords (issue 15).
//!
//! - [`login`]: username and password. The argon2 verification runs on a
//!   blocking thread; an unknown username (or a user without a password)
//!   costs one verification too ([`password::verify_nobody`]) and gets the
//!   same answer as a wrong password, so the answer tells nobody which
//!   usernames exist. Whether an account is deactivated or its operator
//!   not approved is told only to whoever gave its right password.
//! - Throttling ([`USER_LIMIT`], [`TOTP_LIMIT`], [`ADDRESS_LIMIT`]): after
//!   a number of consecutive failures a subject is locked, 1 minute at
//!   first, doubled with each further failure, at most 60 minutes; a locked
//!   subject is refused ([`IdentityError::Throttled`], with when to try
//!   again) before its password is even looked at. The counts live in the
//!   database, shared by every instance.
//! - The second factor ([`verify_totp`], [`begin_totp`], [`confirm_totp`]):
//!   a user with a TOTP secret, or who must have one, gets a
//!   `second_factor` session from the password; the code (each time step
//!   accepted once) turns it into a `full` one under a new id.
//! - Passwords ([`change_password`], [`admin_reset`], [`cli_reset`]): the
//!   policy of [`password::check_policy`], none of the last five, every
//!   other session of the user revoked; a reset gives a one-time password
//!   that must be changed at the next login.

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::json;
use time::{Duration, OffsetDateTime};

use tamga_core::codes::OfficeCode;
use tamga_store::{
    IdentityAudit, LoginRecord, PasswordChange, Role, SessionStage, Store, StoreError, User,
};

use super::password::{self, PasswordError};
use super::sessions::{self, Active, Issued};
use super::totp;
use crate::AppError;

/// A throttling rule: after `lock_after` consecutive failures (failures
/// more than `forget` apart start over), locked `base`, doubling, at most
/// `max`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub lock_after: u32,
    pub base: Duration,
    pub max: Duration,
    pub forget: Duration,
}

/// Per username (`user:<name>`).
pub const USER_LIMIT: Limit = Limit {
    lock_after: 5,
    base: Duration::minutes(1),
    max: Duration::minutes(60),
    forget: Duration::hours(24),
};
/// Per username, for second-factor codes (`totp:<name>`).
pub const TOTP_LIMIT: Limit = USER_LIMIT;
/// Per client address (`ip:<address>`): higher, as offices share one
/// address behind their proxy.
pub const ADDRESS_LIMIT: Limit = Limit {
    lock_after: 50,
    base: Duration::minutes(1),
    max: Duration::minutes(60),
    forget: Duration::hours(1),
};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed attempts: try again in {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error("this account is deactivated")]
    Inactive,
    #[error("the operator of this account is not approved (yet)")]
    OperatorNotApproved,
    #[error("wrong code")]
    TotpInvalid,
    #[error("this code was used already: wait for the next one")]
    TotpReplayed,
    #[error("no second factor is enrolled: enrol first (POST /api/v1/account/totp)")]
    TotpNotEnrolled,
    #[error("a second factor is enrolled already: complete it (POST /api/v1/auth/totp)")]
    TotpEnrolled,
    #[error("no second factor is being enrolled: start with POST /api/v1/account/totp")]
    TotpNotPending,
    #[error("this session is not waiting for a second factor")]
    NotSecondFactor,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error(transparent)]
    Password(PasswordError),
    #[error("{0}")]
    Forbidden(String),
    #[error("no user {0}")]
    UnknownUser(String),
    #[error("user {0} exists already")]
    UserExists(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for IdentityError {
    fn from(e: StoreError) -> Self {
        IdentityError::App(AppError::Store(e))
    }
}

impl IdentityError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::InvalidCredentials => "LOGIN_FAILED",
            IdentityError::Throttled { .. } => "LOGIN_THROTTLED",
            IdentityError::Inactive => "ACCOUNT_INACTIVE",
            IdentityError::OperatorNotApproved => "OPERATOR_NOT_APPROVED",
            IdentityError::TotpInvalid => "TOTP_INVALID",
            IdentityError::TotpReplayed => "TOTP_REPLAYED",
            IdentityError::TotpNotEnrolled => "TOTP_NOT_ENROLLED",
            IdentityError::TotpEnrolled => "TOTP_ENROLLED",
            IdentityError::TotpNotPending => "TOTP_NOT_PENDING",
            IdentityError::NotSecondFactor => "NOT_SECOND_FACTOR",
            IdentityError::WrongPassword => "CURRENT_PASSWORD_WRONG",
            IdentityError::Password(p) => p.code(),
            IdentityError::Forbidden(_) => "FORBIDDEN",
            IdentityError::UnknownUser(_) => "NOT_FOUND",
            IdentityError::UserExists(_) => "USER_EXISTS",
            IdentityError::App(a) => a.code(),
        }
    }
}

pub type IdentityResult<T> = Result<T, IdentityError>;

/// A successful password login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub username: String,
    pub session: Issued,
    pub must_change_password: bool,
    pub totp_enrolled: bool,
}

fn user_subject(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}
fn totp_subject(username: &str) -> String {
    format!("totp:{}", username.to_lowercase())
}
fn address_subject(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

/// Refuses a locked subject.
async fn check_lock(
    store: &Arc<dyn Store>,
    subject: &str,
    now: OffsetDateTime,
) -> IdentityResult<()> {
    if let Some(t) = store.throttle(subject).await? {
        if t.locked_until > now {
            let secs = (t.locked_until - now).whole_seconds().max(1);
            return Err(IdentityError::Throttled {
                retry_after: secs as u64,
            });
        }
    }
    Ok(())
}

async fn fail(
    store: &Arc<dyn Store>,
    subject: &str,
    limit: Limit,
    now: OffsetDateTime,
) -> IdentityResult<()> {
    store
        .record_failure(
            subject,
            now,
            limit.forget,
            limit.lock_after,
            limit.base,
            limit.max,
        )
        .await?;
    Ok(())
}

/// argon2 on a blocking thread: `Some(true|false)` for a user's hash,
/// `None` for no hash (a dummy verification is spent then).
async fn verify_blocking(password: String, hash: Option<String>) -> IdentityResult<bool> {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => password::verify(&password, &h),
        None => {
            password::verify_nobody(&password);
            false
        }
    })
    .await
    .map_err(|e| IdentityError::App(AppError::Unavailable(format!("password check failed: {e}"))))
}

async fn hash_blocking(password: String) -> IdentityResult<String> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| {
            IdentityError::App(AppError::Unavailable(format!("password hash failed: {e}")))
        })
}

/// Logs `username` in with `password` from `client`.
pub async fn login(
    store: &Arc<dyn Store>,
    username: &str,
    password_text: &str,
    client: Option<IpAddr>,
    now: OffsetDateTime,
) -> IdentityResult<LoggedIn> {
    let username = username.trim();
    let user_key = user_subject(username);
    if let Some(ip) = client {
        check_lock(store, &address_subject(ip), now).await?;
    }
    check_lock(store, &user_key, now).await?;
    let record = if username.is_empty() || username.len() > 128 {
        None
    } else {
        store.login_record(username).await?
    };
    let hash = record.as_ref().and_then(|r| r.password_hash.clone());
    let ok = verify_blocking(password_text.to_owned(), hash.clone()).await?;
    let (Some(record), true) = (record, ok) else {
        fail(store, &user_key, USER_LIMIT, now).await?;
        if let Some(ip) = client {
            fail(store, &address_subject(ip), ADDRESS_LIMIT, now).await?;
        }
        return Err(IdentityError::InvalidCredentials);
    };
    store.clear_throttle(&user_key).await?;
    // From here on the caller knows the password.
    if !record.active {
        return Err(IdentityError::Inactive);
    }
    if !sessions::operator_approved(&record) {
        return Err(IdentityError::OperatorNotApproved);
    }
    if let Some(old) = hash.filter(|h| password::needs_rehash(h)) {
        let new = hash_blocking(password_text.to_owned()).await?;
        store.rehash_password(&record.username, &old, &new).await?;
    }
    let stage = if record.totp_secret.is_some() || record.totp_required {
        SessionStage::SecondFactor
    } else {
        SessionStage::Full
    };
    let session = sessions::start(store, &record.username, stage, now).await?;
    Ok(LoggedIn {
        username: record.username,
        session,
        must_change_password: record.must_change_password,
        totp_enrolled: record.totp_secret.is_some(),
    })
}

/// Completes the second factor of a `second_factor` session with `code`:
/// the session's id is replaced by a new one of a `full` session.
pub async fn verify_totp(
    store: &Arc<dyn Store>,
    active: &Active,
    code: &str,
    now: OffsetDateTime,
) -> IdentityResult<Issued> {
    if active.session.stage != SessionStage::SecondFactor {
        return Err(IdentityError::NotSecondFactor);
    }
    let name = &active.user.username;
    let Some(secret) = active.login.totp_secret.as_deref() else {
        return Err(IdentityError::TotpNotEnrolled);
    };
    let key = totp_subject(name);
    check_lock(store, &key, now).await?;
    let Some(step) = totp::matching_step(secret, code, now.unix_timestamp()) else {
        fail(store, &key, TOTP_LIMIT, now).await?;
        return Err(IdentityError::TotpInvalid);
    };
    if !store.accept_totp_step(name, step).await? {
        fail(store, &key, TOTP_LIMIT, now).await?;
        return Err(IdentityError::TotpReplayed);
    }
    store.clear_throttle(&key).await?;
    sessions::promote(store, &active.session.id_sha256, name, now)
        .await?
        .ok_or(IdentityError::NotSecondFactor)
}

/// A second factor offered for enrolment.
#[derive(Debug, Clone)]
pub struct TotpOffer {
    pub secret: String,
    pub uri: String,
}

/// Offers a new TOTP secret to the session's user. A `second_factor`
/// session may do so only for a user who has none (whose second factor is
/// required): the password alone never replaces a second factor.
pub async fn begin_totp(store: &Arc<dyn Store>, active: &Active) -> IdentityResult<TotpOffer> {
    if active.session.stage == SessionStage::SecondFactor && active.login.totp_secret.is_some() {
        return Err(IdentityError::TotpEnrolled);
    }
    let secret = totp::new_secret()?;
    let uri = totp::provisioning_uri(&secret, &active.user.username)
        .ok_or_else(|| AppError::Unavailable("cannot build the provisioning URI".into()))?;
    store
        .set_totp_pending(&active.user.username, &secret)
        .await?;
    Ok(TotpOffer { secret, uri })
}

/// Confirms the offered secret with a code of it. A `second_factor`
/// session becomes `full` under a new id (returned).
pub async fn confirm_totp(
    store: &Arc<dyn Store>,
    active: &Active,
    code: &str,
    now: OffsetDateTime,
) -> IdentityResult<Option<Issued>> {
    let name = &active.user.username;
    let Some(pending) = active.login.totp_pending.as_deref() else {
        return Err(IdentityError::TotpNotPending);
    };
    if active.session.stage == SessionStage::SecondFactor && active.login.totp_secret.is_some() {
        return Err(IdentityError::TotpEnrolled);
    }
    let key = totp_subject(name);
    check_lock(store, &key, now).await?;
    let Some(step) = totp::matching_step(pending, code, now.unix_timestamp()) else {
        fail(store, &key, TOTP_LIMIT, now).await?;
        return Err(IdentityError::TotpInvalid);
    };
    let audit = IdentityAudit {
        actor: format!("user:{name}"),
        action: "user.totp_enrolled".into(),
        payload: json!({"username": name}),
    };
    if !store.confirm_totp(name, pending, step, now, &audit).await? {
        return Err(IdentityError::TotpNotPending);
    }
    store.clear_throttle(&key).await?;
    if active.session.stage == SessionStage::SecondFactor {
        return Ok(sessions::promote(store, &active.session.id_sha256, name, now).await?);
    }
    Ok(None)
}

/// Whether `new` was one of the user's last passwords (or is the current).
async fn reused(store: &Arc<dyn Store>, login: &LoginRecord, new: &str) -> IdentityResult<bool> {
    let mut hashes = store.password_history(&login.username).await?;
    hashes.extend(login.password_hash.clone());
    let new = new.to_owned();
    tokio::task::spawn_blocking(move || hashes.iter().any(|h| password::verify(&new, h)))
        .await
        .map_err(|e| {
            IdentityError::App(AppError::Unavailable(format!("password check failed: {e}")))
        })
}

/// The session's user changes its password: `current` must be right
/// (wrong ones count towards the user's lock), `new` meet the policy and
/// be none of the last five. The user's other sessions are revoked; this
/// one stays (and may do everything again if the change was required).
pub async fn change_password(
    store: &Arc<dyn Store>,
    active: &Active,
    current: &str,
    new: &str,
    now: OffsetDateTime,
) -> IdentityResult<()> {
    let name = &active.user.username;
    let key = user_subject(name);
    check_lock(store, &key, now).await?;
    if !verify_blocking(current.to_owned(), active.login.password_hash.clone()).await? {
        fail(store, &key, USER_LIMIT, now).await?;
        return Err(IdentityError::WrongPassword);
    }
    password::check_policy(new, &[name, &active.user.name]).map_err(IdentityError::Password)?;
    if reused(store, &active.login, new).await? {
        return Err(IdentityError::Password(PasswordError::Reused));
    }
    let hash = hash_blocking(new.to_owned()).await?;
    let audit = IdentityAudit {
        actor: format!("user:{name}"),
        action: "user.password_changed".into(),
        payload: json!({"username": name}),
    };
    store
        .set_password(&PasswordChange {
            username: name,
            hash: &hash,
            must_change: false,
            keep_session: Some(&active.session.id_sha256),
            at: now,
            audit: &audit,
        })
        .await?;
    Ok(())
}

/// Whether the administrator `admin` may manage `target`'s credentials: a
/// central administrator (no offices) anyone but itself; an office
/// administrator the customs staff of its offices only (each office of the
/// target one of its own), not administrators.
pub fn may_manage(admin: &User, target: &User) -> Result<(), IdentityError> {
    if !admin.has(Role::Admin) || !admin.active {
        return Err(IdentityError::Forbidden("this needs the admin role".into()));
    }
    if admin.username == target.username {
        return Err(IdentityError::Forbidden(
            "an administrator changes its own credentials itself (POST /api/v1/account/password)"
                .into(),
        ));
    }
    if admin.offices.is_empty() {
        return Ok(());
    }
    let in_scope = target.operator.is_none()
        && !target.has(Role::Admin)
        && !target.offices.is_empty()
        && target.offices.iter().all(|o| admin.offices.contains(o));
    if in_scope {
        Ok(())
    } else {
        Err(IdentityError::Forbidden(format!(
            "an office administrator manages the staff of its offices ({}) only",
            admin
                .offices
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

async fn reset(
    store: &Arc<dyn Store>,
    actor: &str,
    username: &str,
    now: OffsetDateTime,
) -> IdentityResult<String> {
    let one_time = password::generate();
    let hash = hash_blocking(one_time.clone()).await?;
    let audit = IdentityAudit {
        actor: actor.to_owned(),
        action: "user.password_reset".into(),
        payload: json!({"username": username}),
    };
    store
        .set_password(&PasswordChange {
            username,
            hash: &hash,
            must_change: true,
            keep_session: None,
            at: now,
            audit: &audit,
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => IdentityError::UnknownUser(username.to_owned()),
            e => e.into(),
        })?;
    // A reset also lifts the lock: the administrator vouched for the person.
    store.clear_throttle(&user_subject(username)).await?;
    Ok(one_time)
}

async fn target(store: &Arc<dyn Store>, username: &str) -> IdentityResult<User> {
    store
        .user(username)
        .await?
        .ok_or_else(|| IdentityError::UnknownUser(username.to_owned()))
}

/// An administrator resets `username`'s password: a generated one-time
/// password (returned once, stored hashed) that must be changed at the
/// next login; every session of the user revoked; audited.
pub async fn admin_reset(
    store: &Arc<dyn Store>,
    admin: &User,
    username: &str,
    now: OffsetDateTime,
) -> IdentityResult<String> {
    let t = target(store, username).await?;
    may_manage(admin, &t)?;
    reset(store, &format!("user:{}", admin.username), username, now).await
}

/// `tamga admin reset-password`: as [`admin_reset`], by the operator of
/// the machine (actor `cli`).
pub async fn cli_reset(
    store: &Arc<dyn Store>,
    username: &str,
    now: OffsetDateTime,
) -> IdentityResult<String> {
    target(store, username).await?;
    reset(store, "cli", username, now).await
}

/// An administrator removes `username`'s second factor (a lost phone);
/// audited. The user enrols again (at its next login if it is required).
pub async fn admin_clear_totp(
    store: &Arc<dyn Store>,
    admin: &User,
    username: &str,
    now: OffsetDateTime,
) -> IdentityResult<()> {
    let t = target(store, username).await?;
    may_manage(admin, &t)?;
    let audit = IdentityAudit {
        actor: format!("user:{}", admin.username),
        action: "user.totp_disabled".into(),
        payload: json!({"username": username}),
    };
    if !store.clear_totp(username, now, &audit).await? {
        return Err(IdentityError::UnknownUser(username.to_owned()));
    }
    Ok(())
}

/// `tamga admin create-admin`: a central administrator (no offices) or an
/// office administrator, with `password` or a generated one (returned;
/// generated ones must be changed at the first login). Refuses an existing
/// username. Audited (actor `cli`).
pub async fn create_admin(
    store: &Arc<dyn Store>,
    username: &str,
    name: &str,
    offices: Vec<OfficeCode>,
    password_text: Option<String>,
    now: OffsetDateTime,
) -> IdentityResult<Option<String>> {
    let username = username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(IdentityError::Forbidden(
            "a username has 1 to 64 of the characters a-z, A-Z, 0-9, '.', '-', '_'".into(),
        ));
    }
    if let Some(p) = &password_text {
        password::check_policy(p, &[username, name]).map_err(IdentityError::Password)?;
    }
    let user = User {
        username: username.to_owned(),
        name: name.to_owned(),
        roles: vec![Role::Admin],
        operator: None,
        offices: offices.clone(),
        active: true,
        created_at: now,
    };
    store.create_user(&user).await.map_err(|e| match e {
        StoreError::AlreadyExists(_) => IdentityError::UserExists(username.to_owned()),
        e => e.into(),
    })?;
    let generated = password_text.is_none();
    let secret = password_text.unwrap_or_else(password::generate);
    let hash = hash_blocking(secret.clone()).await?;
    let audit = IdentityAudit {
        actor: "cli".into(),
        action: "user.admin_created".into(),
        payload: json!({
            "username": username,
            "offices": offices.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        }),
    };
    store
        .set_password(&PasswordChange {
            username,
            hash: &hash,
            must_change: generated,
            keep_session: None,
            at: now,
            audit: &audit,
        })
        .await?;
    Ok(generated.then_some(secret))
}
