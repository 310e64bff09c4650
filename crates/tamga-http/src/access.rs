//! Who may call which endpoint, checked before anything of the request is
//! parsed (issue 14, item 4).
//!
//! [`RULES`] names every endpoint (method and route) with its [`Access`].
//! [`enforce`] runs as a `route_layer` of the API router, after routing and
//! before the handler's extractors: it authenticates the caller (401),
//! applies the bank's least privilege ([`crate::auth::BANK_ENDPOINTS`]) and
//! the endpoint's roles (403), and only then lets the handler read the
//! path, the query and the body. So a caller without the role learns
//! nothing from parser errors about what the endpoint expects. The
//! resolved caller travels in the request's extensions to the handler's
//! [`crate::auth::Auth`] extractor (one token lookup per request).
//!
//! An endpoint missing from [`RULES`] answers 500 to everyone (closed by
//! default), and a test checks the table against the OpenAPI document, so
//! a new route cannot forget its rule. The services still check their
//! roles themselves; this is the first gate, not the only one.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use tamga_app::Caller;
use tamga_store::Role;

use crate::error::ApiError;
use crate::AppState;

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Public,
    /// Any authenticated caller (the bank only on its own endpoints); the
    /// service decides what the caller may see.
    Authenticated,
    /// Economic operators (when `operator`) and customs users with one of
    /// `roles`; anyone else gets 403 before the request is read.
    Only {
        operator: bool,
        roles: &'static [Role],
    },
}

impl Access {
    /// Whether `caller` passes this rule.
    pub fn allows(self, caller: &Caller) -> bool {
        match (self, caller) {
            (Access::Public | Access::Authenticated, _) => true,
            (Access::Only { operator, .. }, Caller::Operator(_)) => operator,
            (Access::Only { roles, .. }, Caller::User(u)) => u.active && u.has_any(roles),
        }
    }

    fn describe(self) -> String {
        match self {
            Access::Only { operator, roles } => {
                let mut who: Vec<&str> = Vec::new();
                if operator {
                    who.push("an economic operator");
                }
                who.extend(roles.iter().map(|r| r.as_str()));
                who.join(", ")
            }
            _ => "any caller".into(),
        }
    }
}

/// One endpoint's rule.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub method: &'static str,
    /// The route as registered (`{param}` placeholders).
    pub path: &'static str,
    pub access: Access,
}

use Access::{Authenticated, Public};

const fn only(operator: bool, roles: &'static [Role]) -> Access {
    Access::Only { operator, roles }
}

const OPERATOR: Access = only(true, &[]);
const OFFICER_ADMIN: Access = only(false, &[Role::Officer, Role::Admin]);
/// Who works inspection tasks.
const TASK_WORKERS: Access = only(false, &[Role::Officer, Role::Inspector, Role::Admin]);
/// Who reads a task.
const TASK_READERS: Access = only(
    false,
    &[
        Role::Officer,
        Role::Inspector,
        Role::RiskAnalyst,
        Role::Admin,
    ],
);
const STAFF: Access = only(false, &[Role::Officer, Role::RiskAnalyst, Role::Admin]);
const ANALYST_ADMIN: Access = only(false, &[Role::RiskAnalyst, Role::Admin]);
const ADMIN: Access = only(false, &[Role::Admin]);
const MODEL_READERS: Access = only(false, &[Role::RiskAnalyst, Role::Admin, Role::Manager]);
const BANK: Access = only(false, &[Role::Bank]);
const OPERATOR_OFFICER_ADMIN: Access = only(true, &[Role::Officer, Role::Admin]);
/// Who reads appeals (each only those the service lets it).
const APPEAL_READERS: Access = only(true, &[Role::AppealsOfficer, Role::Officer, Role::Admin]);

const APPEALS_DECIDERS: Access = only(false, &[Role::AppealsOfficer]);
/// Who reads every trader's profile: the customs users
/// `GET /api/v1/traders/{id}/profile` serves (all but the bank; an
/// operator reads only its own there, so not the directory).
const TRADER_READERS: Access = only(
    false,
    &[
        Role::Officer,
        Role::Inspector,
        Role::RiskAnalyst,
        Role::Manager,
        Role::AppealsOfficer,
        Role::Admin,
        Role::Agency,
    ],
);

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

