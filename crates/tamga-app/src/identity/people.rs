//! People and parties (issue 15): operators register online and wait for
//! an administrator's decision; administrators create customs staff, give
//! roles and offices, and read the audit log.
//!
//! Rules (each checked here, whatever the HTTP layer checked before):
//! - Only an active administrator decides registrations, creates users,
//!   changes them, lists them and reads the audit log.
//! - A **central** administrator (no offices) acts on every user. An
//!   **office** administrator (with offices) acts only on users who have
//!   at least one office, all of them among its own, may only give offices
//!   among its own, and may not give the administrator role.
//! - Nobody changes their own roles, offices or activity (no
//!   self-elevation), nor decides the registration of an operator they
//!   belong to.
//! - Operator-side roles (trader, broker, carrier) only with an operator;
//!   customs roles (officer, inspector, risk analyst, manager, appeals
//!   officer, administrator) only without one; bank and agency either.
//! - Officers and inspectors need an office.
//! - Every act is in the audit log with its actor, in the same transaction.
//!
//! An operator registered online is `pending` and its first user inactive
//! until an administrator approves it (see `tamga_store::people_sql`).
//! Approval opens its ledger account (the single personal account, as the
//! demo traders have) and notifies it (`operator_approved`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, OfficeCode};
use tamga_core::ledger::AccountKind;
use tamga_core::lifecycle::{NewNotification, NotificationKind};
use tamga_store::{
    AuditEntry, AuditQuery, Decided, NewUser, OperatorKind, OperatorRecord, OperatorStatus, Role,
    Store, StoreError, User, UserChange, UserQuery, UserRecord,
};

use crate::account::LedgerCurrency;
use crate::error::AppError;
use crate::identity::password;
use crate::identity::registration::{email, text, Registration, RegistrationForm, Username};
use crate::Caller;

/// Most audit entries one page returns.
pub const AUDIT_PAGE_MAX: u32 = 500;

fn forbidden(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Denied {
        code,
        message: message.into(),
    }
}

fn conflict(code: &'static str, pointer: &str, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// The administrator behind the call (active, with the admin role).
pub fn admin(caller: &Caller) -> Result<&User, AppError> {
    caller.require(&[Role::Admin])
}

/// Whether administrator `admin` may act on a user with `offices`.
pub fn in_scope(admin: &User, offices: &[OfficeCode]) -> bool {
    admin.offices.is_empty()
        || (!offices.is_empty() && offices.iter().all(|o| admin.offices.contains(o)))
}

fn scope(admin: &User, target: &User) -> Result<(), AppError> {
    if in_scope(admin, &target.offices) {
        Ok(())
    } else {
        // The same answer as for a user that does not exist: an office
        // administrator learns nothing of other offices' staff.
        Err(AppError::not_found(format!("user {}", target.username)))
    }
}

/// Checks roles, operator and offices of a user as they would be.
fn check_shape(
    admin: &User,
    roles: &[Role],
    operator: Option<&Eori>,
    offices: &[OfficeCode],
) -> Result<(), AppError> {
    if roles.is_empty() {
        return Err(AppError::bad_request(
            "ROLES_EMPTY",
            "/roles",
            "a user needs at least one role",
        ));
    }
    for (i, r) in roles.iter().enumerate() {
        let pointer = format!("/roles/{i}");
        if r.is_operator_side() && operator.is_none() {
            return Err(AppError::bad_request(
                "ROLE_NEEDS_OPERATOR",
                pointer,
                format!(
                    "the {} role is an operator's: give the user's operator",
                    r.as_str()
                ),
            ));
        }
        let customs = matches!(
            r,
            Role::Officer
                | Role::Inspector
                | Role::RiskAnalyst
                | Role::Manager
                | Role::AppealsOfficer
                | Role::Admin
        );
        if customs && operator.is_some() {
            return Err(AppError::bad_request(
                "ROLE_CUSTOMS_ONLY",
                pointer,
                format!(
                    "the {} role is for customs staff, not an operator's user",
                    r.as_str()
                ),
            ));
        }
        if *r == Role::Admin && !admin.offices.is_empty() {
            return Err(forbidden(
                "ADMIN_GRANT_FORBIDDEN",
                "an office administrator may not give the administrator role",
            ));
        }
    }
    if roles
        .iter()
        .any(|r| matches!(r, Role::Officer | Role::Inspector))
        && offices.is_empty()
    {
        return Err(AppError::bad_request(
            "OFFICES_REQUIRED",
            "/offices",
            "officers and inspectors belong to at least one office",
        ));
    }
    if operator.is_some() && !offices.is_empty() {
        return Err(AppError::bad_request(
            "OFFICES_OPERATOR",
            "/offices",
            "an operator's user has no customs office",
        ));
    }
    if !admin.offices.is_empty() {
        if offices.is_empty() {
            return Err(forbidden(
                "OFFICE_SCOPE",
                "an office administrator only manages users of its offices: give one",
            ));
        }
        if let Some(o) = offices.iter().find(|o| !admin.offices.contains(o)) {
            return Err(forbidden(
                "OFFICE_SCOPE",
                format!("office {o} is not one of the administrator's offices"),
            ));
        }
    }
    Ok(())
}

fn roles_of(roles: &[Role]) -> Vec<Role> {
    let mut r = roles.to_vec();
    r.sort();
    r.dedup();
    r
}

/// Office codes, each parsed and known to the reference data.
async fn offices_of(
    store: &dyn Store,
    codes: &[String],
    pointer: &str,
) -> Result<Vec<OfficeCode>, AppError> {
    let known = offices(store).await?;
    let mut out: Vec<OfficeCode> = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        let p = format!("{pointer}/{i}");
        let o = OfficeCode::parse(c.trim())
            .map_err(|e| AppError::bad_request(e.code, &p, e.message))?;
        if !known.iter().any(|k| k.code == o.as_str()) {
            return Err(AppError::bad_request(
                "OFFICE_UNKNOWN",
                p,
                format!("no customs office {o}"),
            ));
        }
        if !out.contains(&o) {
            out.push(o);
        }
    }
    Ok(out)
}

