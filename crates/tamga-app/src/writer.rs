//! Group commit: one task owns all declaration writes. Requests queue on a
//! channel; the task takes everything waiting (up to a batch limit), commits
//! it in one durable transaction and answers each request. Under load many
//! declarations share one fsync; alone, a request is committed at once.
//!
//! Invariant: a caller is answered only after its write is durable (or has
//! definitely failed), so an acknowledged declaration survives `kill -9`.
//!
//! On SQLite the commit loop runs on a thread of its own (`tamga-writer`,
//! with a single-threaded runtime), not among the runtime's workers: the loop is
//! the serial part of lodging, and on a worker it would wait behind the
//! lodgings' CPU-heavy control, signature and duty work every time a
//! statement's answer woke it. Its own thread is scheduled by the OS as
//! soon as it is woken. (On PostgreSQL it stays a task: a connection's
//! socket belongs to the runtime that opened it.) Committed writes are
//! dropped on the runtime's blocking pool, off that serial path; there the
//! newly registered declarations are handed to [`RecentRecords`] first.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, watch};

use tamga_core::codes::Mrn;
use tamga_store::{DeclarationRecord, Store, Write, WriteOutcome};

use crate::error::AppError;

type Reply = oneshot::Sender<Result<WriteOutcome, AppError>>;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<(Write, Reply)>,
}