/// Every endpoint of the router and who may call it (the same as the
/// service's own checks, so a caller the service would refuse is refused
/// here, before its request is read).
pub const RULES: &[Rule] = &[
    rule("GET", "/healthz", Public),
    // The portal's public pages and static files (`crate::portal::PAGES`).
    rule("GET", "/", Public),
    rule("GET", "/calculator", Public),
    rule("GET", "/tariff", Public),
    rule("GET", "/hs", Public),
    rule("GET", "/offices", Public),
    rule("GET", "/status", Public),
    rule("GET", "/static/{name}", Public),
    rule("GET", "/login", Public),
    rule("POST", "/login", Public),
    rule("GET", "/login/totp", Authenticated),
    rule("POST", "/login/totp", Authenticated),
    rule("POST", "/logout", Public),
    rule("GET", "/password", Authenticated),
    rule("POST", "/password", Authenticated),
    rule("GET", "/me", Authenticated),
    rule("GET", "/appeals", APPEAL_READERS),
    rule("POST", "/appeals", OPERATOR),
    rule("GET", "/appeals/new", OPERATOR),
    rule("POST", "/appeals/new", OPERATOR),
    rule("GET", "/appeals/{id}", APPEAL_READERS),
    rule("POST", "/appeals/{id}/decision/prepare", APPEALS_DECIDERS),
    rule("POST", "/appeals/{id}/decision", APPEALS_DECIDERS),
    // The officer's pages (`crate::portal::officer`): the roles of the
    // workbench and officer-act endpoints they mirror.
    rule("GET", "/officer", TASK_WORKERS),
    rule("GET", "/officer/declarations/{mrn}", TASK_WORKERS),
    rule("POST", "/officer/declarations/{mrn}/control", OFFICER_ADMIN),
    rule("POST", "/officer/declarations/{mrn}/release", OFFICER_ADMIN),
    rule("POST", "/officer/declarations/{mrn}/refusal", OFFICER_ADMIN),
    rule(
        "POST",
        "/officer/declarations/{mrn}/task-result",
        TASK_WORKERS,
    ),
    // The administrator's pages: the roles of their API twins
    // (`/api/v1/admin/…`); the office scope is the service's.
    rule("GET", "/admin", ADMIN),
    rule("GET", "/admin/operators", ADMIN),
    rule("GET", "/admin/operators/{eori}", ADMIN),
    rule("POST", "/admin/operators/{eori}/decision", ADMIN),
    rule("POST", "/admin/operators/{eori}/keys", ADMIN),
    rule("GET", "/admin/users", ADMIN),
    rule("POST", "/admin/users", ADMIN),
    rule("GET", "/admin/users/new", ADMIN),
    rule("GET", "/admin/users/{username}", ADMIN),
    rule("POST", "/admin/users/{username}", ADMIN),
    rule("POST", "/admin/users/{username}/keys", ADMIN),
    rule("GET", "/admin/audit", ADMIN),
    rule("GET", "/admin/offices", ADMIN),
    rule("GET", "/admin/offices/{code}", ADMIN),
    // The manager's dashboards (no API twin: managers and administrators).
    rule(
        "GET",
        "/manager",
        only(false, &[Role::Manager, Role::Admin]),
    ),
    // The risk analyst's pages: the roles of `/api/v1/risk/profiles…`.
    rule("GET", "/analyst", ANALYST_ADMIN),
    rule("GET", "/analyst/profiles/{id}", ANALYST_ADMIN),
    rule("POST", "/analyst/profiles/{id}", ANALYST_ADMIN),
    rule("POST", "/analyst/profiles/{id}/activation", ANALYST_ADMIN),
    rule("POST", "/analyst/profiles/{id}/retirement", ANALYST_ADMIN),
    // The traders' digital twin: the roles of `/api/v1/traders/{id}/profile`.
    rule("GET", "/analyst/traders", TRADER_READERS),
    rule("GET", "/analyst/traders/{eori}", TRADER_READERS),
    rule("POST", "/analyst/traders/{eori}/aeo", ADMIN),
    // The learning model's page: the roles of `/api/v1/risk/models…`.
    rule("GET", "/analyst/models", MODEL_READERS),
    rule("POST", "/analyst/models", ANALYST_ADMIN),
    rule(
        "POST",
        "/analyst/models/{version}/validation",
        ANALYST_ADMIN,
    ),
    rule(
        "POST",
        "/analyst/models/{version}/activation",
        ANALYST_ADMIN,
    ),
    rule("POST", "/analyst/models/rollback", ANALYST_ADMIN),
    rule("POST", "/analyst/models/deactivation", ANALYST_ADMIN),
    rule("POST", "/analyst/models/schedule", ANALYST_ADMIN),
    // The trader's and broker's pages mirror the operator endpoints.
    rule("GET", "/trader", OPERATOR),
    rule("GET", "/trader/declarations", OPERATOR),
    rule("POST", "/trader/declarations", OPERATOR),
    rule("GET", "/trader/declarations/new", OPERATOR),
    rule("POST", "/trader/declarations/new", OPERATOR),
    rule("POST", "/trader/declarations/upload", OPERATOR),
    rule("GET", "/trader/declarations/{mrn}", OPERATOR),
    rule("GET", "/trader/declarations/{mrn}/amend", OPERATOR),
    rule("POST", "/trader/declarations/{mrn}/amend", OPERATOR),
    rule("POST", "/trader/declarations/{mrn}/amendments", OPERATOR),
    rule("GET", "/trader/declarations/{mrn}/invalidate", OPERATOR),
    rule("POST", "/trader/declarations/{mrn}/invalidate", OPERATOR),
    rule("POST", "/trader/declarations/{mrn}/invalidation", OPERATOR),
    // Drafts: the party's own only (tamga_app::drafts scopes them).
    rule("GET", "/trader/drafts", OPERATOR),
    rule("GET", "/trader/drafts/{id}", OPERATOR),
    rule("POST", "/trader/drafts/{id}", OPERATOR),
    rule("POST", "/trader/drafts/{id}/deletion", OPERATOR),
    // The account area (`portal::account`), each as its API twin.
    rule("GET", "/register", Public),
    rule("POST", "/register", Public),
    rule("GET", "/register/done", Public),
    rule("GET", "/me/keys", Authenticated),
    rule("POST", "/me/keys", OPERATOR_OFFICER_ADMIN),
    rule("POST", "/me/keys/{keyId}/revocation", Authenticated),
    rule("GET", "/me/tokens", Authenticated),
    rule("POST", "/me/tokens", Authenticated),
    rule("POST", "/me/tokens/{id}/revocation", Authenticated),
    rule("GET", "/trader/account", OPERATOR),
    rule("GET", "/trader/account/statement", OPERATOR),
    rule("GET", "/trader/account/statement.csv", OPERATOR),
    rule("GET", "/trader/account/qr.svg", OPERATOR),
    rule("GET", "/trader/webhook", OPERATOR),
    rule("POST", "/trader/webhook", OPERATOR),
    // The trader dashboard's "mark as read" (the portal's own marker).
    rule("POST", "/trader/notifications/read", OPERATOR),
    rule("GET", "/api/v1/openapi.json", Public),
    rule("GET", "/api/v1/control/rules", Public),
    rule("GET", "/api/v1/risk/schema", Public),
    rule("GET", "/api/v1/tariff", Public),
    rule("POST", "/api/v1/tariff/calculator", Public),
    // Classification help is public; bounded per address (`guard::hs_rate_limit`).
    rule("GET", "/api/v1/hs/suggestions", Public),
    // Reference value ranges are public, only from samples of several
    // declarants; bounded per address (`guard::values_rate_limit`).
    rule("GET", "/api/v1/values/reference", Public),
    // Declarations.
    rule("POST", "/api/v1/declarations", OPERATOR),
    rule("GET", "/api/v1/declarations", Authenticated),
    rule("GET", "/api/v1/declarations/{mrn}", Authenticated),
    rule("GET", "/api/v1/declarations/{mrn}/events", Authenticated),
    rule(
        "GET",
        "/api/v1/declarations/{mrn}/signatures",
        Authenticated,
    ),
    rule("POST", "/api/v1/declarations/{mrn}/amendments", OPERATOR),
    rule("POST", "/api/v1/declarations/{mrn}/invalidation", OPERATOR),
    rule(
        "POST",
        "/api/v1/declarations/{mrn}/control-result",
        OFFICER_ADMIN,
    ),
    rule("POST", "/api/v1/declarations/{mrn}/release", OFFICER_ADMIN),
    rule("POST", "/api/v1/declarations/{mrn}/refusal", OFFICER_ADMIN),
    rule("GET", "/api/v1/declarations/{mrn}/draw", ANALYST_ADMIN),
    rule("GET", "/api/v1/offices/{office}/queue", STAFF),
    // The caller's account.
    rule("GET", "/api/v1/account", Authenticated),
    rule("GET", "/api/v1/notifications", OPERATOR),
    rule("PUT", "/api/v1/account/webhook", OPERATOR),
    rule(
        "POST",
        "/api/v1/account/signing-keys",
        OPERATOR_OFFICER_ADMIN,
    ),
    rule("GET", "/api/v1/account/signing-keys", Authenticated),
    rule("POST", "/api/v1/admin/operators/{eori}/signing-keys", ADMIN),
    rule("POST", "/api/v1/admin/users/{username}/signing-keys", ADMIN),
    rule(
        "DELETE",
        "/api/v1/account/signing-keys/{keyId}",
        Authenticated,
    ),
    rule("DELETE", "/api/v1/admin/signing-keys/{keyId}", ADMIN),
    // API tokens: one's own; administrators anyone's.
    rule("GET", "/api/v1/account/tokens", Authenticated),
    rule("POST", "/api/v1/account/tokens", Authenticated),
    rule("DELETE", "/api/v1/account/tokens/{id}", Authenticated),
    rule("GET", "/api/v1/admin/tokens", ADMIN),
    rule("POST", "/api/v1/admin/tokens", ADMIN),
    rule("DELETE", "/api/v1/admin/tokens/{id}", ADMIN),
    rule("GET", "/api/v1/account/ledger", OPERATOR),
    rule("GET", "/api/v1/account/ledger/statement", OPERATOR),
    rule("POST", "/api/v1/account/ledger/refunds", OPERATOR),
    rule("GET", "/api/v1/account/ledger/refunds", OPERATOR),
    rule("POST", "/api/v1/account/mandates", OPERATOR),
    rule("GET", "/api/v1/account/mandates", OPERATOR_OFFICER_ADMIN),
    rule(
        "GET",
        "/api/v1/account/mandates/{id}",
        OPERATOR_OFFICER_ADMIN,
    ),
    rule("POST", "/api/v1/account/mandates/{id}/revocation", OPERATOR),
    // Appeals (issue 16): operators lodge and read their own; officers
    // read their offices'; appeals officers (only they decide) and
    // administrators read all (`tamga_app::appeals`).
    rule("POST", "/api/v1/appeals", OPERATOR),
    rule("GET", "/api/v1/appeals", APPEAL_READERS),
    rule("GET", "/api/v1/appeals/{id}", APPEAL_READERS),
    rule(
        "GET",
        "/api/v1/appeals/{id}/attachments/{n}",
        APPEAL_READERS,
    ),
    rule(
        "POST",
        "/api/v1/appeals/{id}/decision",
        only(false, &[Role::AppealsOfficer]),
    ),
    // Payments and tariff.
    rule("POST", "/api/v1/refunds/{id}/decision", OFFICER_ADMIN),
    rule("POST", "/api/v1/bank/deposits", BANK),
    rule("POST", "/api/v1/operators/{id}/guarantee", ADMIN),
    rule("PUT", "/api/v1/tariff", ADMIN),
    // Selectivity and risk.
    rule("GET", "/api/v1/selectivity/criteria", STAFF),
    rule("PUT", "/api/v1/selectivity/criteria/{id}", STAFF),
    rule("GET", "/api/v1/selectivity/random", STAFF),
    rule("PUT", "/api/v1/selectivity/random", STAFF),
    rule("POST", "/api/v1/risk/profiles", ANALYST_ADMIN),
    rule("GET", "/api/v1/risk/profiles", ANALYST_ADMIN),
    rule("GET", "/api/v1/risk/profiles/{id}", ANALYST_ADMIN),
    rule("POST", "/api/v1/risk/profiles/{id}/versions", ANALYST_ADMIN),
    rule(
        "POST",
        "/api/v1/risk/profiles/{id}/activation",
        ANALYST_ADMIN,
    ),
    rule(
        "POST",
        "/api/v1/risk/profiles/{id}/retirement",
        ANALYST_ADMIN,
    ),
    rule("POST", "/api/v1/risk/profile-tests", ANALYST_ADMIN),
    rule("GET", "/api/v1/risk/channel-policy", ANALYST_ADMIN),
    rule("PUT", "/api/v1/risk/channel-policy", ANALYST_ADMIN),
    rule("GET", "/api/v1/risk/analytics", ANALYST_ADMIN),
    // The learning model's registry (issue 17): analysts and
    // administrators change it, managers read it; nobody else learns
    // what the model weighs.
    rule("GET", "/api/v1/risk/models", MODEL_READERS),
    rule("POST", "/api/v1/risk/models", ANALYST_ADMIN),
    rule("POST", "/api/v1/risk/models/upload", ANALYST_ADMIN),
    rule("POST", "/api/v1/risk/models/rollback", ANALYST_ADMIN),
    rule("POST", "/api/v1/risk/models/deactivation", ANALYST_ADMIN),
    rule("GET", "/api/v1/risk/models/drift", MODEL_READERS),
    rule("GET", "/api/v1/risk/models/{version}", MODEL_READERS),
    rule("GET", "/api/v1/risk/models/{version}/file", ANALYST_ADMIN),
    rule(
        "POST",
        "/api/v1/risk/models/{version}/validation",
        ANALYST_ADMIN,
    ),
    rule(
        "POST",
        "/api/v1/risk/models/{version}/activation",
        ANALYST_ADMIN,
    ),
    rule("GET", "/api/v1/risk/model-schedule", MODEL_READERS),
    rule("PUT", "/api/v1/risk/model-schedule", ANALYST_ADMIN),
    rule("GET", "/api/v1/risk/draw-secrets", STAFF),
    rule("POST", "/api/v1/risk/draw-secrets/rotation", ANALYST_ADMIN),
    rule("POST", "/api/v1/prearrival", OPERATOR),
    rule("GET", "/api/v1/offices/{office}/prearrival", STAFF),
    // Workbench and trader categories.
    rule("GET", "/api/v1/traders/{id}/profile", Authenticated),
    rule("PUT", "/api/v1/traders/{id}/aeo", ADMIN),
    rule("GET", "/api/v1/inspectors", STAFF),
    rule("PUT", "/api/v1/inspectors/{username}", ADMIN),
    rule("GET", "/api/v1/workbench/tasks", TASK_WORKERS),
    rule("GET", "/api/v1/offices/{office}/tasks", TASK_READERS),
    rule("GET", "/api/v1/workbench/tasks/{mrn}", TASK_READERS),
    rule("POST", "/api/v1/workbench/tasks/{mrn}/result", TASK_WORKERS),
    rule(
        "POST",
        "/api/v1/workbench/tasks/{mrn}/reassignment",
        OFFICER_ADMIN,
    ),
    rule("GET", "/api/v1/analytics/labels", ANALYST_ADMIN),
    // People and parties (issue 15): registering is public; the office
    // administrator's scope is the service's (`identity::people`).
    rule("POST", "/api/v1/registrations", Public),
    rule("GET", "/api/v1/offices", Public),
    rule("GET", "/api/v1/admin/operators", ADMIN),
    rule("GET", "/api/v1/admin/operators/{eori}", ADMIN),
    rule("POST", "/api/v1/admin/operators/{eori}/decision", ADMIN),
    rule("POST", "/api/v1/admin/users", ADMIN),
    rule("GET", "/api/v1/admin/users", ADMIN),
    rule("GET", "/api/v1/admin/users/{username}", ADMIN),
    rule("PATCH", "/api/v1/admin/users/{username}", ADMIN),
    rule("GET", "/api/v1/admin/offices/{office}/staff", ADMIN),
    rule("GET", "/api/v1/admin/audit", ADMIN),
    // Logins and sessions (the session routes read the cookie themselves).
    rule("POST", "/api/v1/auth/login", Public),
    rule("POST", "/api/v1/auth/totp", Public),
    rule("POST", "/api/v1/auth/logout", Public),
    rule("GET", "/api/v1/auth/session", Public),
    rule("POST", "/api/v1/account/password", Authenticated),
    rule("POST", "/api/v1/account/totp", Authenticated),
    rule("POST", "/api/v1/account/totp/confirm", Authenticated),
    rule(
        "POST",
        "/api/v1/admin/users/{username}/password-reset",
        ADMIN,
    ),
    rule("DELETE", "/api/v1/admin/users/{username}/totp", ADMIN),
];

