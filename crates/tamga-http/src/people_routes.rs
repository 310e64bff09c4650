//! HTTP routes of people and parties (issue 15): an operator registers
//! online (no token) and waits for an administrator's decision;
//! administrators list operators, create and change users, see an office's
//! staff and read the audit log; anyone reads the customs offices.
//!
//! Who may call what is in `access.rs` (administrators only, checked
//! before the body is read); the scope of an office administrator, the
//! refusal of self-elevation and the shape of users are checked by
//! `tamga_app::identity::people`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_app::identity::people::{
    self, DecisionForm, NewUserForm, Registered, UserPatch, AUDIT_PAGE_MAX,
};
use tamga_app::identity::registration::{
    AddressForm, ContactForm, FirstUserForm, RegistrationForm, RepresentativeForm,
};
use tamga_core::codes::{Eori, OfficeCode};
use tamga_store::{AuditEntry, OperatorKind, OperatorRecord, OperatorStatus, Role, UserRecord};

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::count;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(
        register,
        operators,
        operator,
        decide,
        create_user,
        users,
        user,
        update_user,
        offices,
        office_staff,
        audit
    ),
    components(schemas(
        RegistrationForm,
        AddressForm,
        ContactForm,
        RepresentativeForm,
        FirstUserForm,
        Registered,
        DecisionForm,
        NewUserForm,
        UserPatch,
        OperatorView,
        UserView,
        CreatedUserView,
        AuditEntryView,
        OfficeView,
        tamga_core::office_hours::OfficeService,
        AuditPage,
        OperatorKind,
        OperatorStatus,
        Role
    ))
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/registrations", post(register))
        .route("/api/v1/admin/operators", get(operators))
        .route("/api/v1/admin/operators/{eori}", get(operator))
        .route("/api/v1/admin/operators/{eori}/decision", post(decide))
        .route("/api/v1/admin/users", post(create_user).get(users))
        .route(
            "/api/v1/admin/users/{username}",
            get(user).patch(update_user),
        )
        .route("/api/v1/offices", get(offices))
        .route("/api/v1/admin/offices/{office}/staff", get(office_staff))
        .route("/api/v1/admin/audit", get(audit))
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An operator and its registration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperatorView {
    pub eori: String,
    pub name: String,
    pub kind: OperatorKind,
    pub status: OperatorStatus,
    /// As registered: `address`, `contact`, `representative`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

impl From<OperatorRecord> for OperatorView {
    fn from(o: OperatorRecord) -> Self {
        OperatorView {
            eori: o.id.to_string(),
            name: o.name,
            kind: o.kind,
            status: o.status,
            details: o.details,
            created_at: rfc3339(o.created_at),
            decided_by: o.decided_by,
            decided_at: o.decided_at.map(rfc3339),
            decision_reason: o.decision_reason,
        }
    }
}

/// A user's account (never its password or second-factor secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub username: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// The operator (EORI) of an operator's user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub offices: Vec<String>,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub must_change_password: bool,
    pub totp_required: bool,
    pub totp_enabled: bool,
    pub has_password: bool,
    pub created_at: String,
}

impl From<UserRecord> for UserView {
    fn from(u: UserRecord) -> Self {
        UserView {
            username: u.user.username,
            name: u.user.name,
            roles: u.user.roles,
            operator: u.user.operator.map(|o| o.to_string()),
            offices: u.user.offices.iter().map(|o| o.to_string()).collect(),
            active: u.user.active,
            email: u.email,
            must_change_password: u.must_change_password,
            totp_required: u.totp_required,
            totp_enabled: u.totp_enabled,
            has_password: u.has_password,
            created_at: rfc3339(u.user.created_at),
        }
    }
}

/// A created user and its initial password, shown this once (the user
/// must change it at first login).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUserView {
    pub user: UserView,
    pub initial_password: String,
}

/// An entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    pub id: i64,
    /// `user:<name>`, `operator:<EORI>`, …
    pub actor: String,
    /// e.g. `operator.approve`, `user.update`.
    pub action: String,
    pub at: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            id: e.id,
            actor: e.actor,
            action: e.action,
            at: rfc3339(e.at),
            payload: e.payload,
        }
    }
}

