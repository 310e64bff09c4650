//! Dispatching: choosing an inspector of the office for a controlled
//! declaration by competence and load, and dispatching again the tasks
//! left in office queues.

use std::collections::HashMap;

use time::OffsetDateTime;

use tamga_core::codes::{Mrn, OfficeCode};
use tamga_core::dispatch::{self, Candidate, DispatchDecision, TaskSubject};
use tamga_store::ops_sql::{OpsBatch, Task, TaskQuery, TaskStatus};

use crate::error::AppError;

use super::Pump;

impl Pump {
    /// Opens a task for each declaration that went under control, each
    /// dispatched to an inspector of its office (or left in its queue).
    pub(super) async fn open_tasks(
        &self,
        to_dispatch: &[Mrn],
        docs: &HashMap<Mrn, tamga_store::DeclarationRecord>,
        batch: &mut OpsBatch,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let mut pool = self.candidates().await?;
        let selectivity = self.wb.clearance.selectivity();
        for m in to_dispatch {
            let Some(rec) = docs.get(m) else { continue };
            let subject = TaskSubject::from_declaration(m, &rec.declaration);
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
        Ok(())
    }

    /// Inspectors with their current open tasks, by office.
    pub(super) async fn candidates(&self) -> Result<HashMap<OfficeCode, Vec<Candidate>>, AppError> {
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
    pub(super) async fn redispatch(&self) -> Result<(), AppError> {
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
}

/// Chooses for `subject` among its office's inspectors and counts the new
/// task against the one chosen.
pub(super) fn choose_and_count(
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
