//! The officer workbench and the subject-oriented side of risk (issue 4):
//! the trader digital twin and its category, inspectors and their
//! competences, automatic dispatching of controlled declarations, and
//! inspection tasks with their findings (labels for the learning model).
//!
//! One background task, the *operations pump*, follows the event log
//! (woken by [`Clearance::commits`], debounced, plus a catch-up pass at
//! start and a scheduled pass): it folds each declaration's events into
//! [`DeclarationFacts`], moves its contribution in its declarant's
//! [`TraderMetrics`] (old out, new in: the cost is per event, not per
//! history), reassesses the traders touched, opens a task for every
//! declaration that went under control and dispatches it, closes tasks of
//! declarations that left control, and labels released or refused
//! declarations; all of one pass is written in one transaction with the
//! new cursor. The twin lives in memory ([`Twin`]) and is what the lodging
//! path reads ([`TraderContexts`]): a read lock and a hash lookup.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use tokio::sync::Notify;

use tamga_core::codes::{CountryCode, Eori, HsCode, Mrn, OfficeCode};
use tamga_core::declaration::Declaration;
use tamga_core::dispatch::{self, Candidate, Competences, DispatchDecision, TaskSubject};
use tamga_core::lifecycle::{ControlOutcome, EventBody, State};
use tamga_core::profiles::{TraderCategory, TraderContext};
use tamga_core::risk::RiskDecision;
use tamga_core::traders::{self, Assessment, DeclarationFacts, TraderMetrics};
use tamga_store::ops_sql::{
    AeoStatus, FactsRow, Finding, FindingRecord, Inspector, Label, NewLabel, NewSnapshot, OpsBatch,
    Task, TaskQuery, TaskStatus, TraderSnapshot,
};
use tamga_store::{Role, Store, User};

use crate::clearance::{act_json, OfficerAct, OfficerActGuard, Signed, TraderContexts};
use crate::error::AppError;
use crate::writer::LoggedEvent;
use crate::{Caller, Clearance};

/// Pump settings.
#[derive(Debug, Clone)]
pub struct WorkbenchSettings {
    /// Wait after a commit before reading the log (batches bursts).
    pub debounce: Duration,
    /// Scheduled reassessment of every trader (age moves on, snapshots of
    /// metrics over time).
    pub schedule: Duration,
    /// Events read per pass.
    pub batch: u32,
}

impl Default for WorkbenchSettings {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(200),
            schedule: Duration::from_secs(600),
            batch: 5000,
        }
    }
}

/// One trader in memory.
#[derive(Debug, Clone)]
struct Entry {
    metrics: TraderMetrics,
    aeo: bool,
    registered: Option<Date>,
    /// As of the last reassessment.
    assessment: Assessment,
    /// The last snapshot stored.
    snapshot: Option<(Assessment, TraderMetrics)>,
}

impl Entry {
    fn days(&self, today: Date) -> i64 {
        self.registered
            .map(|r| traders::days_between(r, today))
            .unwrap_or(0)
    }
}

/// The trader digital twin in memory; installed as the clearance's
/// source of trader contexts.
#[derive(Default)]
pub struct Twin {
    map: RwLock<HashMap<Eori, Entry>>,
}

impl TraderContexts for Twin {
    fn context(&self, trader: &Eori, today: Date) -> TraderContext {
        let map = self.map.read().expect("lock");
        match map.get(trader) {
            Some(e) => TraderContext {
                category: e.assessment.category,
                aeo: e.aeo,
                first_time: e.metrics.declarations <= 0,
                days_since_registration: e.days(today),
            },
            None => TraderContext {
                category: TraderCategory::Medium,
                aeo: false,
                first_time: true,
                days_since_registration: 0,
            },
        }
    }
}

impl Entry {
    /// Reassesses as of `now`; returns the snapshot to store if the
    /// category or its rules changed (or, with `metrics_too`, the metrics
    /// changed since the last snapshot).
    fn reassess(
        &mut self,
        op: &Eori,
        now: OffsetDateTime,
        metrics_too: bool,
    ) -> Option<NewSnapshot> {
        let a = traders::assess(&self.metrics, self.aeo, self.days(now.date()));
        self.assessment = a.clone();
        let due = match &self.snapshot {
            None => true,
            Some((pa, pm)) => {
                traders::category_or_rules_changed(pa, &a) || (metrics_too && pm != &self.metrics)
            }
        };
        if !due {
            return None;
        }
        let mut changes = traders::what_changed(self.snapshot.as_ref().map(|s| &s.0), &a);
        if changes.is_empty() {
            changes.push("metrics updated (scheduled snapshot)".into());
        }
        self.snapshot = Some((a.clone(), self.metrics.clone()));
        Some(NewSnapshot {
            operator: op.clone(),
            at: now,
            assessment: a,
            metrics: self.metrics.clone(),
            changes,
        })
    }
}

impl Twin {
    fn reassess(&self, op: &Eori, now: OffsetDateTime, metrics_too: bool) -> Option<NewSnapshot> {
        let mut map = self.map.write().expect("lock");
        map.get_mut(op)?.reassess(op, now, metrics_too)
    }

    /// Installs entries computed by the pump once they are stored, keeping
    /// an AEO status changed in the meantime.
    fn install(&self, entries: HashMap<Eori, Entry>, today: Date) {
        let mut map = self.map.write().expect("lock");
        for (op, mut e) in entries {
            if let Some(cur) = map.get(&op) {
                if cur.aeo != e.aeo {
                    e.aeo = cur.aeo;
                    e.assessment = traders::assess(&e.metrics, e.aeo, e.days(today));
                }
                if e.registered.is_none() {
                    e.registered = cur.registered;
                }
            }
            map.insert(op, e);
        }
    }

    fn default_entry(registered: Option<Date>) -> Entry {
        Entry {
            metrics: TraderMetrics::default(),
            aeo: false,
            registered,
            assessment: traders::assess(&TraderMetrics::default(), false, 0),
            snapshot: None,
        }
    }

