//! Inspection tasks: lists, detail, the control result an inspector
//! records, reassignment, and the guard that keeps officer acts on a
//! task to its assigned inspector.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_core::declaration::Declaration;
use tamga_core::dispatch::DispatchDecision;
use tamga_core::lifecycle::State;
use tamga_core::risk::RiskDecision;
use tamga_store::ops_sql::{FindingRecord, Task, TaskQuery, TaskStatus};
use tamga_store::{Role, Store, User};

use crate::clearance::{act_json, OfficerAct, OfficerActGuard, Signed};
use crate::error::AppError;
use crate::Caller;

use super::{label, parse_result, require, risk_of, summarize, Workbench};

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

impl Workbench {
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
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn my_tasks(
        &self,
        caller: &Caller,
        status: Option<TaskStatus>,
        limit: u32,
    ) -> Result<Vec<TaskView>, AppError> {
        let user = require(caller, &[Role::Officer, Role::Inspector, Role::Admin])?;
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
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn office_tasks(
        &self,
        caller: &Caller,
        office: &OfficeCode,
        status: Option<TaskStatus>,
        unassigned: bool,
        limit: u32,
    ) -> Result<Vec<TaskView>, AppError> {
        let user = require(
            caller,
            &[
                Role::Officer,
                Role::Inspector,
                Role::RiskAnalyst,
                Role::Admin,
            ],
        )?;
        if user.office_bound() && !user.offices.contains(office) {
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
        let user = require(
            caller,
            &[
                Role::Officer,
                Role::Inspector,
                Role::RiskAnalyst,
                Role::Admin,
            ],
        )?
        .clone();
        let task = self
            .store()
            .task(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("inspection task for {mrn}")))?;
        if user.office_bound() && !user.offices.contains(&task.office) {
            return Err(AppError::not_found(format!("inspection task for {mrn}")));
        }
        Ok((user, task))
    }

    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
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
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn record_result(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        signed: Signed<'_>,
    ) -> Result<TaskDetail, AppError> {
        let user = require(caller, &[Role::Officer, Role::Inspector, Role::Admin])?.clone();
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
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), mrn = %mrn))]
    pub async fn reassign(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        signed: Signed<'_>,
    ) -> Result<Task, AppError> {
        let user = require(caller, &[Role::Officer, Role::Admin])?.clone();
        let (_, task) = self.visible_task(caller, mrn).await?;
        let inspectors = self.store().inspectors().await?;
        if !user.has(Role::Admin)
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
}

/// Officer acts on a declaration (control result, release, refusal) with an
/// open inspection task: only the assigned inspector or an administrator
/// may; while the task is unassigned, any officer of the office may.
pub(super) struct TaskGuard {
    pub(super) store: Arc<dyn Store>,
}

impl OfficerActGuard for TaskGuard {
    fn check<'a>(
        &'a self,
        user: &'a User,
        mrn: &'a Mrn,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>
    {
        Box::pin(async move {
            if user.has(Role::Admin) {
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