/// A customs office of the reference data.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfficeView {
    pub code: String,
    pub name: String,
    pub country: String,
    pub city: String,
    /// DEP, DES, TRA, EXT, ENT, IMP, EXP, GUA, RSS.
    pub roles: Vec<String>,
    pub latitude: f64,
    pub longitude: f64,
    /// Working hours in the office's local time (see `utcOffset`), a
    /// subset of the OpenStreetMap `opening_hours` syntax: `24/7` or
    /// rules like `Mo-Fr 08:00-18:00; Sa 09:00-13:00`; absent when not
    /// published. Demo values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Mo-Fr 08:00-18:00; Sa 09:00-13:00")]
    pub hours: Option<String>,
    /// The office's local time offset from UTC (`+06:00`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "+05:00")]
    pub utc_offset: Option<String>,
    /// What the office offers.
    pub services: Vec<tamga_core::office_hours::OfficeService>,
}

/// Register an economic operator online (no token). Every field is
/// checked; the first bad one is 400 with its code and pointer
/// (`EORI_FORMAT` at `/eori`, `REGISTRATION_KIND` at `/kind`,
/// `EMAIL_FORMAT` at `/contact/email`, `PHONE_FORMAT`, `USERNAME_FORMAT`
/// at `/user/username`, `PASSWORD_TOO_SHORT` / `PASSWORD_WEAK` at
/// `/user/password`, …). The operator is `pending` and its first user
/// cannot log in until an administrator approves it. 409
/// `OPERATOR_EXISTS` (at `/eori`) or `USERNAME_TAKEN` (at
/// `/user/username`).
#[utoipa::path(post, path = "/api/v1/registrations", tag = "registration",
    request_body = RegistrationForm,
    responses((status = 201, body = Registered, description = "registered, pending approval"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    ApiJson(form): ApiJson<RegistrationForm>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let r = people::register(s.clearance.store().as_ref(), form).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OperatorParams {
    #[param(pattern = "^(pending|approved|refused)$")]
    pub status: Option<String>,
    #[param(pattern = "^(trader|broker|carrier|agency|bank)$")]
    pub kind: Option<String>,
}

/// Administrators: operators, oldest first, by status and kind.
#[utoipa::path(get, path = "/api/v1/admin/operators", tag = "admin", params(OperatorParams),
    responses((status = 200, body = Vec<OperatorView>)), security(("bearer" = [])))]
pub async fn operators(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<OperatorParams>,
) -> ApiResult<Json<Vec<OperatorView>>> {
    let list = people::operators(
        s.clearance.store().as_ref(),
        &caller,
        q.status.as_deref(),
        q.kind.as_deref(),
    )
    .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Administrators: an operator with its registration and decision.
#[utoipa::path(get, path = "/api/v1/admin/operators/{eori}", tag = "admin",
    params(("eori" = String, Path, description = "the operator's EORI")),
    responses((status = 200, body = OperatorView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn operator(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Eori>,
) -> ApiResult<Json<OperatorView>> {
    let o = people::operator(s.clearance.store().as_ref(), &caller, &id).await?;
    Ok(Json(o.into()))
}

/// Administrators: approve or refuse a pending registration. A refusal
/// gives its reason (400 `REASON_REQUIRED` at `/reason`). Approval
/// activates the operator's users, opens its account and notifies it
/// (`operator_approved`). A decided registration is 409
/// `ALREADY_DECIDED`. In the audit log (`operator.approve` /
/// `operator.refuse`).
#[utoipa::path(post, path = "/api/v1/admin/operators/{eori}/decision", tag = "admin",
    params(("eori" = String, Path, description = "the operator's EORI")),
    request_body = DecisionForm,
    responses((status = 200, body = OperatorView, description = "decided"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already decided (ALREADY_DECIDED)")),
    security(("bearer" = [])))]
pub async fn decide(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Eori>,
    ApiJson(form): ApiJson<DecisionForm>,
) -> ApiResult<Json<OperatorView>> {
    let o = people::decide(s.clearance.store().as_ref(), &caller, &id, form).await?;
    Ok(Json(o.into()))
}

/// Administrators: create a user with roles and offices (an office
/// administrator: only within its offices, never an administrator, 403
/// `OFFICE_SCOPE` / `ADMIN_GRANT_FORBIDDEN`). Operator roles need an
/// approved operator, customs roles none (400 `ROLE_NEEDS_OPERATOR`,
/// `ROLE_CUSTOMS_ONLY`); officers and inspectors an office
/// (`OFFICES_REQUIRED`). The answer carries the initial password once;
/// the user must change it. 409 `USERNAME_TAKEN`. In the audit log
/// (`user.create`).
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    request_body = NewUserForm,
    responses((status = 201, body = CreatedUserView, description = "created"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the user name is taken, or the operator is not approved")),
    security(("bearer" = [])))]
pub async fn create_user(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(form): ApiJson<NewUserForm>,
) -> ApiResult<(StatusCode, Json<CreatedUserView>)> {
    let c = people::create_user(s.clearance.store().as_ref(), &caller, form).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUserView {
            user: c.user.into(),
            initial_password: c.initial_password,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    #[param(
        pattern = "^(trader|broker|carrier|officer|inspector|risk_analyst|manager|appeals_officer|admin|bank|agency)$"
    )]
    pub role: Option<String>,
    #[param(pattern = "^[A-Z]{2}[A-Z0-9]{6}$")]
    pub office: Option<String>,
    #[param(pattern = "^[A-Z]{2}[A-Za-z0-9]{1,15}$")]
    pub operator: Option<String>,
}

/// Administrators: users by name, filtered by role, office and operator
/// (an office administrator sees only users within its offices).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UserParams),
    responses((status = 200, body = Vec<UserView>)), security(("bearer" = [])))]
