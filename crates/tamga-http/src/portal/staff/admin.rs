//! The administrator's pages (`/admin…`): operators and their approval,
//! users (list, create with a one-time password, change), a first
//! signing key for a user or an operator, and the audit log. The services
//! are the API's (`tamga_app::identity::people`, `tamga_app::keys`), so an
//! office administrator sees and changes only its offices' staff.

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use tamga_app::identity::people::{self, DecisionForm, NewUserForm, UserPatch};
use tamga_app::keys::KeyApproval;
use tamga_core::codes::Eori;
use tamga_portal::pages::error_page;
use tamga_portal::pages::form::Posted;
use tamga_portal::pages::staff::admin::{admin_page, operator_page, operators_page, Failure};
use tamga_portal::pages::staff::audit::{audit_page, PAGE as AUDIT_PAGE};
use tamga_portal::pages::staff::users::{created_page, new_user_page, user_page, users_page};
use tamga_portal::{Ctx, PageError, Rendered};
use tamga_store::{OperatorStatus, Role};

use super::{begin, in_form, refused};
use crate::portal::viewer::{posted, see_other};
use crate::portal::{html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/operators", get(operators))
        .route("/admin/operators/{eori}", get(operator))
        .route("/admin/operators/{eori}/decision", post(decide))
        .route("/admin/operators/{eori}/keys", post(operator_key))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/new", get(new_user))
        .route("/admin/users/{username}", get(user).post(update_user))
        .route("/admin/users/{username}/keys", post(user_key))
        .route("/admin/audit", get(audit))
}

fn show(ctx: &Ctx, r: Result<Rendered, PageError>) -> Response {
    match r {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(ctx, &e, None),
    }
}

/// The path segment after `prefix` (`/admin/operators/{eori}/…`).
fn segment<'a>(path: &'a str, prefix: &str) -> &'a str {
    path.strip_prefix(prefix)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
}

macro_rules! begin {
    ($s:expr, $req:expr) => {
        match begin(&$s, $req).await {
            Ok(x) => x,
            Err(r) => return r,
        }
    };
}

macro_rules! form {
    ($body:expr) => {
        match posted($body).await {
            Ok(p) => p,
            Err(r) => return r,
        }
    };
}

async fn home(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = begin!(s, req);
    let store = s.clearance.store();
    match people::operators(store.as_ref(), &active.caller(), Some("pending"), None).await {
        Ok(p) => show(&ctx, admin_page(&ctx, p.len())),
        Err(e) => refused(&ctx, &parts, &e),
    }
}

/// The status filter of the operators list (default: pending).
fn status_filter(ctx: &Ctx) -> Option<OperatorStatus> {
    match ctx.param("status") {
        Some("all") => None,
        Some(s) => OperatorStatus::parse(s).or(Some(OperatorStatus::Pending)),
        None => Some(OperatorStatus::Pending),
    }
}

async fn operators_list(
    s: &AppState,
    ctx: &Ctx,
    parts: &axum::http::request::Parts,
    active: &tamga_app::identity::sessions::Active,
    failure: Option<&Failure>,
    status: u16,
) -> Response {
    let filter = status_filter(ctx);
    match people::operators(
        s.clearance.store().as_ref(),
        &active.caller(),
        filter.map(|f| f.as_str()),
        None,
    )
    .await
    {
        Ok(list) => show(ctx, operators_page(ctx, filter, list, failure, status)),
        Err(e) => refused(ctx, parts, &e),
    }
}

async fn operators(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = begin!(s, req);
    operators_list(&s, &ctx, &parts, &active, None, 200).await
}

#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn eori_of(ctx: &Ctx, path: &str) -> Result<Eori, Response> {
    Eori::parse(segment(path, "/admin/operators/"))
        .map_err(|_| html(error_page(ctx, 404, None), ctx.tr.lang))
}

async fn operator_view(
    s: &AppState,
    ctx: &Ctx,
    parts: &axum::http::request::Parts,
    active: &tamga_app::identity::sessions::Active,
    id: &Eori,
    failure: Option<&Failure>,
    status: u16,
) -> Response {
    match people::operator(s.clearance.store().as_ref(), &active.caller(), id).await {
        Ok(op) => show(ctx, operator_page(ctx, &op, failure, status)),
        Err(e) => refused(ctx, parts, &e),
    }
}