    fn entry_mut<'a>(
        map: &'a mut HashMap<Eori, Entry>,
        op: &Eori,
        registered: Option<Date>,
    ) -> &'a mut Entry {
        map.entry(op.clone())
            .or_insert_with(|| Self::default_entry(registered))
    }
}

pub struct Workbench {
    clearance: Arc<Clearance>,
    twin: Arc<Twin>,
    /// Nudges the pump (inspectors changed: dispatch the queue again).
    wake: Arc<Notify>,
}

/// A trader's profile as analysts and officers see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraderProfile {
    pub operator: Eori,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub aeo: Option<AeoStatus>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metrics: TraderMetrics,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub assessment: Assessment,
    /// What the risk stage receives today.
    pub context: TraderContext,
    /// Snapshots, newest first.
    pub history: Vec<TraderSnapshot>,
}

/// A task with what caused it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    #[serde(flatten)]
    pub task: Task,
    /// The risk decision that sent the declaration to control.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub risk: Option<RiskDecision>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: Task,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub risk: Option<RiskDecision>,
    pub findings: Vec<FindingRecord>,
    pub declarant: Eori,
    pub state: State,
    /// The declaration data.
    pub declaration: Declaration,
    /// True when this answers a task result already recorded (the same
    /// signed body sent again): nothing was recorded twice.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorView {
    #[serde(flatten)]
    pub inspector: Inspector,
    pub open_tasks: u32,
}

/// Finding kinds an officer may record.
pub const FINDING_KINDS: [&str; 6] = [
    "misclassification",
    "undervaluation",
    "wrong_origin",
    "quantity",
    "prohibited_goods",
    "other",
];

fn label(caller: &Caller) -> String {
    caller.label()
}

fn require<'a>(caller: &'a Caller, roles: &[Role]) -> Result<&'a User, AppError> {
    caller.require(roles)
}

fn risk_of(events: &[tamga_core::lifecycle::Event]) -> Option<RiskDecision> {
    events.iter().rev().find_map(|e| match &e.body {
        EventBody::RiskAssessed { decision, .. } => Some(decision.clone()),
        _ => None,
    })
}

impl Workbench {
    /// Starts the service and whatever runs in the background.
    pub async fn start(clearance: Arc<Clearance>) -> Result<Arc<Workbench>, AppError> {
        Self::start_with(clearance, WorkbenchSettings::default()).await
    }

    pub async fn start_with(
        clearance: Arc<Clearance>,
        settings: WorkbenchSettings,
    ) -> Result<Arc<Workbench>, AppError> {
        let store = clearance.store().clone();
        let twin = Arc::new(Twin::default());
        {
            let operators = store.ops_operators().await?;
            let aeo = store.aeo_all().await?;
            let rows = store.trader_metrics_all().await?;
            let today = OffsetDateTime::now_utc().date();
            let mut map = twin.map.write().expect("lock");
            for o in operators {
                Twin::entry_mut(&mut map, &o.id, Some(o.created_at.date()));
            }
            for a in aeo {
                Twin::entry_mut(&mut map, &a.operator, None).aeo = a.aeo;
            }
            for r in rows {
                let e = Twin::entry_mut(&mut map, &r.operator, None);
                e.metrics = r.metrics.clone();
                e.snapshot = r.assessment.map(|a| (a, r.metrics));
            }
            for e in map.values_mut() {
                e.assessment = traders::assess(&e.metrics, e.aeo, e.days(today));
            }
        }
        clearance.set_trader_contexts(twin.clone());
        clearance.set_officer_guard(Arc::new(TaskGuard {
            store: store.clone(),
        }));
        let wb = Arc::new(Workbench {
            clearance,
            twin,
            wake: Arc::new(Notify::new()),
        });
        let pump = Pump {
            wb: wb.clone(),
            settings,
        };
        wb.clearance.recent_records().enable();
        tokio::spawn(pump.run());
        Ok(wb)
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.clearance.store()
    }

    /// What the risk stage receives for `op` today.
    pub fn context(&self, op: &Eori) -> TraderContext {
        self.twin.context(op, OffsetDateTime::now_utc().date())
    }

    // --- trader profile ----------------------------------------------------

    pub async fn trader_profile(
        &self,
        caller: &Caller,
        op: &Eori,
        history: u32,
    ) -> Result<TraderProfile, AppError> {
        match caller {
            Caller::Operator(me) if me == op => {}
            Caller::Operator(_) => {
                return Err(AppError::not_found(format!("trader {op}")));
            }
            Caller::User(u) if u.role == Role::Bank => {
                return Err(AppError::Forbidden(
                    "the bank reports deposits; it does not read trader profiles".into(),
                ));
            }
            Caller::User(_) => {}
        }
        let operator = self
            .store()
            .operator(op)
            .await?
            .ok_or_else(|| AppError::not_found(format!("trader {op}")))?;
        let aeo = self
            .store()
            .aeo_all()
            .await?
            .into_iter()
            .find(|a| &a.operator == op);
        let today = OffsetDateTime::now_utc().date();
        let (metrics, assessment) = {
            let map = self.twin.map.read().expect("lock");
            match map.get(op) {
                Some(e) => (
                    e.metrics.clone(),
                    traders::assess(&e.metrics, e.aeo, e.days(today)),
                ),
                None => {
                    let m = TraderMetrics::default();
                    let days = traders::days_between(operator.created_at.date(), today);
                    let a = traders::assess(&m, false, days);
                    (m, a)
                }
            }
        };
        Ok(TraderProfile {
            context: self.twin.context(op, today),
            operator: operator.id,
            name: operator.name,
            registered_at: operator.created_at,
            aeo,
            metrics,
            assessment,
            history: self
                .store()
                .trader_snapshots(op, history.clamp(1, 1000))
                .await?,
        })
    }

