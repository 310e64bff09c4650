//! The trader digital twin in memory: per trader its metrics, AEO status,
//! registration and current assessment, what the risk stage reads.

use std::collections::HashMap;
use std::sync::RwLock;

use time::{Date, OffsetDateTime};

use tamga_core::codes::Eori;
use tamga_core::profiles::{TraderCategory, TraderContext};
use tamga_core::traders::{self, Assessment, TraderMetrics};
use tamga_store::ops_sql::NewSnapshot;
use tamga_store::Store;

use crate::clearance::TraderContexts;
use crate::error::AppError;

/// One trader in memory.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) metrics: TraderMetrics,
    pub(super) aeo: bool,
    pub(super) registered: Option<Date>,
    /// As of the last reassessment.
    pub(super) assessment: Assessment,
    /// The last snapshot stored.
    pub(super) snapshot: Option<(Assessment, TraderMetrics)>,
}

impl Entry {
    pub(super) fn days(&self, today: Date) -> i64 {
        self.registered
            .map(|r| traders::days_between(r, today))
            .unwrap_or(0)
    }
}

/// The trader digital twin in memory; installed as the clearance's
/// source of trader contexts.
#[derive(Default)]
pub struct Twin {
    pub(super) map: RwLock<HashMap<Eori, Entry>>,
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
    pub(super) fn reassess(
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
    /// The twin as stored: every operator, its AEO status, its metrics and
    /// last snapshot, each assessed as of today.
    pub(super) async fn load(store: &dyn Store) -> Result<Twin, AppError> {
        let twin = Twin::default();
        let operators = store.ops_operators().await?;
        let aeo = store.aeo_all().await?;
        let rows = store.trader_metrics_all().await?;
        let today = OffsetDateTime::now_utc().date();
        {
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
        Ok(twin)
    }

    pub(super) fn reassess(
        &self,
        op: &Eori,
        now: OffsetDateTime,
        metrics_too: bool,
    ) -> Option<NewSnapshot> {
        let mut map = self.map.write().expect("lock");
        map.get_mut(op)?.reassess(op, now, metrics_too)
    }

    /// Reads the whole twin from the store again (another instance's pump
    /// moved it).
    pub(super) async fn reload(&self, store: &dyn Store) -> Result<(), AppError> {
        let fresh = Twin::load(store).await?;
        let map = std::mem::take(&mut *fresh.map.write().expect("lock"));
        *self.map.write().expect("lock") = map;
        Ok(())
    }

    /// Installs entries computed by the pump once they are stored, keeping
    /// an AEO status changed in the meantime.
    pub(super) fn install(&self, entries: HashMap<Eori, Entry>, today: Date) {
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

    pub(super) fn default_entry(registered: Option<Date>) -> Entry {
        Entry {
            metrics: TraderMetrics::default(),
            aeo: false,
            registered,
            assessment: traders::assess(&TraderMetrics::default(), false, 0),
            snapshot: None,
        }
    }

    pub(super) fn entry_mut<'a>(
        map: &'a mut HashMap<Eori, Entry>,
        op: &Eori,
        registered: Option<Date>,
    ) -> &'a mut Entry {
        map.entry(op.clone())
            .or_insert_with(|| Self::default_entry(registered))
    }
}