async fn operator(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = begin!(s, req);
    let id = match eori_of(&ctx, parts.uri.path()) {
        Ok(i) => i,
        Err(r) => return r,
    };
    operator_view(&s, &ctx, &parts, &active, &id, None, 200).await
}

async fn decide(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = begin!(s, req);
    let id = match eori_of(&ctx, parts.uri.path()) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let p = form!(body);
    let decision = p.get("decision").to_owned();
    let reason = p.get("reason").to_owned();
    let back_to_operator = p.get("back") == "operator";
    let r = people::decide(
        s.clearance.store().as_ref(),
        &active.caller(),
        &id,
        DecisionForm {
            decision: decision.clone(),
            reason: Some(reason.clone()).filter(|r| !r.trim().is_empty()),
        },
    )
    .await;
    match r {
        Ok(_) if back_to_operator => see_other(&format!("/admin/operators/{id}")),
        Ok(_) => see_other(&format!(
            "/admin/operators?status=pending&done={}&eori={id}",
            if decision == "approve" {
                "approve"
            } else {
                "refuse"
            }
        )),
        Err(e) => match in_form(&e) {
            Some((field, code, status)) => {
                let field = if field.is_empty() {
                    "reason"
                } else {
                    field.as_str()
                };
                let f = Failure::new(id.as_ref(), field, code, &reason);
                if back_to_operator {
                    operator_view(&s, &ctx, &parts, &active, &id, Some(&f), status).await
                } else {
                    operators_list(&s, &ctx, &parts, &active, Some(&f), status).await
                }
            }
            None => refused(&ctx, &parts, &e),
        },
    }
}

async fn operator_key(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = begin!(s, req);
    let id = match eori_of(&ctx, parts.uri.path()) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let p = form!(body);
    let key = p.get("publicKey").trim().to_owned();
    let caller = active.caller();
    // The operator must exist for this administrator (404 otherwise).
    if let Err(e) = people::operator(s.clearance.store().as_ref(), &caller, &id).await {
        return refused(&ctx, &parts, &e);
    }
    match s
        .clearance
        .add_signing_key(
            &caller,
            &id,
            KeyApproval::Administrator { public_key: &key },
        )
        .await
    {
        Ok(k) => see_other(&format!("/admin/operators/{id}?key={}", k.key_id)),
        Err(e) => match in_form(&e) {
            Some((_, code, status)) => {
                let f = Failure::new(id.as_ref(), "publicKey", code, &key);
                operator_view(&s, &ctx, &parts, &active, &id, Some(&f), status).await
            }
            None => refused(&ctx, &parts, &e),
        },
    }
}

async fn users(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = begin!(s, req);
    let opt = |k: &str| ctx.param(k).map(str::trim).filter(|v| !v.is_empty());
    match people::users(
        s.clearance.store().as_ref(),
        &active.caller(),
        opt("role"),
        opt("office"),
        opt("operator"),
    )
    .await
    {
        Ok(list) => show(&ctx, users_page(&ctx, list)),
        Err(e) if in_form(&e).is_some() => show(&ctx, users_page(&ctx, Vec::new())),
        Err(e) => refused(&ctx, &parts, &e),
    }
}

async fn new_user(State(s): State<AppState>, req: Request) -> Response {
    let (_, _, ctx, _) = begin!(s, req);
    show(&ctx, new_user_page(&ctx, &Posted::default(), None, 200))
}

/// Offices typed as `UZ000100, UZ000200`.
fn office_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Roles ticked; an unknown value is left for the service to refuse as
/// an empty list would be.
fn roles_of(p: &Posted) -> Vec<Role> {
    p.all("roles").filter_map(Role::parse).collect()
}