    /// An administrator sets a trader's AEO status (audited); the trader is
    /// reassessed at once.
    pub async fn set_aeo(
        &self,
        caller: &Caller,
        op: &Eori,
        aeo: bool,
        reference: Option<String>,
    ) -> Result<AeoStatus, AppError> {
        let user = require(caller, &[Role::Admin])?;
        if reference.as_ref().is_some_and(|r| r.len() > 200) {
            return Err(AppError::bad_request(
                "AEO_REFERENCE",
                "/reference",
                "the reference is limited to 200 characters",
            ));
        }
        let operator = self
            .store()
            .operator(op)
            .await?
            .ok_or_else(|| AppError::not_found(format!("trader {op}")))?;
        let now = OffsetDateTime::now_utc();
        let status = AeoStatus {
            operator: op.clone(),
            aeo,
            reference,
            updated_at: now,
            updated_by: user.username.clone(),
        };
        self.store().set_aeo(&status).await?;
        self.store()
            .append_audit(&label(caller), "trader.aeo.set", now, &json!(status))
            .await?;
        {
            let mut map = self.twin.map.write().expect("lock");
            Twin::entry_mut(&mut map, op, Some(operator.created_at.date())).aeo = aeo;
        }
        if let Some(s) = self.twin.reassess(op, now, false) {
            self.store()
                .ops_apply(&OpsBatch {
                    snapshots: vec![s],
                    ..Default::default()
                })
                .await?;
        }
        Ok(status)
    }

    // --- inspectors ----------------------------------------------------------

