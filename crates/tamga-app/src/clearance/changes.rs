//! Changing a stored declaration: seal events onto its hash chain and
//! commit them, with the new projection, the notifications and the money
//! the change moves, as one write through the group commit.
//!
//! Invariants:
//! - Every event is checked by [`transition`] as it is sealed: the
//!   projection's state is always what the events give.
//! - A change commits only onto the chain it was built on (the expected
//!   last sequence number); otherwise it is [`AppError::Stale`].
//! - A change that moves money stores whichever of its forms the ledger's
//!   answer selects, never one without its money.

use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::{transition, Actor, Event, EventBody, NotificationKind, State};
use tamga_store::{
    Alternative, DeclarationRecord, Original, Payment, PaymentOp, Write, WriteOutcome,
};

use super::notify::{make_notifications, notification_payload, recipients};
use super::Clearance;
use crate::error::AppError;

/// A change to a declaration: events, possibly a new declaration body and
/// version, and the notifications to send.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub(super) bodies: Vec<(Actor, EventBody)>,
    pub(super) new_declaration: Option<(Declaration, u32)>,
    pub(super) kinds: Vec<NotificationKind>,
    /// Whose account pays, where a notification names it (waiting for
    /// payment: the payment reference to quote).
    pub(super) payer: Option<Eori>,
    /// The message of the act, when it came as one (an amendment or a
    /// cancellation sent as DEC-DMS XML): stored in the same commit.
    pub(super) original: Option<Box<Original>>,
}

impl Clearance {
    /// Applies events to an existing declaration and commits them.
    pub(super) async fn change(
        &self,
        rec: DeclarationRecord,
        bodies: Vec<(Actor, EventBody)>,
        new_declaration: Option<(Declaration, u32)>,
        kinds: &[NotificationKind],
    ) -> Result<DeclarationRecord, AppError> {
        self.change_with(rec, bodies, new_declaration, kinds, None)
            .await
    }

    /// [`Self::change`], storing the message of the act (`original`) in
    /// the same commit.
    pub(super) async fn change_with(
        &self,
        rec: DeclarationRecord,
        bodies: Vec<(Actor, EventBody)>,
        new_declaration: Option<(Declaration, u32)>,
        kinds: &[NotificationKind],
        original: Option<Box<Original>>,
    ) -> Result<DeclarationRecord, AppError> {
        let change = Change {
            bodies,
            new_declaration,
            kinds: kinds.to_vec(),
            payer: None,
            original,
        };
        self.change_paying(rec, change, None).await
    }

    /// The record after `change`, its events and notifications.
    fn form(
        &self,
        mut rec: DeclarationRecord,
        change: Change,
        now: OffsetDateTime,
    ) -> Result<Alternative, AppError> {
        let (events, state, last_hash) = seal(
            &rec.mrn,
            rec.last_seq,
            &rec.last_hash,
            Some(rec.state),
            now,
            change.bodies,
        )?;
        rec.state = state;
        rec.updated_at = now;
        rec.last_seq += events.len() as u32;
        rec.last_hash = last_hash;
        if let Some((d, version)) = change.new_declaration {
            rec.declaration = d;
            rec.version = version;
        }
        let recipients = recipients(&rec.lodged_by, Some(&rec.declarant));
        let mut notifications = Vec::new();
        for kind in change.kinds {
            notifications.extend(make_notifications(
                &recipients,
                kind,
                Some(&rec.mrn),
                Some(&rec.lrn),
                now,
                notification_payload(kind, &rec, events.iter(), &[], change.payer.as_ref()),
            ));
        }
        Ok(Alternative {
            record: Box::new(rec),
            shared_events: 0,
            events,
            notifications,
        })
    }

    /// Commits a change to a declaration together with the money it moves
    /// (`payment`: the ledger operation, and the change to store instead
    /// if the duties cannot be secured). [`AppError::PaymentNotSecured`]
    /// when they cannot and there is no other change.
    pub(super) async fn change_paying(
        &self,
        rec: DeclarationRecord,
        mut change: Change,
        payment: Option<(PaymentOp, Option<Change>)>,
    ) -> Result<DeclarationRecord, AppError> {
        let now = OffsetDateTime::now_utc();
        let original = change.original.take();
        let expected = rec.last_seq;
        let (payment, otherwise) = match payment {
            Some((op, alt)) => {
                let alt = match alt {
                    Some(c) => Some(Box::new(self.form(rec.clone(), c, now)?)),
                    None => None,
                };
                (
                    Some(Payment {
                        op,
                        otherwise: alt.clone(),
                    }),
                    alt,
                )
            }
            None => (None, None),
        };
        let primary = self.form(rec, change, now)?;
        match self
            .writer
            .write(Write::Update {
                record: primary.record.clone(),
                expected_last_seq: expected,
                events: primary.events,
                notifications: primary.notifications,
                payment,
                original,
            })
            .await?
        {
            WriteOutcome::Committed => Ok(*primary.record),
            WriteOutcome::Unsecured => otherwise
                .map(|a| *a.record)
                .ok_or_else(|| AppError::Unavailable("stored a form that does not exist".into())),
            WriteOutcome::Insufficient { available } => Err(AppError::PaymentNotSecured {
                mrn: primary.record.mrn.to_string(),
                due: self.due_of(&primary.record).await?,
                available: self.accounts.decimal(available),
            }),
            WriteOutcome::Stale
            | WriteOutcome::DuplicateLrn { .. }
            | WriteOutcome::QuotaExhausted { .. } => Err(AppError::Stale),
        }
    }

    /// Ends a declaration without release (an invalidation or a refusal:
    /// `actor`'s one event, notified as `kind`): its reservation, if any,
    /// goes back to the declarant's available funds in the same commit,
    /// then its quota draws (deleted in that transaction) go back to the
    /// balances in memory too. `events` are the declaration's events;
    /// `original` the message of the act, when it came as one.
    pub(super) async fn close_unreleased(
        &self,
        rec: DeclarationRecord,
        events: &[Event],
        event: (Actor, EventBody),
        kind: NotificationKind,
        original: Option<Box<Original>>,
    ) -> Result<super::Accepted, AppError> {
        let change = Change {
            bodies: vec![event],
            new_declaration: None,
            kinds: vec![kind],
            payer: None,
            original,
        };
        let rec = self
            .change_paying(rec, change, Some((PaymentOp::Release, None)))
            .await?;
        self.return_quota(&Self::quota_draws_of(events));
        Ok(super::Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }
}

/// Seals `bodies` onto a chain after `last_seq`/`prev_hash`, checking each
/// transition. Returns the events, the final state and the last hash.
pub(super) fn seal(
    mrn: &Mrn,
    last_seq: u32,
    prev_hash: &str,
    mut state: Option<State>,
    at: OffsetDateTime,
    bodies: Vec<(Actor, EventBody)>,
) -> Result<(Vec<Event>, State, String), AppError> {
    let mut prev = prev_hash.to_owned();
    let mut events = Vec::with_capacity(bodies.len());
    for (i, (actor, body)) in bodies.into_iter().enumerate() {
        state = Some(transition(state, &body)?);
        let e = Event::seal(mrn, last_seq + i as u32 + 1, actor, at, body, &prev);
        prev = e.hash.clone();
        events.push(e);
    }
    let state = state.ok_or_else(|| AppError::Unavailable("no events to seal".into()))?;
    Ok((events, state, prev))
}