impl Writer {
    /// Starts the writer task. `committed` is bumped after every successful
    /// commit, so push delivery can wake up.
    pub fn spawn(
        store: Arc<dyn Store>,
        max_batch: usize,
        committed: watch::Sender<u64>,
        recent: Arc<RecentRecords>,
    ) -> Writer {
        let (tx, mut rx) = mpsc::channel::<(Write, Reply)>(max_batch * 4);
        let runtime = tokio::runtime::Handle::current();
        let own_thread = store.connections_on_own_threads();
        let commit_loop = async move {
            let mut writes = Vec::with_capacity(max_batch);
            let mut replies = Vec::with_capacity(max_batch);
            while let Some((w, r)) = rx.recv().await {
                writes.push(w);
                replies.push(r);
                while writes.len() < max_batch {
                    match rx.try_recv() {
                        Ok((w, r)) => {
                            writes.push(w);
                            replies.push(r);
                        }
                        Err(_) => break,
                    }
                }
                let mut stored = Vec::new();
                match store.commit(&writes).await {
                    Ok(outcomes) => {
                        if recent.enabled() {
                            stored = outcomes.clone();
                        }
                        committed.send_modify(|n| *n += 1);
                        for (reply, outcome) in replies.drain(..).zip(outcomes) {
                            let _ = reply.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, batch = writes.len(), "group commit failed");
                        let msg = e.to_string();
                        for reply in replies.drain(..) {
                            let _ = reply
                                .send(Err(AppError::Unavailable(format!("commit failed: {msg}"))));
                        }
                    }
                }
                // Freeing a batch (declarations, duty explanations) is
                // not the serial path's work.
                let done = std::mem::replace(&mut writes, Vec::with_capacity(max_batch));
                let recent = recent.clone();
                runtime.spawn_blocking(move || recent.keep(done, &stored));
            }
        };
        // Only a store whose connections run on threads of their own can be
        // driven from a runtime of its own. A PostgreSQL connection's socket
        // belongs to the runtime that opened it: there the loop stays on the
        // main runtime, or connections it opened would be served only when
        // the writer is idle, and break if it stops.
        if !own_thread {
            tokio::spawn(commit_loop);
            return Writer { tx };
        }
        let started = std::thread::Builder::new()
            .name("tamga-writer".into())
            .spawn(|| {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(commit_loop),
                    // Dropping the loop drops the receiver: every write
                    // is answered "writer stopped".
                    Err(e) => tracing::error!(error = %e, "cannot start the writer runtime"),
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the writer thread");
        }
        Writer { tx }
    }

    /// Queues a write and waits until it is durable.
    pub async fn write(&self, w: Write) -> Result<WriteOutcome, AppError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((w, tx))
            .await
            .map_err(|_| AppError::Unavailable("writer stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Unavailable("writer stopped".into()))?
    }
}

/// The records of the declarations registered last, as stored: the
/// operations pump takes them instead of reading each new declaration back
/// and parsing its document again. Only kept once a consumer
/// [enables](RecentRecords::enable) it, and bounded: beyond
/// [`RECENT_MAX`] registrations the oldest are forgotten (also those the
/// pump handled before they were handed over, or never takes because it is
/// behind or stopped). A record not held is read from the store as before.
#[derive(Default)]
pub struct RecentRecords {
    enabled: AtomicBool,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    records: HashMap<Mrn, DeclarationRecord>,
    /// Registration order of the records kept, taken ones included; its
    /// length bounds `records`.
    order: VecDeque<Mrn>,
}

/// Registrations remembered: several pump passes' worth at thousands of
/// declarations a second (a pass runs every 200 ms under load), and a few
/// tens of MB at most.
const RECENT_MAX: usize = 8_192;

impl RecentRecords {
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Keeps the record stored by each new declaration of a committed
    /// batch (`outcomes` in batch order; empty when nothing was committed
    /// or nothing is kept), then frees the batch.
    fn keep(&self, writes: Vec<Write>, outcomes: &[WriteOutcome]) {
        if outcomes.is_empty() {
            return;
        }
        let mut new = Vec::new();
        for (w, o) in writes.into_iter().zip(outcomes) {
            let Write::Insert {
                record, payment, ..
            } = w
            else {
                continue;
            };
            match o {
                WriteOutcome::Committed => new.push(*record),
                WriteOutcome::Unsecured => {
                    if let Some(alt) = payment.and_then(|p| p.otherwise) {
                        new.push(*alt.record);
                    }
                }
                _ => {}
            }
        }
        if new.is_empty() {
            return;
        }
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        let held = &mut *held;
        for r in new {
            held.order.push_back(r.mrn.clone());
            held.records.insert(r.mrn.clone(), r);
        }
        while held.order.len() > RECENT_MAX {
            if let Some(m) = held.order.pop_front() {
                held.records.remove(&m);
            }
        }
    }

    /// Takes the records of these declarations that are held.
    pub fn take(&self, mrns: &[Mrn]) -> Vec<DeclarationRecord> {
        let Ok(mut held) = self.held.lock() else {
            return Vec::new();
        };
        mrns.iter().filter_map(|m| held.records.remove(m)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_core::codes::CountryCode;
    use tamga_core::declaration::Declaration;
    use tamga_core::lifecycle::Channel;
    use tamga_core::lifecycle::State;
    use tamga_core::synth::{Generator, GeneratorConfig};
    use tamga_store::{Alternative, Payment, PaymentOp};
    use time::OffsetDateTime;

    fn record(seq: u64, state: State) -> DeclarationRecord {
        let today = OffsetDateTime::now_utc().date();
        let mut cfg = GeneratorConfig::demo(1, today, seq);
        cfg.error_share = Some(0.0);
        let reference = crate::reference::shipped().unwrap();
        let body = Generator::new(cfg, &reference).unwrap().next().body;
        let declaration: Declaration = serde_json::from_slice(&body).unwrap();
        let mrn = Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            seq,
            tamga_core::codes::MrnCategory::Import,
        )
        .unwrap();
        DeclarationRecord {
            mrn,
            lrn: declaration.lrn.clone(),
            declaration_type: declaration.declaration_type,
            declarant: declaration.declarant_id().unwrap().clone(),
            representative: None,
            lodged_by: declaration.declarant_id().unwrap().clone(),
            office: declaration.declaration_office.clone(),
            state,
            channel: Channel::Green,
            version: 1,
            body_sha256: String::new(),
            registered_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            last_seq: 4,
            last_hash: String::new(),
            declaration,
        }
    }

    fn insert(r: DeclarationRecord, otherwise: Option<DeclarationRecord>) -> Write {
        Write::Insert {
            record: Box::new(r),
            events: Vec::new(),
            notifications: Vec::new(),
            payment: otherwise.map(|o| Payment {
                op: PaymentOp::Secure {
                    accounts: Vec::new(),
                    amount: 1,
                    debit: true,
                },
                otherwise: Some(Box::new(Alternative {
                    record: Box::new(o),
                    shared_events: 0,
                    events: Vec::new(),
                    notifications: Vec::new(),
                })),
            }),
            quota_draws: Vec::new(),
        }
    }

    /// The form a write stored is kept, once per registration; updates and
    /// writes that stored nothing are not.
    #[test]
    fn recent_records_keep_the_stored_form_of_new_declarations() {
        let recent = RecentRecords::default();
        let (a, b, c, d) = (
            record(1, State::Released),
            record(2, State::Released),
            record(3, State::Released),
            record(4, State::Released),
        );
        let b_unsecured = DeclarationRecord {
            state: State::AwaitingPayment,
            ..b.clone()
        };
        let writes = vec![
            insert(a.clone(), None),
            insert(b.clone(), Some(b_unsecured.clone())),
            insert(c.clone(), None),
            Write::Update {
                record: Box::new(d.clone()),
                expected_last_seq: 3,
                events: Vec::new(),
                notifications: Vec::new(),
                payment: None,
            },
        ];
        let outcomes = [
            WriteOutcome::Committed,
            WriteOutcome::Unsecured,
            WriteOutcome::DuplicateLrn {
                existing: a.mrn.clone(),
            },
            WriteOutcome::Committed,
        ];
        recent.keep(writes, &outcomes);
        let all = [a.mrn.clone(), b.mrn.clone(), c.mrn.clone(), d.mrn.clone()];
        let taken = recent.take(&all);
        assert_eq!(taken.len(), 2);
        assert!(taken.contains(&a));
        assert!(taken.contains(&b_unsecured));
        // Taken means gone.
        assert!(recent.take(&all).is_empty());
        // Nothing committed (or nothing to keep): nothing kept.
        recent.keep(vec![insert(c, None)], &[]);
        assert!(recent.take(&all).is_empty());
    }

    /// Records never taken are forgotten oldest first once more than
    /// RECENT_MAX registrations have followed them.
    #[test]
    fn recent_records_forget_the_oldest_beyond_the_bound() {
        let recent = RecentRecords::default();
        let template = record(1, State::Released);
        let mrns: Vec<Mrn> = (1..=RECENT_MAX as u64 + 2)
            .map(|seq| {
                Mrn::generate(
                    2026,
                    &CountryCode::parse("UZ").unwrap(),
                    seq,
                    tamga_core::codes::MrnCategory::Import,
                )
                .unwrap()
            })
            .collect();
        for chunk in mrns.chunks(1000) {
            let writes: Vec<Write> = chunk
                .iter()
                .map(|m| {
                    insert(
                        DeclarationRecord {
                            mrn: m.clone(),
                            ..template.clone()
                        },
                        None,
                    )
                })
                .collect();
            let outcomes = vec![WriteOutcome::Committed; writes.len()];
            recent.keep(writes, &outcomes);
        }
        let held = recent.held.lock().unwrap();
        assert_eq!(held.order.len(), RECENT_MAX);
        assert_eq!(held.records.len(), RECENT_MAX);
        assert!(!held.records.contains_key(&mrns[0]));
        assert!(!held.records.contains_key(&mrns[1]));
        assert!(held.records.contains_key(&mrns[2]));
        assert!(held.records.contains_key(mrns.last().unwrap()));
    }
}