    /// An administrator registers or changes an inspector (audited).
    /// `body`: `{"office", "competences": {"hsChapters", "hsSections",
    /// "transportModes"}, "capacity", "active", "supervisor"}`.
    pub async fn put_inspector(
        &self,
        caller: &Caller,
        username: &str,
        body: &Value,
    ) -> Result<Inspector, AppError> {
        require(caller, &[Role::Admin])?;
        let user = self
            .store()
            .user(username)
            .await?
            .ok_or_else(|| AppError::not_found(format!("user {username}")))?;
        if user.role != Role::Officer {
            return Err(AppError::bad_request(
                "INSPECTOR_ROLE",
                "",
                format!("{username} is a {}, not an officer", user.role.as_str()),
            ));
        }
        let office = body
            .get("office")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                AppError::bad_request("INSPECTOR_OFFICE", "/office", "give the office code")
            })
            .and_then(|s| {
                OfficeCode::parse(s)
                    .map_err(|e| AppError::bad_request("INSPECTOR_OFFICE", "/office", e.message))
            })?;
        if !user.offices.contains(&office) {
            return Err(AppError::bad_request(
                "INSPECTOR_OFFICE",
                "/office",
                format!("{username} does not belong to office {office}"),
            ));
        }
        let competences: Competences = match body.get("competences") {
            None | Some(Value::Null) => Competences::default(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                AppError::bad_request("INSPECTOR_COMPETENCES", "/competences", e.to_string())
            })?,
        };
        competences.check().map_err(|e| {
            AppError::bad_request(e.code, format!("/competences{}", e.field), e.message)
        })?;
        let capacity = body
            .get("capacity")
            .and_then(Value::as_u64)
            .filter(|c| (1..=1000).contains(c))
            .ok_or_else(|| {
                AppError::bad_request(
                    "INSPECTOR_CAPACITY",
                    "/capacity",
                    "capacity is the number of open tasks at once: an integer from 1 to 1000",
                )
            })? as u32;
        let flag = |name: &str, default: bool| -> Result<bool, AppError> {
            match body.get(name) {
                None | Some(Value::Null) => Ok(default),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(AppError::bad_request(
                    "INSPECTOR_FLAG",
                    format!("/{name}"),
                    format!("{name} is true or false"),
                )),
            }
        };
        let now = OffsetDateTime::now_utc();
        let i = Inspector {
            username: username.to_owned(),
            office,
            competences,
            capacity,
            active: flag("active", true)?,
            supervisor: flag("supervisor", false)?,
            updated_at: now,
        };
        self.store().put_inspector(&i).await?;
        self.store()
            .append_audit(&label(caller), "inspector.put", now, &json!(i))
            .await?;
        self.wake.notify_one();
        Ok(i)
    }

    pub async fn inspectors(&self, caller: &Caller) -> Result<Vec<InspectorView>, AppError> {
        require(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        let counts: HashMap<String, u32> =
            self.store().open_task_counts().await?.into_iter().collect();
        Ok(self
            .store()
            .inspectors()
            .await?
            .into_iter()
            .map(|i| InspectorView {
                open_tasks: counts.get(&i.username).copied().unwrap_or(0),
                inspector: i,
            })
            .collect())
    }

    // --- tasks -----------------------------------------------------------------

    async fn with_risk(&self, tasks: Vec<Task>) -> Result<Vec<TaskView>, AppError> {
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            let events = self.store().events(&t.mrn).await?;
            out.push(TaskView {
                risk: risk_of(&events),
                task: t,
            });
        }
        Ok(out)
    }

    /// The caller's tasks (open by default), oldest first.
    pub async fn my_tasks(
        &self,
        caller: &Caller,
        status: Option<TaskStatus>,
        limit: u32,
    ) -> Result<Vec<TaskView>, AppError> {
        let user = require(caller, &[Role::Officer, Role::Admin])?;
        let tasks = self
            .store()
            .tasks(&TaskQuery {
                inspector: Some(user.username.clone()),
                status,
                limit: limit.clamp(1, 200),
                ..Default::default()
            })
            .await?;
        self.with_risk(tasks).await
    }

    /// An office's tasks; with `unassigned` only those left in its queue.
    pub async fn office_tasks(
        &self,
        caller: &Caller,
        office: &OfficeCode,
        status: Option<TaskStatus>,
        unassigned: bool,
        limit: u32,
    ) -> Result<Vec<TaskView>, AppError> {
        let user = require(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        if user.role == Role::Officer && !user.offices.contains(office) {
            return Err(AppError::Forbidden(format!(
                "{} does not belong to office {office}",
                user.username
            )));
        }
        let tasks = self
            .store()
            .tasks(&TaskQuery {
                office: Some(office.clone()),
                status,
                unassigned,
                limit: limit.clamp(1, 200),
                ..Default::default()
            })
            .await?;
        self.with_risk(tasks).await
    }

    async fn visible_task(&self, caller: &Caller, mrn: &Mrn) -> Result<(User, Task), AppError> {
        let user = require(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?.clone();
        let task = self
            .store()
            .task(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("inspection task for {mrn}")))?;
        if user.role == Role::Officer && !user.offices.contains(&task.office) {
            return Err(AppError::not_found(format!("inspection task for {mrn}")));
        }
        Ok((user, task))
    }

    pub async fn task_detail(&self, caller: &Caller, mrn: &Mrn) -> Result<TaskDetail, AppError> {
        let (_, task) = self.visible_task(caller, mrn).await?;
        let rec = self
            .store()
            .declaration(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("declaration {mrn}")))?;
        let events = self.store().events(mrn).await?;
        Ok(TaskDetail {
            risk: risk_of(&events),
            findings: self.store().findings(mrn).await?,
            declarant: rec.declarant,
            state: rec.state,
            declaration: rec.declaration,
            task,
            replay: false,
        })
    }

    /// Records the control result of a task: compliant, or findings.
    /// Only the assigned inspector (or, while unassigned, an officer of the
    /// office, who takes the task) or an administrator may.
    ///
    /// The request is signed by the officer (`X-Tamga-Signature` over the
    /// exact body, which names the declaration and the act: `"mrn"`,
    /// `"act": "task_result"`); the signature is
    /// stored with the control event and in the `task.result` audit entry.
    pub async fn record_result(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        signed: Signed<'_>,
    ) -> Result<TaskDetail, AppError> {
        let user = require(caller, &[Role::Officer, Role::Admin])?.clone();
        let (_, task) = self.visible_task(caller, mrn).await?;
        if task.status != TaskStatus::Open {
            return Err(AppError::bad_request(
                "TASK_CLOSED",
                "",
                format!("the task for {mrn} is closed"),
            ));
        }
        // The same rule Clearance applies to every officer act, checked
        // here before the signature and the body.
        TaskGuard {
            store: self.store().clone(),
        }
        .check(&user, mrn)
        .await?;
        let verified = self.clearance.verify_officer(caller, &signed).await?;
        let body = act_json(&verified, mrn, OfficerAct::TaskResult)?;
        let rec = self
            .store()
            .declaration(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("declaration {mrn}")))?;
        let (outcome, findings, notes) = parse_result(&body, &rec.declaration)?;
        let summary = summarize(outcome, &findings, notes.as_deref());
        let signature = verified.audit_json();
        let recorded = self
            .clearance
            .record_control_verified(caller, mrn, outcome, Some(summary.clone()), verified)
            .await?;
        if recorded.replay {
            // The same signed result again: recorded once.
            let mut detail = self.task_detail(caller, mrn).await?;
            detail.replay = true;
            return Ok(detail);
        }
        let now = OffsetDateTime::now_utc();
        if task.inspector.is_none() {
            let d = DispatchDecision {
                assigned: Some(user.username.clone()),
                seed: 0,
                secret_id: None,
                draw: None,
                considered: vec![],
                explanation: format!("taken from the office queue by {}", user.username),
            };
            self.store()
                .assign_task(mrn, Some(&user.username), &d, now)
                .await?;
        }
        self.store()
            .record_task_result(mrn, &user.username, outcome, &findings, now)
            .await?;
        self.store()
            .append_audit(
                &label(caller),
                "task.result",
                now,
                &json!({"mrn": mrn, "outcome": outcome, "findings": findings, "notes": notes, "signature": signature}),
            )
            .await?;
        self.task_detail(caller, mrn).await
    }

    /// An administrator, or a supervisor of the task's office, assigns the
    /// task to another inspector of that office (audited).
    ///
    /// Signed like every officer act (the body names the declaration and
    /// the act: `"mrn"`, `"act": "reassignment"`); the signature goes into
    /// the `task.reassign` audit entry.
    pub async fn reassign(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        signed: Signed<'_>,
    ) -> Result<Task, AppError> {
        let user = require(caller, &[Role::Officer, Role::Admin])?.clone();
        let (_, task) = self.visible_task(caller, mrn).await?;
        let inspectors = self.store().inspectors().await?;
        if user.role != Role::Admin
            && !inspectors.iter().any(|i| {
                i.username == user.username && i.supervisor && i.active && i.office == task.office
            })
        {
            return Err(AppError::Forbidden(format!(
                "only an administrator or a supervisor of office {} may reassign tasks",
                task.office
            )));
        }
        let verified = self.clearance.verify_officer(caller, &signed).await?;
        let body = &act_json(&verified, mrn, OfficerAct::Reassignment)?;
        let target = body
            .get("inspector")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                AppError::bad_request(
                    "REASSIGN_INSPECTOR",
                    "/inspector",
                    "give the inspector's user name",
                )
            })?;
        let reason = body
            .get("reason")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty() && r.len() <= 1000)
            .ok_or_else(|| {
                AppError::bad_request(
                    "REASSIGN_REASON",
                    "/reason",
                    "give a reason of 1 to 1000 characters",
                )
            })?;
        if !inspectors
            .iter()
            .any(|i| i.username == target && i.active && i.office == task.office)
        {
            return Err(AppError::bad_request(
                "REASSIGN_INSPECTOR",
                "/inspector",
                format!(
                    "{target} is not an active inspector of office {}",
                    task.office
                ),
            ));
        }
        if task.status != TaskStatus::Open {
            return Err(AppError::bad_request(
                "TASK_CLOSED",
                "",
                format!("the task for {mrn} is closed"),
            ));
        }
        let now = OffsetDateTime::now_utc();
        let d = DispatchDecision {
            assigned: Some(target.to_owned()),
            seed: 0,
            secret_id: None,
            draw: None,
            considered: vec![],
            explanation: format!(
                "reassigned by {} from {} to {target}: {reason}",
                user.username,
                task.inspector.as_deref().unwrap_or("the office queue")
            ),
        };
        self.store().assign_task(mrn, Some(target), &d, now).await?;
        self.store()
            .append_audit(
                &label(caller),
                "task.reassign",
                now,
                &json!({"mrn": mrn, "from": task.inspector, "to": target, "reason": reason, "signature": verified.audit_json()}),
            )
            .await?;
        self.store()
            .task(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("inspection task for {mrn}")))
    }

    /// Labelled declarations for the learning model (analysts, admins).
    pub async fn labels(
        &self,
        caller: &Caller,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Label>, AppError> {
        require(caller, &[Role::RiskAnalyst, Role::Admin])?;
        Ok(self.store().labels(after, limit.clamp(1, 10_000)).await?)
    }
}

