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
//! newly registered declarations and the events logged, with the ids the
//! commit reported, are handed to [`RecentRecords`] first.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, watch};

use tamga_core::codes::Mrn;
use tamga_core::lifecycle::{Event, EventBody};
use tamga_core::traders::DeclarationFacts;
use tamga_store::ops_sql::OpsEvent;
use tamga_store::{Alternative, Committed, DeclarationRecord, Store, Write, WriteOutcome};
use time::OffsetDateTime;

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
                let mut stored = Committed::default();
                match store.commit_numbered(&writes).await {
                    Ok(done) => {
                        let outcomes = done.outcomes.clone();
                        if recent.enabled() {
                            stored = done;
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

/// What was committed last, as stored: the records of the declarations
/// registered and the events logged. The operations pump takes them
/// instead of reading each new declaration and event back and parsing
/// them again. Only kept once a consumer [enables](RecentRecords::enable)
/// it, and bounded: beyond [`RECENT_MAX`] registrations and
/// [`EVENTS_MAX`] events the oldest are forgotten (also those the pump
/// handled before they were handed over, or never takes because it is
/// behind or stopped). What is not held is read from the store as before.
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
    /// By id. Batches are handed over from the blocking pool, so a later
    /// batch may arrive first: the map keeps them in id order.
    events: BTreeMap<i64, LoggedEvent>,
}

/// A committed event as the operations pump reads it: its id in the event
/// log, and its body for the kinds that change a declaration's facts
/// ([`DeclarationFacts::affected_by`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub id: i64,
    pub mrn: Mrn,
    pub kind: Cow<'static, str>,
    pub at: OffsetDateTime,
    pub body: Option<EventBody>,
}

impl LoggedEvent {
    fn held(id: i64, e: Event) -> LoggedEvent {
        let kind = e.body.kind();
        LoggedEvent {
            id,
            mrn: e.mrn,
            kind: Cow::Borrowed(kind),
            at: e.at,
            body: DeclarationFacts::affected_by(kind).then_some(e.body),
        }
    }

    /// As read from the store: the body is parsed when it is needed, and
    /// left out if it does not parse (nothing the pump could fold).
    pub fn read(e: OpsEvent) -> LoggedEvent {
        let body = if DeclarationFacts::affected_by(&e.kind) {
            serde_json::from_str(&e.body).ok()
        } else {
            None
        };
        LoggedEvent {
            id: e.id,
            mrn: e.mrn,
            kind: Cow::Owned(e.kind),
            at: e.at,
            body,
        }
    }
}

/// Registrations remembered: several pump passes' worth at thousands of
/// declarations a second (a pass runs every 200 ms under load), and a few
/// tens of MB at most.
const RECENT_MAX: usize = 8_192;
/// Events remembered: as many registrations' worth (six events each).
const EVENTS_MAX: usize = 6 * RECENT_MAX;

impl RecentRecords {
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Keeps the record stored by each new declaration of a committed
    /// batch and the events every write logged (`done` as the store
    /// reported the commit; empty when nothing was committed or nothing is
    /// kept), then frees the batch. A write whose stored events do not
    /// match the ids reported keeps none: the pump reads them.
    fn keep(&self, writes: Vec<Write>, done: &Committed) {
        if done.outcomes.is_empty() {
            return;
        }
        let mut new = Vec::new();
        let mut logged = Vec::new();
        for ((w, o), ids) in writes.into_iter().zip(&done.outcomes).zip(&done.event_ids) {
            let (record, events, payment) = match w {
                Write::Insert {
                    record,
                    events,
                    payment,
                    ..
                } => (Some(record), events, payment),
                Write::Update {
                    events, payment, ..
                } => (None, events, payment),
                Write::Notify { .. } => continue,
            };
            let (record, events) = match o {
                WriteOutcome::Committed => (record.map(|r| *r), events),
                WriteOutcome::Unsecured => {
                    let Some(alt) = payment.and_then(|p| p.otherwise) else {
                        continue;
                    };
                    let Alternative {
                        record: alt_record,
                        shared_events,
                        events: alt_events,
                        ..
                    } = *alt;
                    let mut stored = events;
                    stored.truncate(shared_events);
                    stored.extend(alt_events);
                    (record.map(|_| *alt_record), stored)
                }
                _ => continue,
            };
            new.extend(record);
            if events.len() == ids.len() {
                logged.extend(
                    ids.iter()
                        .zip(events)
                        .map(|(id, e)| LoggedEvent::held(*id, e)),
                );
            }
        }
        if new.is_empty() && logged.is_empty() {
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
        for e in logged {
            held.events.insert(e.id, e);
        }
        while held.events.len() > EVENTS_MAX {
            held.events.pop_first();
        }
    }

    /// Takes the records of these declarations that are held.
    pub fn take(&self, mrns: &[Mrn]) -> Vec<DeclarationRecord> {
        let Ok(mut held) = self.held.lock() else {
            return Vec::new();
        };
        mrns.iter().filter_map(|m| held.records.remove(m)).collect()
    }

    /// Takes the held events right after `after`, in order: ids `after + 1`,
    /// `after + 2`, … as far as they are held without a gap, at most
    /// `limit`. Empty when the next event is not held (the pump then reads
    /// the store). Events up to `after` are forgotten: the pump is past them.
    pub fn take_events(&self, after: i64, limit: usize) -> Vec<LoggedEvent> {
        let Ok(mut held) = self.held.lock() else {
            return Vec::new();
        };
        let Some(next) = after.checked_add(1) else {
            return Vec::new();
        };
        let rest = held.events.split_off(&next);
        held.events = rest;
        let mut out = Vec::new();
        let mut want = next;
        while out.len() < limit {
            match held.events.first_key_value() {
                Some((&id, _)) if id == want => {
                    if let Some((_, e)) = held.events.pop_first() {
                        out.push(e);
                    }
                    want += 1;
                }
                _ => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_core::codes::CountryCode;
    use tamga_core::declaration::Declaration;
    use tamga_core::lifecycle::Channel;
    use tamga_core::lifecycle::State;
    use tamga_sim::{Generator, GeneratorConfig};
    use tamga_store::{Payment, PaymentOp};

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
            original: None,
        }
    }

    /// As a commit of writes without events reports it.
    fn numbered(outcomes: &[WriteOutcome]) -> Committed {
        Committed {
            outcomes: outcomes.to_vec(),
            event_ids: vec![Vec::new(); outcomes.len()],
        }
    }

    fn sealed(r: &DeclarationRecord, bodies: Vec<EventBody>) -> Vec<Event> {
        let mut prev = String::new();
        bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let e = Event::seal(
                    &r.mrn,
                    i as u32 + 1,
                    tamga_core::lifecycle::Actor::System,
                    r.registered_at,
                    b,
                    &prev,
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    /// The events a commit logged are held with the ids it reported: the
    /// stored form's (for an unsecured write, the shared ones then its
    /// own), bodies only where they change facts. They are taken in id
    /// order without gaps, whatever order batches arrive in; a write whose
    /// ids do not match its events keeps none, and what the pump is past
    /// is forgotten.
    #[test]
    fn recent_events_are_taken_in_id_order_without_gaps() {
        use tamga_core::pipeline::PaymentResult;
        let recent = RecentRecords::default();
        let (a, b, c) = (
            record(1, State::Released),
            record(2, State::Released),
            record(3, State::Released),
        );
        let lodged = |r: &DeclarationRecord| EventBody::Registered { mrn: r.mrn.clone() };
        let released = EventBody::Released {
            automatic: true,
            signature: None,
        };
        let unsecured = EventBody::PaymentSecured {
            result: PaymentResult::Unsecured {
                currency: tamga_core::codes::CurrencyCode::parse("UZS").unwrap(),
                amount: rust_decimal::Decimal::ONE,
                reason: "short".into(),
            },
        };
        let with_events = |r: &DeclarationRecord, events: Vec<Event>, alt: Option<Alternative>| {
            let mut w = insert(r.clone(), None);
            if let Write::Insert {
                events: e, payment, ..
            } = &mut w
            {
                *e = events;
                *payment = alt.map(|alt| Payment {
                    op: PaymentOp::Secure {
                        accounts: Vec::new(),
                        amount: 1,
                        debit: true,
                    },
                    otherwise: Some(Box::new(alt)),
                });
            }
            w
        };
        let a_events = sealed(&a, vec![lodged(&a), released.clone()]);
        let b_events = sealed(&b, vec![lodged(&b), released.clone()]);
        let b_alt = sealed(&b, vec![lodged(&b), unsecured.clone()]);
        let c_events = sealed(&c, vec![lodged(&c)]);
        // The later batch (b, ids 13..) arrives first.
        recent.keep(
            vec![with_events(
                &b,
                b_events,
                Some(Alternative {
                    record: Box::new(b.clone()),
                    shared_events: 1,
                    events: b_alt[1..].to_vec(),
                    notifications: Vec::new(),
                }),
            )],
            &Committed {
                outcomes: vec![WriteOutcome::Unsecured],
                event_ids: vec![vec![13, 14]],
            },
        );
        assert!(recent.take_events(10, 100).is_empty(), "11 is not held yet");
        recent.keep(
            vec![
                with_events(&a, a_events.clone(), None),
                with_events(&c, c_events, None),
            ],
            &Committed {
                outcomes: vec![WriteOutcome::Committed, WriteOutcome::Committed],
                // c's one event reported with two ids: not kept.
                event_ids: vec![vec![11, 12], vec![15, 16]],
            },
        );
        let taken = recent.take_events(10, 3);
        let ids: Vec<i64> = taken.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![11, 12, 13]);
        assert_eq!(taken[0].kind, "registered");
        assert_eq!(taken[0].mrn, a.mrn);
        assert_eq!(taken[0].at, a_events[0].at);
        assert_eq!(taken[0].body.as_ref(), Some(&a_events[0].body));
        assert_eq!(taken[1].body.as_ref(), Some(&released));
        assert_eq!(taken[2].mrn, b.mrn);
        let rest = recent.take_events(13, 100);
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].id, rest[0].kind.as_ref()), (14, "payment_secured"));
        assert_eq!(rest[0].body.as_ref(), Some(&unsecured));
        // Nothing held after 14 (c's were not kept).
        assert!(recent.take_events(14, 100).is_empty());
        // Held events the pump is already past are dropped on the way.
        recent.keep(
            vec![with_events(&c, sealed(&c, vec![lodged(&c)]), None)],
            &Committed {
                outcomes: vec![WriteOutcome::Committed],
                event_ids: vec![vec![20]],
            },
        );
        assert!(recent.take_events(20, 100).is_empty());
        assert!(recent.held.lock().unwrap().events.is_empty());
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
                original: None,
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
        recent.keep(writes, &numbered(&outcomes));
        let all = [a.mrn.clone(), b.mrn.clone(), c.mrn.clone(), d.mrn.clone()];
        let taken = recent.take(&all);
        assert_eq!(taken.len(), 2);
        assert!(taken.contains(&a));
        assert!(taken.contains(&b_unsecured));
        // Taken means gone.
        assert!(recent.take(&all).is_empty());
        // Nothing committed (or nothing to keep): nothing kept.
        recent.keep(vec![insert(c, None)], &Committed::default());
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
            recent.keep(writes, &numbered(&outcomes));
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