async fn create_user(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = begin!(s, req);
    let p = form!(body);
    let opt = |k: &str| Some(p.get(k).trim().to_owned()).filter(|v| !v.is_empty());
    let form = NewUserForm {
        username: p.get("username").to_owned(),
        name: p.get("name").to_owned(),
        roles: roles_of(&p),
        offices: office_list(p.get("offices")),
        operator: opt("operator"),
        email: opt("email"),
        totp_required: p.get("totpRequired") == "on",
    };
    match people::create_user(s.clearance.store().as_ref(), &active.caller(), form).await {
        Ok(c) => show(&ctx, created_page(&ctx, &c.user, &c.initial_password)),
        Err(e) => match in_form(&e) {
            Some((field, code, status)) => {
                let f = Failure::new("new", &field, code, "");
                show(&ctx, new_user_page(&ctx, &p, Some(&f), status))
            }
            None => refused(&ctx, &parts, &e),
        },
    }
}

fn username_of(path: &str) -> String {
    segment(path, "/admin/users/").to_owned()
}

async fn user(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = begin!(s, req);
    let name = username_of(parts.uri.path());
    match people::user(s.clearance.store().as_ref(), &active.caller(), &name).await {
        Ok(u) => show(&ctx, user_page(&ctx, &u, None, None, 200)),
        Err(e) => refused(&ctx, &parts, &e),
    }
}

async fn update_user(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = begin!(s, req);
    let name = username_of(parts.uri.path());
    let p = form!(body);
    let store = s.clearance.store();
    let caller = active.caller();
    let current = match people::user(store.as_ref(), &caller, &name).await {
        Ok(u) => u,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    // Only what changed is sent, as an API client would.
    let mut roles = roles_of(&p);
    roles.sort();
    roles.dedup();
    let mut now_roles = current.user.roles.clone();
    now_roles.sort();
    let offices = office_list(p.get("offices"));
    let now_offices: Vec<String> = current.user.offices.iter().map(|o| o.to_string()).collect();
    let email = p.get("email").trim().to_owned();
    let active_box = p.get("active") == "on";
    let totp = p.get("totpRequired") == "on";
    let patch = UserPatch {
        roles: (roles != now_roles).then_some(roles),
        offices: (offices != now_offices).then_some(offices),
        active: (active_box != current.user.active).then_some(active_box),
        email: (email != current.email.clone().unwrap_or_default()).then_some(email),
        totp_required: (totp != current.totp_required).then_some(totp),
    };
    match people::update_user(store.as_ref(), &caller, &name, patch).await {
        Ok(_) => {
            s.tokens.clear();
            see_other(&format!("/admin/users/{name}?done=saved"))
        }
        Err(e) => match in_form(&e) {
            Some((field, code, status)) => {
                let f = Failure::new(&name, &field, code, "");
                show(&ctx, user_page(&ctx, &current, Some(&p), Some(&f), status))
            }
            None => refused(&ctx, &parts, &e),
        },
    }
}

async fn user_key(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = begin!(s, req);
    let name = username_of(parts.uri.path());
    let p = form!(body);
    let key = p.get("publicKey").trim().to_owned();
    let caller = active.caller();
    // Within this administrator's scope (an office administrator: its
    // offices' staff only), else 404 as for a user that does not exist.
    let current = match people::user(s.clearance.store().as_ref(), &caller, &name).await {
        Ok(u) => u,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    match s
        .clearance
        .add_officer_key(
            &caller,
            &name,
            KeyApproval::Administrator { public_key: &key },
        )
        .await
    {
        Ok(k) => see_other(&format!("/admin/users/{name}?done=key&key={}", k.key_id)),
        Err(e) => match in_form(&e) {
            Some((_, code, status)) => {
                let f = Failure::new(&name, "publicKey", code, &key);
                show(&ctx, user_page(&ctx, &current, None, Some(&f), status))
            }
            None => refused(&ctx, &parts, &e),
        },
    }
}

async fn audit(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = begin!(s, req);
    let after = ctx
        .param("after")
        .and_then(|a| a.parse::<i64>().ok())
        .unwrap_or(0);
    let opt = |k: &str| {
        ctx.param(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    match people::audit(
        s.clearance.store().as_ref(),
        &active.caller(),
        after,
        AUDIT_PAGE + 1,
        opt("actor"),
        opt("action"),
    )
    .await
    {
        Ok(entries) => show(&ctx, audit_page(&ctx, entries)),
        Err(e) => refused(&ctx, &parts, &e),
    }
}