// --- registration ----------------------------------------------------------

/// What a registration answers: the operator, pending, and its first user.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub eori: String,
    pub status: OperatorStatus,
    pub username: String,
}

/// Registers an operator online (no token): parsed field by field, the
/// password hashed (argon2id, on a blocking thread), stored pending with
/// an inactive first user and the audit entry. 409 `OPERATOR_EXISTS` at
/// `/eori`, `USERNAME_TAKEN` at `/user/username`.
pub async fn register(store: &dyn Store, form: RegistrationForm) -> Result<Registered, AppError> {
    let r = Registration::parse(form)?;
    let role = r.kind.first_role().expect("parsed kinds register online");
    let pw = r.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| AppError::Unavailable(format!("hashing: {e}")))?;
    let now = OffsetDateTime::now_utc();
    let op = OperatorRecord {
        id: r.eori.clone(),
        name: r.legal_name.clone(),
        kind: r.kind,
        status: OperatorStatus::Pending,
        details: serde_json::json!({
            "address": r.address,
            "contact": r.contact,
            "representative": r.representative,
        }),
        created_at: now,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
    };
    let first = NewUser {
        user: User {
            username: r.username.as_str().to_owned(),
            name: r.user_name.clone(),
            roles: vec![role],
            operator: Some(r.eori.clone()),
            offices: vec![],
            active: false,
            created_at: now,
        },
        email: r
            .user_email
            .clone()
            .or_else(|| Some(r.contact.email.clone())),
        password_hash: Some(hash),
        must_change_password: false,
        totp_required: false,
    };
    match store.register_operator(&op, &first).await {
        Ok(()) => Ok(Registered {
            eori: r.eori.to_string(),
            status: OperatorStatus::Pending,
            username: first.user.username,
        }),
        Err(StoreError::AlreadyExists(w)) if w.starts_with("operator") => Err(conflict(
            "OPERATOR_EXISTS",
            "/eori",
            format!("operator {} is already registered", r.eori),
        )),
        Err(StoreError::AlreadyExists(_)) => Err(conflict(
            "USERNAME_TAKEN",
            "/user/username",
            "this user name is taken: choose another",
        )),
        Err(e) => Err(e.into()),
    }
}

