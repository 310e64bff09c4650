//! Logging in and out, the second factor, passwords (issue 15).
//!
//! - `POST /api/v1/auth/login`, `POST /api/v1/auth/totp`,
//!   `POST /api/v1/auth/logout`, `GET /api/v1/auth/session`: public routes
//!   (no token); the last three act on the request's session cookie.
//! - `POST /api/v1/account/password`, `POST /api/v1/account/totp`,
//!   `POST /api/v1/account/totp/confirm`: a person's own session (not an
//!   API token).
//! - `POST /api/v1/admin/users/{username}/password-reset`,
//!   `DELETE /api/v1/admin/users/{username}/totp`: administrators, within
//!   their scope ([`tamga_app::identity::login::may_manage`]).
//!
//! Cookie, CSRF and stages: [`crate::session`].

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use tamga_app::identity::login::{self, IdentityError};
use tamga_app::identity::sessions::{Active, Issued};
use tamga_app::Caller;
use tamga_store::{Role, SessionStage};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::key_routes::AdminAuth;
use crate::session::{self, SessionAuth};
use crate::{AppState, AppStateInner};

#[derive(OpenApi)]
#[openapi(
    paths(login, totp, logout, session_info, change_password, begin_totp, confirm_totp, reset_password, clear_totp),
    components(schemas(LoginRequest, TotpRequest, PasswordChangeRequest, SessionView, TotpOfferView, PasswordResetView, Stage)),
    modifiers(&Cookie)
)]
pub struct Api;

struct Cookie;

impl Modify for Cookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(session::COOKIE_NAME))),
        );
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/totp", post(totp))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/session", get(session_info))
        .route("/api/v1/account/password", post(change_password))
        .route("/api/v1/account/totp", post(begin_totp))
        .route("/api/v1/account/totp/confirm", post(confirm_totp))
        .route(
            "/api/v1/admin/users/{username}/password-reset",
            post(reset_password),
        )
        .route("/api/v1/admin/users/{username}/totp", delete(clear_totp))
}

/// An identity failure as the API answers it (429 with `Retry-After` when
/// throttled).
pub struct IdErr(pub IdentityError);

impl From<IdentityError> for IdErr {
    fn from(e: IdentityError) -> Self {
        IdErr(e)
    }
}