/// Officer acts on a declaration (control result, release, refusal) with an
/// open inspection task: only the assigned inspector or an administrator
/// may; while the task is unassigned, any officer of the office may.
struct TaskGuard {
    store: Arc<dyn Store>,
}

impl OfficerActGuard for TaskGuard {
    fn check<'a>(
        &'a self,
        user: &'a User,
        mrn: &'a Mrn,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>
    {
        Box::pin(async move {
            if user.role == Role::Admin {
                return Ok(());
            }
            match self.store.task(mrn).await? {
                Some(Task {
                    status: TaskStatus::Open,
                    inspector: Some(i),
                    ..
                }) if i != user.username => Err(AppError::Forbidden(format!(
                    "the task for {mrn} is assigned to {i}; ask an administrator or a supervisor to reassign it"
                ))),
                _ => Ok(()),
            }
        })
    }
}

// --- result validation ----------------------------------------------------------

fn decimal_at(v: &Value, ptr: &str, code: &'static str) -> Result<Decimal, AppError> {
    let s = v.as_str().ok_or_else(|| {
        AppError::bad_request(
            code,
            ptr,
            "give the amount as a decimal string, e.g. \"125.50\"",
        )
    })?;
    // The one amount grammar (`money::DecimalText`): no exponent or spaces,
    // and never more digits than a `Decimal` holds exactly.
    tamga_core::money::DecimalText::lex(s)
        .filter(|l| l.digits() <= 28)
        .and_then(|_| s.parse::<Decimal>().ok())
        .ok_or_else(|| AppError::bad_request(code, ptr, format!("{s:?} is not a decimal number")))
}

fn opt_str<'a>(
    f: &'a Value,
    name: &str,
    ptr: &str,
    max: usize,
) -> Result<Option<&'a str>, AppError> {
    match f.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= max => Ok(Some(s.as_str())),
        Some(_) => Err(AppError::bad_request(
            "FINDING_FIELD",
            format!("{ptr}/{name}"),
            format!("{name} is a string of at most {max} characters"),
        )),
    }
}