/// An administrator's decision on a registration.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionForm {
    /// `approve` or `refuse`.
    #[cfg_attr(feature = "openapi", schema(example = "approve"))]
    pub decision: String,
    /// Why (required to refuse; at most 1,000 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Approves or refuses a pending registration. Refusing needs a reason
/// (400 `REASON_REQUIRED`); a decided one is 409 `ALREADY_DECIDED`; an
/// administrator of the operator itself is refused (403
/// `OWN_OPERATOR`).
pub async fn decide(
    store: &dyn Store,
    caller: &Caller,
    id: &Eori,
    form: DecisionForm,
) -> Result<OperatorRecord, AppError> {
    let me = admin(caller)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(AppError::bad_request(
                "DECISION_FORMAT",
                "/decision",
                "the decision is approve or refuse",
            ))
        }
    };
    let reason = form
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| text(r, 1000, "/reason"))
        .transpose()?;
    if !approve && reason.is_none() {
        return Err(AppError::bad_request(
            "REASON_REQUIRED",
            "/reason",
            "a refusal gives its reason",
        ));
    }
    if me.operator.as_ref() == Some(id) {
        return Err(forbidden(
            "OWN_OPERATOR",
            "nobody decides the registration of their own operator",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let by = caller.label();
    let notification = approve.then(|| NewNotification {
        recipient: id.clone(),
        kind: NotificationKind::OperatorApproved,
        mrn: None,
        lrn: None,
        at: now,
        payload: serde_json::json!({"approvedBy": by, "reason": reason}),
    });
    match store
        .decide_operator(
            id,
            approve,
            reason.as_deref(),
            &by,
            now,
            notification.as_ref(),
        )
        .await?
    {
        Decided::Done(op) => {
            if approve && op.kind.first_role().is_some() {
                store
                    .ensure_ledger_account(id, AccountKind::Cash, &LedgerCurrency::uzs().code, now)
                    .await?;
            }
            Ok(op)
        }
        Decided::NotFound => Err(AppError::not_found(format!("operator {id}"))),
        Decided::AlreadyDecided(op) => Err(conflict(
            "ALREADY_DECIDED",
            "/decision",
            format!("operator {id} is already {}", op.status.as_str()),
        )),
    }
}

/// Operators, oldest first, by status and kind (administrators).
pub async fn operators(
    store: &dyn Store,
    caller: &Caller,
    status: Option<&str>,
    kind: Option<&str>,
) -> Result<Vec<OperatorRecord>, AppError> {
    admin(caller)?;
    let status = status
        .map(|s| {
            OperatorStatus::parse(s).ok_or_else(|| {
                AppError::bad_request(
                    "QUERY_PARAMETERS",
                    "/status",
                    "pending, approved or refused",
                )
            })
        })
        .transpose()?;
    let kind = kind
        .map(|k| {
            OperatorKind::parse(k).ok_or_else(|| {
                AppError::bad_request(
                    "QUERY_PARAMETERS",
                    "/kind",
                    "trader, broker, carrier, agency or bank",
                )
            })
        })
        .transpose()?;
    Ok(store.operator_records(status, kind).await?)
}

pub async fn operator(
    store: &dyn Store,
    caller: &Caller,
    id: &Eori,
) -> Result<OperatorRecord, AppError> {
    admin(caller)?;
    store
        .operator_record(id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("operator {id}")))
}

// --- users -----------------------------------------------------------------

/// A new user, as an administrator sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserForm {
    #[cfg_attr(feature = "openapi", schema(example = "inspector2"))]
    pub username: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Customs offices (staff); none for an operator's user.
    #[serde(default)]
    pub offices: Vec<String>,
    /// The operator (EORI) of an operator's user.
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the user must set up a second factor (TOTP).
    #[serde(default)]
    pub totp_required: bool,
}

/// A created user and its one-time initial password (shown once; the
/// user must change it at first login).
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user: UserRecord,
    pub initial_password: String,
}