pub async fn users(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<UserParams>,
) -> ApiResult<Json<Vec<UserView>>> {
    let list = people::users(
        s.clearance.store().as_ref(),
        &caller,
        q.role.as_deref(),
        q.office.as_deref(),
        q.operator.as_deref(),
    )
    .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Administrators: a user (404 for one outside an office administrator's
/// offices, as for one that does not exist).
#[utoipa::path(get, path = "/api/v1/admin/users/{username}", tag = "admin",
    params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn user(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(username): ApiPath<String>,
) -> ApiResult<Json<UserView>> {
    let u = people::user(s.clearance.store().as_ref(), &caller, &username).await?;
    Ok(Json(u.into()))
}

/// Administrators: change a user's roles, offices, activity, e-mail or
/// second-factor requirement (what is given is set). Never one's own
/// roles, offices or activity (403 `SELF_CHANGE`); an office
/// administrator only within its offices and never to administrator. In
/// the audit log (`user.update`, before and change); every instance
/// forgets what it cached of the user.
#[utoipa::path(patch, path = "/api/v1/admin/users/{username}", tag = "admin",
    params(("username" = String, Path)),
    request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_user(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(username): ApiPath<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let u = people::update_user(s.clearance.store().as_ref(), &caller, &username, patch).await?;
    s.tokens.clear();
    Ok(Json(u.into()))
}

/// The customs offices (no token): code, name, country, city, roles,
/// coordinates, working hours (with the local UTC offset) and services.
#[utoipa::path(get, path = "/api/v1/offices", tag = "reference",
    responses((status = 200, body = Vec<OfficeView>)))]
pub async fn offices(State(s): State<AppState>) -> ApiResult<Json<Vec<OfficeView>>> {
    let list = people::offices(s.clearance.store().as_ref()).await?;
    Ok(Json(
        list.iter()
            .map(|o| OfficeView {
                code: o.code.clone(),
                name: o.name.clone(),
                country: o.country.clone(),
                city: o.city.clone(),
                roles: o.roles.clone(),
                latitude: o.latitude,
                longitude: o.longitude,
                hours: o.hours.as_ref().map(|h| h.to_string()),
                utc_offset: tamga_core::office_hours::utc_offset(&o.country).map(|u| {
                    let (h, m, _) = u.as_hms();
                    format!(
                        "{}{:02}:{:02}",
                        if h < 0 { '-' } else { '+' },
                        h.abs(),
                        m.abs()
                    )
                }),
                services: o.services.clone(),
            })
            .collect(),
    ))
}

/// Administrators (of the office, or central): the office's staff.
#[utoipa::path(get, path = "/api/v1/admin/offices/{office}/staff", tag = "admin",
    params(("office" = String, Path)),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn office_staff(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(office): ApiPath<OfficeCode>,
) -> ApiResult<Json<Vec<UserView>>> {
    let list = people::office_staff(s.clearance.store().as_ref(), &caller, &office).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Cursor: the id of the last entry already seen (0 for all).
    pub after: Option<i64>,
    /// 1 to 500, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// Only entries of this actor (e.g. `user:admin`).
    pub actor: Option<String>,
    /// Only entries of this action (e.g. `user.update`).
    pub action: Option<String>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `after` to get the next page.
    pub next_after: i64,
}

/// Administrators: the audit log, oldest first after a cursor, filtered
/// by actor and action.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = AuditPage)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    let after = q.after.unwrap_or(0);
    let limit = count(q.limit.as_deref(), "limit", 100, AUDIT_PAGE_MAX)?;
    let entries = people::audit(
        s.clearance.store().as_ref(),
        &caller,
        after,
        limit,
        q.actor,
        q.action,
    )
    .await?;
    let next_after = entries.last().map_or(after, |e| e.id);
    Ok(Json(AuditPage {
        entries: entries.into_iter().map(Into::into).collect(),
        next_after,
    }))
}