/// Parses and checks a control result against the declaration.
pub fn parse_result(
    body: &Value,
    d: &Declaration,
) -> Result<(ControlOutcome, Vec<Finding>, Option<String>), AppError> {
    if !body.is_object() {
        return Err(AppError::bad_request(
            "RESULT_BODY",
            "",
            "the body is a JSON object",
        ));
    }
    let outcome = match body.get("outcome").and_then(Value::as_str) {
        Some("compliant") => ControlOutcome::Compliant,
        Some("findings") => ControlOutcome::Findings,
        _ => {
            return Err(AppError::bad_request(
                "RESULT_OUTCOME",
                "/outcome",
                "outcome is \"compliant\" or \"findings\"",
            ))
        }
    };
    let notes = opt_str(body, "notes", "", 2000)?.map(str::to_owned);
    let list = match body.get("findings") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.len() <= 100 => a.clone(),
        Some(_) => {
            return Err(AppError::bad_request(
                "RESULT_FINDINGS",
                "/findings",
                "findings is an array of at most 100 findings",
            ))
        }
    };
    match (outcome, list.is_empty()) {
        (ControlOutcome::Compliant, false) => {
            return Err(AppError::bad_request(
                "FINDINGS_NOT_EXPECTED",
                "/findings",
                "a compliant result has no findings",
            ))
        }
        (ControlOutcome::Findings, true) => {
            return Err(AppError::bad_request(
                "FINDINGS_MISSING",
                "/findings",
                "list at least one finding",
            ))
        }
        _ => {}
    }
    let mut findings = Vec::with_capacity(list.len());
    for (i, f) in list.iter().enumerate() {
        let p = format!("/findings/{i}");
        let kind = f
            .get("kind")
            .and_then(Value::as_str)
            .filter(|k| FINDING_KINDS.contains(k))
            .ok_or_else(|| {
                AppError::bad_request(
                    "FINDING_KIND",
                    format!("{p}/kind"),
                    format!("kind is one of: {}", FINDING_KINDS.join(", ")),
                )
            })?;
        let item = match f.get("item") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = v.as_u64().and_then(|n| u32::try_from(n).ok());
                let found = n.and_then(|n| d.items.iter().find(|it| it.sequence == n));
                match found {
                    Some(it) => Some(it),
                    None => {
                        return Err(AppError::bad_request(
                            "FINDING_ITEM",
                            format!("{p}/item"),
                            format!(
                                "item is the number of a goods item of the declaration (1 to {})",
                                d.items.len()
                            ),
                        ))
                    }
                }
            }
        };
        let needs_item = matches!(
            kind,
            "misclassification" | "undervaluation" | "wrong_origin" | "quantity"
        );
        if needs_item && item.is_none() {
            return Err(AppError::bad_request(
                "FINDING_ITEM",
                format!("{p}/item"),
                format!("a {kind} finding names the goods item"),
            ));
        }
        let declared = opt_str(f, "declaredValue", &p, 64)?;
        let corrected = opt_str(f, "correctedValue", &p, 64)?;
        let description = opt_str(f, "description", &p, 1000)?;
        let need_corrected = || {
            corrected.ok_or_else(|| {
                AppError::bad_request(
                    "FINDING_CORRECTED_VALUE",
                    format!("{p}/correctedValue"),
                    format!("a {kind} finding gives the corrected value"),
                )
            })
        };
        let mut declared = declared.map(str::to_owned);
        match (kind, item) {
            ("undervaluation" | "quantity", Some(it)) => {
                let c = decimal_at(
                    &Value::from(need_corrected()?),
                    &format!("{p}/correctedValue"),
                    "FINDING_CORRECTED_VALUE",
                )?;
                let dv = match &declared {
                    Some(s) => decimal_at(
                        &Value::from(s.as_str()),
                        &format!("{p}/declaredValue"),
                        "FINDING_DECLARED_VALUE",
                    )?,
                    None => {
                        let v = if kind == "quantity" {
                            it.net_mass_kg
                        } else {
                            it.customs_value.unwrap_or(it.item_price)
                        };
                        declared = Some(v.to_string());
                        v
                    }
                };
                if c < Decimal::ZERO {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        "the corrected value cannot be negative",
                    ));
                }
                if kind == "undervaluation" && c <= dv {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        format!("an undervaluation's corrected value exceeds the declared {dv}"),
                    ));
                }
            }
            ("misclassification", Some(it)) => {
                let c = need_corrected()?;
                HsCode::parse(c).map_err(|e| {
                    AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        e.message,
                    )
                })?;
                if c == it.hs_code.as_str() {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        "the corrected code is the declared code",
                    ));
                }
                declared.get_or_insert_with(|| it.hs_code.as_str().to_owned());
            }
            ("wrong_origin", Some(it)) => {
                let c = need_corrected()?;
                let cc = CountryCode::parse(c).map_err(|e| {
                    AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        e.message,
                    )
                })?;
                if cc == it.origin {
                    return Err(AppError::bad_request(
                        "FINDING_CORRECTED_VALUE",
                        format!("{p}/correctedValue"),
                        "the corrected origin is the declared origin",
                    ));
                }
                declared.get_or_insert_with(|| it.origin.as_str().to_owned());
            }
            _ => {
                if description.is_none() {
                    return Err(AppError::bad_request(
                        "FINDING_DESCRIPTION",
                        format!("{p}/description"),
                        format!("a {kind} finding is described"),
                    ));
                }
            }
        }
        let duties = match f.get("additionalDuties") {
            None | Some(Value::Null) => Decimal::ZERO,
            Some(v) => decimal_at(
                v,
                &format!("{p}/additionalDuties"),
                "FINDING_ADDITIONAL_DUTIES",
            )?,
        };
        if duties < Decimal::ZERO || duties.scale() > 4 {
            return Err(AppError::bad_request(
                "FINDING_ADDITIONAL_DUTIES",
                format!("{p}/additionalDuties"),
                "additional duties are a non-negative amount with at most 4 decimals",
            ));
        }
        findings.push(Finding {
            kind: kind.to_owned(),
            item: item.map(|it| it.sequence),
            declared_value: declared,
            corrected_value: corrected.map(str::to_owned),
            additional_duties: duties.normalize().to_string(),
            description: description.map(str::to_owned),
        });
    }
    Ok((outcome, findings, notes))
}

/// The readable summary put in the control event's notes.
pub fn summarize(outcome: ControlOutcome, findings: &[Finding], notes: Option<&str>) -> String {
    let mut s = match outcome {
        ControlOutcome::Compliant => "compliant".to_owned(),
        ControlOutcome::Findings => {
            let parts: Vec<String> = findings
                .iter()
                .map(|f| {
                    let mut p = f.kind.clone();
                    if let Some(i) = f.item {
                        p.push_str(&format!(" on item {i}"));
                    }
                    match (&f.declared_value, &f.corrected_value) {
                        (Some(d), Some(c)) => p.push_str(&format!(": declared {d}, corrected {c}")),
                        (None, Some(c)) => p.push_str(&format!(": corrected {c}")),
                        _ => {}
                    }
                    if let Some(d) = &f.description {
                        p.push_str(&format!(" ({d})"));
                    }
                    p.push_str(&format!("; additional duties {}", f.additional_duties));
                    p
                })
                .collect();
            format!("findings: {}", parts.join(" | "))
        }
    };
    if let Some(n) = notes {
        s.push_str(&format!(" — officer's notes: {n}"));
    }
    if s.len() > 4000 {
        let mut cut = 3990;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str(" […]");
    }
    s
}

// --- the operations pump --------------------------------------------------------

struct Pump {
    wb: Arc<Workbench>,
    settings: WorkbenchSettings,
}