fn status(e: &IdentityError) -> StatusCode {
    use IdentityError as E;
    match e {
        E::InvalidCredentials | E::TotpInvalid | E::TotpReplayed => StatusCode::UNAUTHORIZED,
        E::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        E::Inactive | E::OperatorNotApproved | E::WrongPassword | E::Forbidden(_) => {
            StatusCode::FORBIDDEN
        }
        E::TotpNotEnrolled
        | E::TotpEnrolled
        | E::TotpNotPending
        | E::NotSecondFactor
        | E::UserExists(_) => StatusCode::CONFLICT,
        E::Password(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::UnknownUser(_) => StatusCode::NOT_FOUND,
        E::App(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The API's error for an identity failure.
pub fn api_error(e: IdentityError) -> ApiError {
    let pointer = match &e {
        IdentityError::WrongPassword => Some("/current"),
        IdentityError::Password(_) => Some("/new"),
        IdentityError::TotpInvalid | IdentityError::TotpReplayed => Some("/code"),
        _ => None,
    };
    let api = match e {
        IdentityError::App(a) => return ApiError::from(a),
        e => ApiError::new(status(&e), e.code(), e.to_string()),
    };
    match pointer {
        Some(p) => api.at(p),
        None => api,
    }
}

impl IntoResponse for IdErr {
    fn into_response(self) -> Response {
        let retry = match &self.0 {
            IdentityError::Throttled { retry_after } => Some(*retry_after),
            _ => None,
        };
        let mut r = api_error(self.0).into_response();
        if let Some(secs) = retry {
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

/// The client's address (for the per-address login limit), when known.
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<std::sync::Arc<AppStateInner>> for ClientAddr {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        _: &std::sync::Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "akarimov", max_length = 128)]
    pub username: String,
    #[schema(max_length = 128, format = Password)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TotpRequest {
    /// The 6 digits the authenticator app shows.
    #[schema(example = "123456", pattern = "^[0-9]{6}$")]
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChangeRequest {
    #[schema(format = Password)]
    pub current: String,
    /// At least 12 characters, not easy to guess, none of the last five.
    #[schema(format = Password, min_length = 12, max_length = 128)]
    pub new: String,
}

/// A session's stage.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Password given; the second factor is due (POST /api/v1/auth/totp,
    /// or enrol first when `totpEnrolled` is false).
    SecondFactor,
    Full,
}

/// The caller's session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub username: String,
    pub name: String,
    pub stage: Stage,
    /// Echo it in `X-CSRF-Token` with every request other than GET and
    /// HEAD made with the session cookie.
    pub csrf_token: String,
    /// Only `POST /api/v1/account/password` until it is changed.
    pub must_change_password: bool,
    pub totp_enrolled: bool,
    pub totp_required: bool,
    pub roles: Vec<Role>,
    /// The operator (EORI) the user acts for, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// When the session ends at the latest (RFC 3339, UTC); 30 minutes
    /// without a request end it earlier.
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotpOfferView {
    /// The secret, base32 (to type into an authenticator app).
    pub secret: String,
    /// The `otpauth://totp/…` URI (to show as a QR code).
    pub otpauth_uri: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetView {
    pub username: String,
    /// Shown once, stored only hashed; must be changed at the next login.
    pub one_time_password: String,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn stage(s: SessionStage) -> Stage {
    match s {
        SessionStage::SecondFactor => Stage::SecondFactor,
        SessionStage::Full => Stage::Full,
    }
}

fn view(active: &Active, issued: Option<&Issued>) -> SessionView {
    let (st, csrf, expires) = match issued {
        Some(i) => (i.stage, i.csrf.clone(), i.expires_at),
        None => (
            active.session.stage,
            active.session.csrf.clone(),
            active.session.expires_at,
        ),
    };
    SessionView {
        username: active.user.username.clone(),
        name: active.user.name.clone(),
        stage: stage(st),
        csrf_token: csrf,
        must_change_password: active.login.must_change_password,
        totp_enrolled: active.login.totp_secret.is_some(),
        totp_required: active.login.totp_required,
        roles: active.user.roles.clone(),
        operator: active.user.operator.as_ref().map(|o| o.as_str().to_owned()),
        expires_at: rfc3339(expires),
    }
}

fn with_cookie(state: &AppState, issued: &Issued, body: SessionView) -> Response {
    let mut r = Json(body).into_response();
    r.headers_mut()
        .insert(SET_COOKIE, session::issue(state, issued));
    r
}

/// Log in with username and password. Answers the session (and sets the
/// `tamga_session` cookie, a fresh id each time: an id sent before is
/// never taken over). With a second factor enrolled or required the
/// session is at stage `second_factor` until `POST /api/v1/auth/totp`. A
/// wrong password and an unknown username get the same 401
/// `LOGIN_FAILED`. After 5 consecutive failures of a username (50 of a
/// client address) it is locked, 1 minute doubling up to 60 minutes: 429
/// `LOGIN_THROTTLED` with `Retry-After`, even with the right password.
/// With the right password: 403 `ACCOUNT_INACTIVE` for a deactivated
/// user, 403 `OPERATOR_NOT_APPROVED` when the user's operator is pending
/// or refused.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = SessionView, description = "logged in; Set-Cookie: tamga_session",
            headers(("Set-Cookie" = String, description = "tamga_session=<id>; Max-Age=28800; Path=/; HttpOnly; SameSite=Strict[; Secure]"))),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody, description = "wrong username or password (LOGIN_FAILED)"),
        (status = 403, body = ErrorBody, description = "ACCOUNT_INACTIVE, OPERATOR_NOT_APPROVED"),
        (status = 429, body = ErrorBody, description = "LOGIN_THROTTLED",
            headers(("Retry-After" = u64, description = "seconds until the lock ends")))),
    security(()))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, IdErr> {
    let store = s.clearance.store();
    let now = time::OffsetDateTime::now_utc();
    let done = login::login(store, &req.username, &req.password, client, now).await?;
    let active = tamga_app::identity::sessions::resolve(store, &done.session.id, now)
        .await
        .map_err(IdentityError::App)?
        .ok_or(IdentityError::InvalidCredentials)?;
    let body = view(&active, Some(&done.session));
    Ok(with_cookie(&s, &done.session, body))
}

/// Complete the second factor of a `second_factor` session with a TOTP
/// code: the session becomes `full` under a new id (new cookie; the old id
/// is dead). A code is accepted once (again: 401 `TOTP_REPLAYED`); a wrong
/// one is 401 `TOTP_INVALID`; after 5 failures the user's second factor is
/// locked (429 `LOGIN_THROTTLED`). Needs the session's `X-CSRF-Token`.
#[utoipa::path(post, path = "/api/v1/auth/totp", tag = "auth",
    request_body = TotpRequest,
    params(("X-CSRF-Token" = String, Header, description = "the session's CSRF token")),
    responses((status = 200, body = SessionView, description = "full session; Set-Cookie: tamga_session (new id)"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody, description = "no session, TOTP_INVALID, TOTP_REPLAYED"),
        (status = 403, body = ErrorBody, description = "CSRF"),
        (status = 409, body = ErrorBody, description = "NOT_SECOND_FACTOR, TOTP_NOT_ENROLLED"),
        (status = 429, body = ErrorBody, description = "LOGIN_THROTTLED",
            headers(("Retry-After" = u64, description = "seconds until the lock ends")))),
    security(("session" = [])))]
pub async fn totp(
    State(s): State<AppState>,
    SessionAuth(active): SessionAuth,
    ApiJson(req): ApiJson<TotpRequest>,
) -> Result<Response, IdErr> {
    let now = time::OffsetDateTime::now_utc();
    let issued = login::verify_totp(s.clearance.store(), &active, &req.code, now).await?;
    let body = view(&active, Some(&issued));
    Ok(with_cookie(&s, &issued, body))
}

/// End the request's session (its cookie is removed). Without a valid
/// session it only removes the cookie. Needs the session's `X-CSRF-Token`.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    params(("X-CSRF-Token" = Option<String>, Header, description = "the session's CSRF token: required when a session cookie is sent (else 403 CSRF); without a session nothing is checked")),
    responses((status = 204, description = "logged out; the cookie is removed"),
        (status = 403, body = ErrorBody, description = "CSRF")),
    // The session is optional: logging out without one only removes the
    // cookie (204), so a client can always call it.
    security((), ("session" = [])))]
