//! The officer workbench and the subject-oriented side of risk (issue 4),
//! as a facade over its concerns: the trader digital twin ([`twin`]) and
//! the trader profiles and AEO status people see of it ([`traders`]),
//! the traders' directory with their inspections and findings
//! ([`directory`]), inspectors and their competences ([`inspectors`]), automatic
//! dispatching of controlled declarations ([`dispatch`]), inspection tasks
//! ([`tasks`]) with their results and findings ([`results`]), and labels
//! for the learning model ([`labels`]).
//!
//! One background task, the *operations pump* ([`pump`]), follows the
//! event log (woken by [`Clearance::commits`], debounced, plus a catch-up
//! pass at start and a scheduled pass): it folds each declaration's events
//! into [`DeclarationFacts`], moves its contribution in its declarant's
//! [`TraderMetrics`] (old out, new in: the cost is per event, not per
//! history), reassesses the traders touched, opens a task for every
//! declaration that went under control and dispatches it, closes tasks of
//! declarations that left control, and labels released or refused
//! declarations; all of one pass is written in one transaction with the
//! new cursor. The twin lives in memory ([`Twin`]) and is what the lodging
//! path reads ([`TraderContexts`]): a read lock and a hash lookup.
//!
//! [`DeclarationFacts`]: tamga_core::traders::DeclarationFacts
//! [`TraderMetrics`]: tamga_core::traders::TraderMetrics
//! [`TraderContexts`]: crate::clearance::TraderContexts

mod directory;
mod dispatch;
mod inspectors;
mod labels;
mod pump;
mod results;
mod tasks;
mod traders;
mod twin;

pub use directory::{TraderControls, TraderDirectory, TraderSummary, SEARCH_MAX};
pub use inspectors::InspectorView;
pub use results::{parse_result, summarize, FINDING_KINDS};
pub use tasks::{TaskDetail, TaskView};
pub use traders::TraderProfile;
pub use twin::Twin;

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;

use tamga_core::codes::Eori;
use tamga_core::lifecycle::EventBody;
use tamga_core::profiles::TraderContext;
use tamga_core::risk::RiskDecision;
use tamga_store::{Role, Store, User};

use crate::clearance::TraderContexts;
use crate::error::AppError;
use crate::{Caller, Clearance};

use pump::Pump;
use tasks::TaskGuard;
use twin::Entry;

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

/// The workbench service (see the module docs).
pub struct Workbench {
    clearance: Arc<Clearance>,
    twin: Arc<Twin>,
    /// Nudges the pump (inspectors changed: dispatch the queue again).
    wake: Arc<Notify>,
}

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
        let twin = Arc::new(Twin::load(store.as_ref()).await?);
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
        // Another instance's pump moved the twin: read it again.
        let weak = Arc::downgrade(&wb);
        let alive = weak.clone();
        crate::epochs::spawn_watch(
            store,
            &[crate::epochs::OPS],
            move || alive.strong_count() > 0,
            Box::new(move |_| {
                let weak = weak.clone();
                Box::pin(async move {
                    let Some(wb) = weak.upgrade() else {
                        return true;
                    };
                    wb.twin
                        .reload(wb.store().as_ref())
                        .await
                        .map_err(|e| tracing::warn!(error = %e, "could not reload the trader twin"))
                        .is_ok()
                })
            }),
        );
        Ok(wb)
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.clearance.store()
    }

    /// What the risk stage receives for `op` today.
    pub fn context(&self, op: &Eori) -> TraderContext {
        self.twin.context(op, OffsetDateTime::now_utc().date())
    }
}