/// Creates a user (administrators, within their scope) with a generated
/// initial password it must change.
pub async fn create_user(
    store: &dyn Store,
    caller: &Caller,
    form: NewUserForm,
) -> Result<CreatedUser, AppError> {
    let me = admin(caller)?;
    let username = Username::parse(form.username.trim(), "/username")?;
    let name = text(&form.name, 200, "/name")?;
    let roles = roles_of(&form.roles);
    let operator = match form.operator.as_deref() {
        Some(o) => {
            let id = Eori::parse(o.trim())
                .map_err(|e| AppError::bad_request(e.code, "/operator", e.message))?;
            match store.operator_record(&id).await? {
                None => {
                    return Err(AppError::bad_request(
                        "OPERATOR_UNKNOWN",
                        "/operator",
                        format!("no operator {id}"),
                    ))
                }
                Some(op) if op.status != OperatorStatus::Approved => {
                    return Err(conflict(
                        "OPERATOR_NOT_APPROVED",
                        "/operator",
                        format!("operator {id} is {}", op.status.as_str()),
                    ))
                }
                Some(_) => Some(id),
            }
        }
        None => None,
    };
    let offices = offices_of(store, &form.offices, "/offices").await?;
    check_shape(me, &roles, operator.as_ref(), &offices)?;
    let email = form
        .email
        .as_deref()
        .map(|e| email(e, "/email"))
        .transpose()?;
    let initial_password = password::generate();
    let pw = initial_password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| AppError::Unavailable(format!("hashing: {e}")))?;
    let now = OffsetDateTime::now_utc();
    let new = NewUser {
        user: User {
            username: username.as_str().to_owned(),
            name,
            roles,
            operator,
            offices,
            active: true,
            created_at: now,
        },
        email,
        password_hash: Some(hash),
        must_change_password: true,
        totp_required: form.totp_required,
    };
    match store.create_person(&new, &caller.label(), now).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists(_)) => {
            return Err(conflict(
                "USERNAME_TAKEN",
                "/username",
                "this user name is taken",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let user = store
        .person(username.as_str())
        .await?
        .ok_or_else(|| AppError::not_found(format!("user {}", username.as_str())))?;
    Ok(CreatedUser {
        user,
        initial_password,
    })
}

/// Users by name, filtered (administrators; an office administrator sees
/// only users within its offices).
pub async fn users(
    store: &dyn Store,
    caller: &Caller,
    role: Option<&str>,
    office: Option<&str>,
    operator: Option<&str>,
) -> Result<Vec<UserRecord>, AppError> {
    let me = admin(caller)?;
    let q = UserQuery {
        role: role
            .map(|r| {
                Role::parse(r).ok_or_else(|| {
                    AppError::bad_request("QUERY_PARAMETERS", "/role", "no such role")
                })
            })
            .transpose()?,
        office: office
            .map(|o| {
                OfficeCode::parse(o)
                    .map_err(|e| AppError::bad_request(e.code, "/office", e.message))
            })
            .transpose()?,
        operator: operator
            .map(|o| {
                Eori::parse(o).map_err(|e| AppError::bad_request(e.code, "/operator", e.message))
            })
            .transpose()?,
    };
    Ok(store
        .people(&q)
        .await?
        .into_iter()
        .filter(|u| in_scope(me, &u.user.offices))
        .collect())
}

pub async fn user(
    store: &dyn Store,
    caller: &Caller,
    username: &str,
) -> Result<UserRecord, AppError> {
    let me = admin(caller)?;
    let u = store
        .person(username)
        .await?
        .ok_or_else(|| AppError::not_found(format!("user {username}")))?;
    scope(me, &u.user)?;
    Ok(u)
}

/// A change of a user, as an administrator sends it (what is given is set).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
    #[serde(default)]
    pub offices: Option<Vec<String>>,
    #[serde(default)]
    pub active: Option<bool>,
    /// An e-mail address, or `""` to remove it.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub totp_required: Option<bool>,
}

/// Changes a user (administrators, within their scope; never oneself's
/// roles, offices or activity: 403 `SELF_CHANGE`).
pub async fn update_user(
    store: &dyn Store,
    caller: &Caller,
    username: &str,
    patch: UserPatch,
) -> Result<UserRecord, AppError> {
    let me = admin(caller)?;
    let target = store
        .person(username)
        .await?
        .ok_or_else(|| AppError::not_found(format!("user {username}")))?;
    scope(me, &target.user)?;
    if me.username == target.user.username
        && (patch.roles.is_some() || patch.offices.is_some() || patch.active.is_some())
    {
        return Err(forbidden(
            "SELF_CHANGE",
            "nobody changes their own roles, offices or activity: ask another administrator",
        ));
    }
    let offices = match &patch.offices {
        Some(o) => Some(offices_of(store, o, "/offices").await?),
        None => None,
    };
    let roles = patch.roles.as_deref().map(roles_of);
    // The user as it would be must be one this administrator may make.
    check_shape(
        me,
        roles.as_deref().unwrap_or(&target.user.roles),
        target.user.operator.as_ref(),
        offices.as_deref().unwrap_or(&target.user.offices),
    )?;
    let email = match patch.email.as_deref() {
        None => None,
        Some(e) if e.trim().is_empty() => Some(None),
        Some(e) => Some(Some(email(e, "/email")?)),
    };
    let change = UserChange {
        roles,
        offices,
        active: patch.active,
        email,
        totp_required: patch.totp_required,
    };
    if change.is_empty() {
        return Err(AppError::bad_request(
            "CHANGE_EMPTY",
            "",
            "nothing to change",
        ));
    }
    store
        .update_person(
            username,
            &change,
            &caller.label(),
            OffsetDateTime::now_utc(),
        )
        .await?
        .ok_or_else(|| AppError::not_found(format!("user {username}")))
}

/// The staff of an office (administrators of it, and central ones).
pub async fn office_staff(
    store: &dyn Store,
    caller: &Caller,
    office: &OfficeCode,
) -> Result<Vec<UserRecord>, AppError> {
    let me = admin(caller)?;
    if !me.offices.is_empty() && !me.offices.contains(office) {
        return Err(forbidden(
            "OFFICE_SCOPE",
            format!("office {office} is not one of the administrator's offices"),
        ));
    }
    Ok(store.office_staff(office).await?)
}

/// An office of the register with its staff counted.
#[derive(Debug, Clone)]
pub struct OfficeStaffing {
    pub office: tamga_core::reference::Office,
    /// Users of the office, and those of them active.
    pub users: u64,
    pub active: u64,
}

/// The offices an administrator administers (a central one: all; an
/// office administrator: its own), each with its staff counted in SQL.
pub async fn office_staffing(
    store: &dyn Store,
    caller: &Caller,
) -> Result<Vec<OfficeStaffing>, AppError> {
    let me = admin(caller)?;
    let counts = store.office_staff_counts().await?;
    Ok(offices(store)
        .await?
        .iter()
        .filter(|o| me.offices.is_empty() || me.offices.iter().any(|m| m.as_str() == o.code))
        .map(|o| {
            let c = counts.iter().find(|c| c.office == o.code);
            OfficeStaffing {
                office: o.clone(),
                users: c.map_or(0, |c| c.users),
                active: c.map_or(0, |c| c.active),
            }
        })
        .collect())
}

/// A page of the audit log (administrators), oldest first after `after`.
pub async fn audit(
    store: &dyn Store,
    caller: &Caller,
    after: i64,
    limit: u32,
    actor: Option<String>,
    action: Option<String>,
) -> Result<Vec<AuditEntry>, AppError> {
    admin(caller)?;
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        return Err(AppError::bad_request(
            "QUERY_PARAMETERS",
            "/limit",
            format!("limit is 1 to {AUDIT_PAGE_MAX}"),
        ));
    }
    Ok(store
        .audit_entries(&AuditQuery {
            after: after.max(0),
            limit,
            actor,
            action,
        })
        .await?)
}

// --- offices ---------------------------------------------------------------

/// The customs offices of the reference data (read from the database once
/// per process; the reference data is loaded at start).
pub async fn offices(
    store: &dyn Store,
) -> Result<&'static [tamga_core::reference::Office], AppError> {
    static OFFICES: tokio::sync::OnceCell<Vec<tamga_core::reference::Office>> =
        tokio::sync::OnceCell::const_new();
    let o = OFFICES
        .get_or_try_init(|| async { store.reference().await.map(|b| b.offices) })
        .await?;
    Ok(o.as_slice())
}