pub async fn logout(State(s): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(SET_COOKIE, session::clear(&s));
    match session::session_of(&parts, &s).await {
        Ok(active) => {
            tamga_app::identity::sessions::end(
                s.clearance.store(),
                &active,
                time::OffsetDateTime::now_utc(),
            )
            .await?;
            Ok(r)
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(r),
        Err(e) => Err(e),
    }
}

/// The request's session: who, its stage and its CSRF token.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 200, body = SessionView),
        (status = 401, body = ErrorBody, description = "no valid session")),
    security(("session" = [])))]
pub async fn session_info(SessionAuth(active): SessionAuth) -> Json<SessionView> {
    Json(view(&active, None))
}

/// Change one's own password (a session, not an API token): `current`
/// must be right (403 `CURRENT_PASSWORD_WRONG`; failures count towards the
/// login lock), `new` at least 12 characters and hard to guess (422
/// `PASSWORD_TOO_SHORT`, `PASSWORD_TOO_LONG`, `PASSWORD_WEAK`) and none of
/// the last five (422 `PASSWORD_REUSED`). Every other session of the user
/// is revoked; this one stays.
#[utoipa::path(post, path = "/api/v1/account/password", tag = "account",
    request_body = PasswordChangeRequest,
    params(("X-CSRF-Token" = String, Header, description = "the session's CSRF token")),
    responses((status = 204, description = "changed"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "CSRF, SESSION_REQUIRED, CURRENT_PASSWORD_WRONG"),
        (status = 422, body = ErrorBody, description = "the policy refuses the new password"),
        (status = 429, body = ErrorBody, description = "LOGIN_THROTTLED")),
    security(("session" = [])))]
