//! The operations pump: follows the event log and, per batch, folds
//! facts, moves trader metrics, opens, dispatches and closes tasks and
//! writes labels, in one transaction with the new cursor.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::lifecycle::{EventBody, State};
use tamga_core::traders::DeclarationFacts;
use tamga_store::ops_sql::{FactsRow, OpsBatch, TaskStatus};

use crate::error::AppError;
use crate::writer::LoggedEvent;

use super::{Entry, Twin, Workbench, WorkbenchSettings};

pub(super) struct Pump {
    pub(super) wb: Arc<Workbench>,
    pub(super) settings: WorkbenchSettings,
}

impl Pump {
    pub(super) async fn run(self) {
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
            let Some(closed) = self.apply(&events, at, last).await? else {
                // Another instance's pump applied these events first:
                // take its results (the twin as stored) and go on from the
                // stored cursor.
                self.wb.twin.reload(store.as_ref()).await?;
                at = store.ops_cursor().await?;
                *cursor = Some(at);
                continue;
            };
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

    /// Applies one batch of events read after `from`; returns whether a
    /// task was closed, or `None` when another instance applied them first
    /// (nothing written).
    /// Stages: what the batch touches, the stored facts and declarations
    /// it needs, the fold of its events (facts, tasks closed, labels), the
    /// traders' metrics, dispatching of what went under control; then one
    /// write with the new cursor, and the twin updated once it is stored.
    async fn apply(
        &self,
        events: &[LoggedEvent],
        from: i64,
        last: i64,
    ) -> Result<Option<bool>, AppError> {
        let now = OffsetDateTime::now_utc();
        let touched = Touched::of(events);
        let (mut facts, docs) = self.load(events, &touched).await?;
        let old: HashMap<Mrn, DeclarationFacts> = facts
            .iter()
            .map(|(m, f)| (m.clone(), f.facts.clone()))
            .collect();
        let mut batch = OpsBatch {
            cursor: Some(last),
            from_cursor: Some(from),
            ..Default::default()
        };
        let to_dispatch = fold(events, &mut facts, &docs, &mut batch);
        let local = self
            .move_metrics(&touched.order, &facts, &old, &mut batch, now)
            .await?;
        if !to_dispatch.is_empty() {
            self.open_tasks(&to_dispatch, &docs, &mut batch, now)
                .await?;
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
        if !self.wb.store().ops_apply(&batch).await? {
            return Ok(None);
        }
        self.wb.twin.install(local, now.date());
        // The other instances read the twin again (`crate::epochs`).
        crate::epochs::bump(self.wb.store().as_ref(), crate::epochs::OPS).await;
        Ok(Some(any_closed))
    }

    /// The stored facts of the touched declarations, and the declarations
    /// whose data the fold needs (lodged, amended, risk-assessed, or with
    /// no facts yet): held in memory when registered in this batch and not
    /// amended since, else read from the store.
    async fn load(
        &self,
        events: &[LoggedEvent],
        touched: &Touched,
    ) -> Result<(HashMap<Mrn, FactsRow>, Docs), AppError> {
        let store = self.wb.store().clone();
        let mut need_doc = touched.need_doc.clone();
        let facts: HashMap<Mrn, FactsRow> = store
            .ops_facts(&touched.order)
            .await?
            .into_iter()
            .map(|f| (f.mrn.clone(), f))
            .collect();
        for m in &touched.order {
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
        let mut docs: Docs = HashMap::new();
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
        Ok((facts, docs))
    }

    /// Metrics: each touched declaration's old contribution out, new in,
    /// on copies of the twin's entries (installed in memory once stored);
    /// the traders touched are reassessed, with a snapshot where due.
    async fn move_metrics(
        &self,
        order: &[Mrn],
        facts: &HashMap<Mrn, FactsRow>,
        old: &HashMap<Mrn, DeclarationFacts>,
        batch: &mut OpsBatch,
        now: OffsetDateTime,
    ) -> Result<HashMap<Eori, Entry>, AppError> {
        let mut local: HashMap<Eori, Entry> = HashMap::new();
        {
            let map = self.wb.twin.map.read().expect("lock");
            for m in order {
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
                e.registered = self
                    .wb
                    .store()
                    .operator(op)
                    .await?
                    .map(|o| o.created_at.date());
            }
            batch.metrics.push((op.clone(), e.metrics.clone()));
            if let Some(s) = e.reassess(op, now, false) {
                batch.snapshots.push(s);
            }
        }
        Ok(local)
    }

    /// The scheduled pass: operators registered since, every trader
    /// reassessed as of today, and a snapshot where metrics moved.
    async fn scheduled(&self) -> Result<(), AppError> {
        let store = self.wb.store().clone();
        // Once per period among all instances.
        let now_nanos =
            i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos()).unwrap_or(i64::MAX);
        let every = i64::try_from(self.settings.schedule.as_nanos()).unwrap_or(i64::MAX);
        if !store
            .ops_claim(
                "scheduled_reassessment",
                now_nanos,
                every.saturating_sub(every / 10),
            )
            .await?
        {
            return Ok(());
        }
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

/// Declarations by MRN, as stored.
type Docs = HashMap<Mrn, tamga_store::DeclarationRecord>;

/// What a batch of events touches: its declarations in first-seen order,
/// and those whose data the fold needs.
struct Touched {
    order: Vec<Mrn>,
    need_doc: HashSet<Mrn>,
}

impl Touched {
    fn of(events: &[LoggedEvent]) -> Touched {
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
        Touched { order, need_doc }
    }
}

/// Folds the events into the declarations' facts; records in `batch` the
/// tasks of declarations that left control and the labels of those that
/// reached a final state. Returns the declarations that went under
/// control (to dispatch).
fn fold(
    events: &[LoggedEvent],
    facts: &mut HashMap<Mrn, FactsRow>,
    docs: &Docs,
    batch: &mut OpsBatch,
) -> Vec<Mrn> {
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
        batch.labels.extend(super::labels::label_of(
            &e.mrn, e.at, &row.facts, before, after,
        ));
    }
    to_dispatch
}