/// The rule of `method` on `route` (`HEAD` follows `GET`).
pub fn rule_of(method: &Method, route: &str) -> Option<&'static Rule> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES.iter().find(|r| r.method == method && r.path == route)
}

/// The start of the message of a refusal by this layer.
pub const REFUSAL: &str = "this endpoint is for";

/// A caller authenticated by [`enforce`], for the handler's extractors.
#[derive(Clone, Debug)]
pub struct Authorised(pub Caller);

/// The access check of every routed API request (see the module doc).
pub async fn enforce(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let Some(rule) = route.as_deref().and_then(|r| rule_of(req.method(), r)) else {
        tracing::error!(method = %req.method(), route = ?route, "endpoint without an access rule");
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error",
        )
        .into_response();
    };
    if rule.access == Access::Public {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // A page's form carries its CSRF token in the body.
    let body = match crate::portal::csrf::lift(&mut parts, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (caller, credential) = match crate::auth::authenticate_with(&parts, &s).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if !rule.access.allows(&caller) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("{REFUSAL} {}", rule.access.describe()),
        )
        .into_response();
    }
    parts.extensions.insert(Authorised(caller));
    parts.extensions.insert(credential);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Endpoints served but not described in the OpenAPI document.
    const UNDOCUMENTED: &[(&str, &str)] = &[("GET", "/api/v1/openapi.json")];

    #[test]
    fn every_documented_endpoint_has_exactly_one_rule() {
        let doc = crate::openapi_doc();
        let mut documented = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let item = serde_json::to_value(item).unwrap();
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    documented.insert((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        let mut ruled = BTreeSet::new();
        for r in RULES {
            assert!(
                ruled.insert((r.method.to_owned(), r.path.to_owned())),
                "two rules for {} {}",
                r.method,
                r.path
            );
        }
        for (m, p) in UNDOCUMENTED {
            assert!(ruled.remove(&(m.to_string(), p.to_string())));
        }
        // The portal's pages are not API endpoints.
        for (m, p) in crate::portal::PAGES {
            assert!(ruled.remove(&(m.to_string(), p.to_string())), "{m} {p}");
            assert!(!documented.iter().any(|(_, d)| d == p), "{p} is documented");
        }
        let missing: Vec<_> = documented.difference(&ruled).collect();
        assert!(missing.is_empty(), "endpoints without a rule: {missing:?}");
        let extra: Vec<_> = ruled.difference(&documented).collect();
        assert!(
            extra.is_empty(),
            "rules of no documented endpoint: {extra:?}"
        );
    }

    #[test]
    fn the_bank_endpoints_are_open_to_the_bank() {
        let bank = Caller::User(tamga_store::User::staff(
            "bank",
            "bank",
            Role::Bank,
            vec![],
            time::OffsetDateTime::UNIX_EPOCH,
        ));
        for (m, p) in crate::auth::BANK_ENDPOINTS {
            let r = rule_of(&m.parse().unwrap(), p).unwrap();
            assert!(r.access.allows(&bank), "{m} {p}");
        }
        assert!(rule_of(&Method::HEAD, "/api/v1/account").is_some());
        assert!(rule_of(&Method::DELETE, "/api/v1/account").is_none());
    }
}