pub async fn change_password(
    State(s): State<AppState>,
    SessionAuth(active): SessionAuth,
    ApiJson(req): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, IdErr> {
    let now = time::OffsetDateTime::now_utc();
    login::change_password(s.clearance.store(), &active, &req.current, &req.new, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start enrolling a second factor: a new secret and its `otpauth://` URI
/// for an authenticator app; confirm with a code of it. A `second_factor`
/// session may do this only when the user has no second factor yet (409
/// `TOTP_ENROLLED`): a password alone never replaces one.
#[utoipa::path(post, path = "/api/v1/account/totp", tag = "account",
    params(("X-CSRF-Token" = String, Header, description = "the session's CSRF token")),
    responses((status = 200, body = TotpOfferView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "CSRF, SESSION_REQUIRED"),
        (status = 409, body = ErrorBody, description = "TOTP_ENROLLED")),
    security(("session" = [])))]
pub async fn begin_totp(
    State(s): State<AppState>,
    SessionAuth(active): SessionAuth,
) -> Result<Json<TotpOfferView>, IdErr> {
    let offer = login::begin_totp(s.clearance.store(), &active).await?;
    Ok(Json(TotpOfferView {
        secret: offer.secret,
        otpauth_uri: offer.uri,
    }))
}

/// Confirm the offered second factor with a current code of it. A
/// `second_factor` session becomes `full` under a new id (new cookie).
#[utoipa::path(post, path = "/api/v1/account/totp/confirm", tag = "account",
    request_body = TotpRequest,
    params(("X-CSRF-Token" = String, Header, description = "the session's CSRF token")),
    responses((status = 200, body = SessionView, description = "enrolled"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody, description = "no session, TOTP_INVALID"),
        (status = 403, body = ErrorBody, description = "CSRF, SESSION_REQUIRED"),
        (status = 409, body = ErrorBody, description = "TOTP_NOT_PENDING"),
        (status = 429, body = ErrorBody, description = "LOGIN_THROTTLED")),
    security(("session" = [])))]
pub async fn confirm_totp(
    State(s): State<AppState>,
    SessionAuth(active): SessionAuth,
    ApiJson(req): ApiJson<TotpRequest>,
) -> Result<Response, IdErr> {
    let now = time::OffsetDateTime::now_utc();
    let store = s.clearance.store();
    let issued = login::confirm_totp(store, &active, &req.code, now).await?;
    // The user as it is now (enrolled).
    let id_now = issued.as_ref().map(|i| i.id.clone());
    let mut fresh = active.clone();
    if let Some(l) = store
        .login_record(&active.user.username)
        .await
        .map_err(IdentityError::from)?
    {
        fresh.login = l;
    }
    let body = view(&fresh, issued.as_ref());
    Ok(match (issued, id_now) {
        (Some(i), Some(_)) => with_cookie(&s, &i, body),
        _ => Json(body).into_response(),
    })
}

fn admin_user(caller: &Caller) -> Result<&tamga_store::User, IdErr> {
    match caller {
        Caller::User(u) => Ok(u),
        Caller::Operator(_) => Err(IdErr(IdentityError::Forbidden(
            "this needs the admin role".into(),
        ))),
    }
}

/// Reset a user's password: a generated one-time password, answered once,
/// which the user must change at its next login; every session of the
/// user is revoked; audited. An administrator may not reset its own (403:
/// use `POST /api/v1/account/password`); an office administrator only the
/// staff of its offices (403).
#[utoipa::path(post, path = "/api/v1/admin/users/{username}/password-reset", tag = "admin",
    params(("username" = String, Path, description = "the user")),
    responses((status = 200, body = PasswordResetView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not an administrator, its own account, or outside its offices"),
        (status = 404, body = ErrorBody, description = "no such user")),
    security(("bearer" = []), ("session" = [])))]
pub async fn reset_password(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<PasswordResetView>, IdErr> {
    let admin = admin_user(&caller)?;
    let now = time::OffsetDateTime::now_utc();
    let one_time = login::admin_reset(s.clearance.store(), admin, &username, now).await?;
    Ok(Json(PasswordResetView {
        username,
        one_time_password: one_time,
    }))
}

/// Remove a user's second factor (e.g. a lost phone); audited. The user
/// enrols again. Same scope as the password reset.
#[utoipa::path(delete, path = "/api/v1/admin/users/{username}/totp", tag = "admin",
    params(("username" = String, Path, description = "the user")),
    responses((status = 204, description = "removed"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not an administrator, its own account, or outside its offices"),
        (status = 404, body = ErrorBody, description = "no such user")),
    security(("bearer" = []), ("session" = [])))]
pub async fn clear_totp(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, IdErr> {
    let admin = admin_user(&caller)?;
    let now = time::OffsetDateTime::now_utc();
    login::admin_clear_totp(s.clearance.store(), admin, &username, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