impl Pump {
    async fn run(self) {
        let mut commits = self.wb.clearance.commits();
        let mut tick = tokio::time::interval(self.settings.schedule);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        let mut cursor = None;
        let mut redispatch = true;
        let mut scheduled = false;
        loop {
            match self.pass(&mut cursor, redispatch, scheduled).await {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!("operations pump: {e}");
                    cursor = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            redispatch = false;
            scheduled = false;
            tokio::select! {
                r = commits.changed() => {
                    if r.is_err() {
                        return;
                    }
                    tokio::time::sleep(self.settings.debounce).await;
                }
                _ = self.wb.wake.notified() => redispatch = true,
                _ = tick.tick() => { scheduled = true; redispatch = true; }
            }
        }
    }

    async fn pass(
        &self,
        cursor: &mut Option<i64>,
        mut redispatch: bool,
        scheduled: bool,
    ) -> Result<(), AppError> {
        let store = self.wb.store().clone();
        let mut at = match cursor {
            Some(c) => *c,
            None => store.ops_cursor().await?,
        };
        let recent = self.wb.clearance.recent_records();
        loop {
            // What the writer committed is usually still held; the store
            // has the rest: what was not held (after a restart, or beyond
            // the bound) and what is not handed over yet.
            let batch = self.settings.batch as usize;
            let mut events = recent.take_events(at, batch);
            if events.len() < batch {
                let after = events.last().map_or(at, |e| e.id);
                let limit = (batch - events.len()) as u32;
                let read = store.ops_events_after(after, limit).await?;
                events.extend(read.into_iter().map(LoggedEvent::read));
            }
            let Some(last) = events.last().map(|e| e.id) else {
                break;
            };
            let closed = self.apply(&events, last).await?;
            redispatch |= closed;
            at = last;
            *cursor = Some(at);
            if events.len() < batch {
                break;
            }
        }
        *cursor = Some(at);
        if scheduled {
            self.scheduled().await?;
        }
        if redispatch {
            self.redispatch().await?;
        }
        Ok(())
    }

    /// Applies one batch of events; returns whether a task was closed.
    async fn apply(&self, events: &[LoggedEvent], last: i64) -> Result<bool, AppError> {
        let store = self.wb.store().clone();
        let now = OffsetDateTime::now_utc();
        let mut order: Vec<Mrn> = Vec::new();
        let mut need_doc: HashSet<Mrn> = HashSet::new();
        let mut seen: HashSet<Mrn> = HashSet::new();
        for e in events {
            if seen.insert(e.mrn.clone()) {
                order.push(e.mrn.clone());
            }
            if matches!(e.kind.as_ref(), "lodged" | "amended" | "risk_assessed") {
                need_doc.insert(e.mrn.clone());
            }
        }
        let mut facts: HashMap<Mrn, FactsRow> = store
            .ops_facts(&order)
            .await?
            .into_iter()
            .map(|f| (f.mrn.clone(), f))
            .collect();
        for m in &order {
            if !facts.contains_key(m) {
                need_doc.insert(m.clone());
            }
        }
        // A declaration registered in this batch and not amended since is
        // as its registration stored it: that record is usually still held
        // in memory.
        let amended: HashSet<&Mrn> = events
            .iter()
            .filter(|e| e.kind == "amended")
            .map(|e| &e.mrn)
            .collect();
        let registered: Vec<Mrn> = events
            .iter()
            .filter(|e| e.kind == "lodged" && need_doc.contains(&e.mrn))
            .map(|e| e.mrn.clone())
            .collect();
        let mut docs: HashMap<Mrn, tamga_store::DeclarationRecord> = HashMap::new();
        for r in self.wb.clearance.recent_records().take(&registered) {
            if !amended.contains(&r.mrn) {
                need_doc.remove(&r.mrn);
                docs.insert(r.mrn.clone(), r);
            }
        }
        if !need_doc.is_empty() {
            let list: Vec<Mrn> = need_doc.into_iter().collect();
            for r in store.ops_declarations(&list).await? {
                docs.insert(r.mrn.clone(), r);
            }
        }
        let old: HashMap<Mrn, DeclarationFacts> = facts
            .iter()
            .map(|(m, f)| (m.clone(), f.facts.clone()))
            .collect();
        let mut batch = OpsBatch {
            cursor: Some(last),
            ..Default::default()
        };
        let mut to_dispatch: Vec<Mrn> = Vec::new();
        for e in events {
            let row = match facts.get_mut(&e.mrn) {
                Some(r) => r,
                None => {
                    let Some(rec) = docs.get(&e.mrn) else {
                        continue;
                    };
                    facts.entry(e.mrn.clone()).or_insert(FactsRow {
                        mrn: e.mrn.clone(),
                        declarant: rec.declarant.clone(),
                        facts: DeclarationFacts::default(),
                    })
                }
            };
            // Only the kinds that change facts carry their body.
            let Some(body) = &e.body else {
                continue;
            };
            let before = row.facts.state;
            row.facts.apply(body);
            if matches!(body, EventBody::Lodged { .. } | EventBody::Amended { .. }) {
                if let Some(rec) = docs.get(&e.mrn) {
                    row.facts.set_declaration(&rec.declaration);
                }
            }
            let after = row.facts.state;
            if after == Some(State::UnderControl) && before != Some(State::UnderControl) {
                to_dispatch.push(e.mrn.clone());
            }
            if before == Some(State::UnderControl) && after != Some(State::UnderControl) {
                batch.closed_tasks.push((e.mrn.clone(), e.at));
            }
            if let (Some(s @ (State::Released | State::Refused)), false) =
                (after, before.is_some_and(State::is_final))
            {
                batch.labels.push(NewLabel {
                    mrn: e.mrn.clone(),
                    inspected: row.facts.controls > 0,
                    outcome: (row.facts.controls > 0).then_some(if row.facts.findings {
                        ControlOutcome::Findings
                    } else {
                        ControlOutcome::Compliant
                    }),
                    final_state: s.as_str().to_owned(),
                    at: e.at,
                });
            }
        }
        // Metrics: each touched declaration's old contribution out, new in,
        // on copies installed in memory once stored.
        let mut local: HashMap<Eori, Entry> = HashMap::new();
        {
            let map = self.wb.twin.map.read().expect("lock");
            for m in &order {
                let Some(row) = facts.get(m) else { continue };
                if old.get(m) == Some(&row.facts) {
                    continue;
                }
                let entry = local.entry(row.declarant.clone()).or_insert_with(|| {
                    map.get(&row.declarant)
                        .cloned()
                        .unwrap_or_else(|| Twin::default_entry(None))
                });
                if let Some(o) = old.get(m) {
                    entry.metrics.add(o, -1);
                }
                entry.metrics.add(&row.facts, 1);
            }
        }
        for (op, e) in local.iter_mut() {
            if e.registered.is_none() {
                // Registered since the last scheduled pass.
                e.registered = store.operator(op).await?.map(|o| o.created_at.date());
            }
            batch.metrics.push((op.clone(), e.metrics.clone()));
            if let Some(s) = e.reassess(op, now, false) {
                batch.snapshots.push(s);
            }
        }
        // Dispatch the declarations that went under control.
        if !to_dispatch.is_empty() {
            let mut pool = self.candidates().await?;
            let selectivity = self.wb.clearance.selectivity();
            for m in to_dispatch {
                let Some(rec) = docs.get(&m) else { continue };
                let subject = TaskSubject::from_declaration(&m, &rec.declaration);
                let d = choose_and_count(&subject, &mut pool, &selectivity);
                batch.new_tasks.push(Task {
                    mrn: m.clone(),
                    office: subject.office.clone(),
                    channel: rec.channel,
                    status: TaskStatus::Open,
                    inspector: d.assigned.clone(),
                    created_at: now,
                    assigned_at: d.assigned.as_ref().map(|_| now),
                    dispatch: d,
                    outcome: None,
                    result_by: None,
                    result_at: None,
                    closed_at: None,
                });
            }
        }
        // A task opened and closed in the same batch is never left open.
        let closed: HashSet<&Mrn> = batch.closed_tasks.iter().map(|(m, _)| m).collect();
        for t in batch.new_tasks.iter_mut() {
            if closed.contains(&t.mrn) {
                t.status = TaskStatus::Done;
                t.closed_at = Some(now);
            }
        }
        batch.facts = facts
            .into_values()
            .filter(|f| old.get(&f.mrn) != Some(&f.facts))
            .collect();
        let any_closed = !batch.closed_tasks.is_empty();
        store.ops_apply(&batch).await?;
        self.wb.twin.install(local, now.date());
        Ok(any_closed)
    }

    /// Inspectors with their current open tasks, by office.
    async fn candidates(&self) -> Result<HashMap<OfficeCode, Vec<Candidate>>, AppError> {
        let store = self.wb.store();
        let counts: HashMap<String, u32> = store.open_task_counts().await?.into_iter().collect();
        let mut out: HashMap<OfficeCode, Vec<Candidate>> = HashMap::new();
        for i in store.inspectors().await? {
            out.entry(i.office.clone()).or_default().push(Candidate {
                open_tasks: counts.get(&i.username).copied().unwrap_or(0),
                username: i.username,
                office: i.office,
                competences: i.competences,
                capacity: i.capacity,
                active: i.active,
            });
        }
        Ok(out)
    }

    /// Dispatches again the tasks left in office queues.
    async fn redispatch(&self) -> Result<(), AppError> {
        let store = self.wb.store().clone();
        let queued = store
            .tasks(&TaskQuery {
                status: Some(TaskStatus::Open),
                unassigned: true,
                limit: 1000,
                ..Default::default()
            })
            .await?;
        if queued.is_empty() {
            return Ok(());
        }
        let mut pool = self.candidates().await?;
        if pool.is_empty() {
            return Ok(());
        }
        let mrns: Vec<Mrn> = queued.iter().map(|t| t.mrn.clone()).collect();
        let docs: HashMap<Mrn, tamga_store::DeclarationRecord> = store
            .ops_declarations(&mrns)
            .await?
            .into_iter()
            .map(|r| (r.mrn.clone(), r))
            .collect();
        let selectivity = self.wb.clearance.selectivity();
        let now = OffsetDateTime::now_utc();
        let mut batch = OpsBatch::default();
        for t in queued {
            let Some(rec) = docs.get(&t.mrn) else {
                continue;
            };
            let subject = TaskSubject::from_declaration(&t.mrn, &rec.declaration);
            let d = choose_and_count(&subject, &mut pool, &selectivity);
            if let Some(who) = d.assigned.clone() {
                batch.assignments.push((t.mrn, who, d, now));
            }
        }
        if !batch.assignments.is_empty() {
            store.ops_apply(&batch).await?;
        }
        Ok(())
    }

    /// The scheduled pass: operators registered since, every trader
    /// reassessed as of today, and a snapshot where metrics moved.
    async fn scheduled(&self) -> Result<(), AppError> {
        let store = self.wb.store().clone();
        let operators = store.ops_operators().await?;
        let now = OffsetDateTime::now_utc();
        let ops: Vec<Eori> = {
            let mut map = self.wb.twin.map.write().expect("lock");
            for o in &operators {
                let e = Twin::entry_mut(&mut map, &o.id, Some(o.created_at.date()));
                e.registered = Some(o.created_at.date());
            }
            map.keys().cloned().collect()
        };
        let mut batch = OpsBatch::default();
        for op in ops {
            if let Some(s) = self.wb.twin.reassess(&op, now, true) {
                batch.snapshots.push(s);
            }
        }
        if !batch.snapshots.is_empty() {
            store.ops_apply(&batch).await?;
        }
        Ok(())
    }
}

/// Chooses for `subject` among its office's inspectors and counts the new
/// task against the one chosen.
fn choose_and_count(
    subject: &TaskSubject,
    pool: &mut HashMap<OfficeCode, Vec<Candidate>>,
    selectivity: &tamga_core::pipeline::SelectivityStage,
) -> DispatchDecision {
    let list = pool.entry(subject.office.clone()).or_default();
    let d = dispatch::choose(subject, list, &selectivity.key, selectivity.random.seed);
    if let Some(who) = &d.assigned {
        if let Some(c) = list.iter_mut().find(|c| &c.username == who) {
            c.open_tasks += 1;
        }
    }
    d
}
