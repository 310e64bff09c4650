//! Planning a group commit: the writes of a batch encoded to column values
//! (the declaration, its events and notifications, in either of a write's
//! forms), which form of each is stored given the outcome of its insert
//! (a duplicate LRN, a stale update), and the rows derived from the stored
//! ones (quota draws, originals). Both backends commit the plan; the SQL is
//! theirs.

use tamga_core::lifecycle::{Event, NewNotification};

use tamga_core::codes::{Eori, Lrn, Mrn};

use crate::codec::{corrupt, mrn, nanos, to_json};
use crate::{
    Alternative, DeclarationRecord, Original, Payment, PaymentOp, QuotaDrawRecord, Result, Write,
    WriteOutcome,
};

/// A declaration projection encoded to column values.
pub(crate) struct DeclRow<'a> {
    /// The record itself (typed, for rows derived from it such as
    /// [`crate::value_sql`]).
    pub record: &'a DeclarationRecord,
    pub mrn: &'a str,
    pub lrn: &'a str,
    pub declarant: &'a str,
    pub representative: Option<&'a str>,
    pub lodged_by: &'a str,
    pub office: &'a str,
    pub declaration_type: &'static str,
    pub state: &'static str,
    pub channel: &'static str,
    pub version: i64,
    pub body_sha256: &'a str,
    pub registered_at: i64,
    pub updated_at: i64,
    pub last_seq: i64,
    pub last_hash: &'a str,
    pub doc: String,
}

impl<'a> DeclRow<'a> {
    fn new(r: &'a DeclarationRecord) -> Result<Self> {
        Ok(DeclRow {
            record: r,
            mrn: r.mrn.as_str(),
            lrn: r.lrn.as_str(),
            declarant: r.declarant.as_str(),
            representative: r.representative.as_ref().map(Eori::as_str),
            lodged_by: r.lodged_by.as_str(),
            office: r.office.as_str(),
            declaration_type: r.declaration_type.as_str(),
            state: r.state.as_str(),
            channel: r.channel.as_str(),
            version: i64::from(r.version),
            body_sha256: &r.body_sha256,
            registered_at: nanos(r.registered_at)?,
            updated_at: nanos(r.updated_at)?,
            last_seq: i64::from(r.last_seq),
            last_hash: &r.last_hash,
            doc: to_json(&r.declaration)?,
        })
    }
}

#[derive(Clone)]
pub(crate) struct EventRow<'a> {
    /// The event itself (the typed body, for rows derived from it such as
    /// [`crate::score_rows`]).
    pub event: &'a Event,
    pub mrn: &'a str,
    pub seq: i64,
    pub actor: String,
    pub at: i64,
    pub kind: &'static str,
    pub body: std::borrow::Cow<'a, str>,
    pub payload_hash: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl<'a> EventRow<'a> {
    fn new(e: &'a Event) -> Result<Self> {
        Ok(EventRow {
            event: e,
            mrn: e.mrn.as_str(),
            seq: i64::from(e.seq),
            actor: to_json(&e.actor)?,
            at: nanos(e.at)?,
            kind: e.body.kind(),
            body: e
                .payload_json()
                .map_err(|err| corrupt(format!("cannot serialize: {err}")))?,
            payload_hash: &e.payload_hash,
            prev_hash: &e.prev_hash,
            hash: &e.hash,
        })
    }
}

pub(crate) struct NotificationRow<'a> {
    pub recipient: &'a str,
    pub kind: &'static str,
    pub mrn: Option<&'a str>,
    pub lrn: Option<&'a str>,
    pub at: i64,
    pub payload: String,
}

impl<'a> NotificationRow<'a> {
    fn new(n: &'a NewNotification) -> Result<Self> {
        Ok(NotificationRow {
            recipient: n.recipient.as_str(),
            kind: n.kind.as_str(),
            mrn: n.mrn.as_ref().map(Mrn::as_str),
            lrn: n.lrn.as_ref().map(Lrn::as_str),
            at: nanos(n.at)?,
            payload: to_json(&n.payload)?,
        })
    }
}

/// One write, encoded.
pub(crate) struct Prepared<'a> {
    pub kind: PreparedKind,
    pub decl: Option<DeclRow<'a>>,
    pub expected_last_seq: i64,
    pub events: Vec<EventRow<'a>>,
    pub notifications: Vec<NotificationRow<'a>>,
    /// Money moved with the write.
    pub payment: Option<&'a PaymentOp>,
    /// The form stored when the payment cannot be secured, encoded only
    /// if it is chosen ([`chosen`]).
    pub otherwise: Option<&'a Alternative>,
    /// Quota draws, stored with either form.
    pub quota: &'a [QuotaDrawRecord],
    /// The message lodged, stored with either form.
    pub original: Option<&'a Original>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PreparedKind {
    Insert,
    Update,
    Notify,
}

fn prepared<'a>(
    kind: PreparedKind,
    record: Option<&'a DeclarationRecord>,
    expected_last_seq: i64,
    events: &'a [Event],
    notifications: &'a [NewNotification],
    payment: Option<&'a Payment>,
) -> Result<Prepared<'a>> {
    Ok(Prepared {
        kind,
        decl: record.map(DeclRow::new).transpose()?,
        expected_last_seq,
        events: events.iter().map(EventRow::new).collect::<Result<_>>()?,
        notifications: notifications
            .iter()
            .map(NotificationRow::new)
            .collect::<Result<_>>()?,
        payment: payment.map(|p| &p.op),
        otherwise: payment.and_then(|p| p.otherwise.as_deref()),
        quota: &[],
        original: None,
    })
}

/// The other form of `p`, encoded: its record, the events it shares with
/// `p`, its own events and notifications.
fn other_form<'a>(p: &Prepared<'a>, alt: &'a Alternative) -> Result<Prepared<'a>> {
    let shared = p.events.get(..alt.shared_events).ok_or_else(|| {
        corrupt(format!(
            "the other form keeps {} events of a write that has {}",
            alt.shared_events,
            p.events.len()
        ))
    })?;
    let mut events = shared.to_vec();
    for e in &alt.events {
        events.push(EventRow::new(e)?);
    }
    Ok(Prepared {
        kind: p.kind,
        decl: Some(DeclRow::new(&alt.record)?),
        expected_last_seq: p.expected_last_seq,
        events,
        notifications: alt
            .notifications
            .iter()
            .map(NotificationRow::new)
            .collect::<Result<_>>()?,
        payment: None,
        otherwise: None,
        quota: &[],
        original: None,
    })
}

/// The form of a write chosen to be stored.
pub(crate) enum Form<'p, 'a> {
    Given(&'p Prepared<'a>),
    Other(Box<Prepared<'a>>),
}

impl<'a> std::ops::Deref for Form<'_, 'a> {
    type Target = Prepared<'a>;
    fn deref(&self) -> &Prepared<'a> {
        match self {
            Form::Given(p) => p,
            Form::Other(p) => p,
        }
    }
}

pub(crate) fn prepare(writes: &[Write]) -> Result<Vec<Prepared<'_>>> {
    writes
        .iter()
        .map(|w| match w {
            Write::Insert {
                record,
                events,
                notifications,
                payment,
                quota_draws,
                original,
            } => prepared(
                PreparedKind::Insert,
                Some(record),
                0,
                events,
                notifications,
                payment.as_ref(),
            )
            .map(|p| Prepared {
                quota: quota_draws,
                original: original.as_deref(),
                ..p
            }),
            Write::Update {
                record,
                expected_last_seq,
                events,
                notifications,
                payment,
                original,
            } => prepared(
                PreparedKind::Update,
                Some(record),
                i64::from(*expected_last_seq),
                events,
                notifications,
                payment.as_ref(),
            )
            .map(|p| Prepared {
                original: original.as_deref(),
                ..p
            }),
            Write::Notify { notifications } => {
                prepared(PreparedKind::Notify, None, 0, &[], notifications, None)
            }
        })
        .collect()
}

/// The forms stored by a commit, in write order: those whose outcome is
/// still written after every step (an update may have turned stale).
pub(crate) fn stored<'p, 'a>(
    chosen: &'p [Option<Form<'p, 'a>>],
    outcomes: &[WriteOutcome],
) -> Vec<&'p Prepared<'a>> {
    chosen
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| o.is_written())
        .filter_map(|(p, _)| p.as_deref())
        .collect()
}

/// Hands the ids the stored events received (in insertion order: the
/// [`stored`] forms' events, one form after the other) back to the
/// writes they belong to.
pub(crate) fn event_ids(
    chosen: &[Option<Form<'_, '_>>],
    outcomes: &[WriteOutcome],
    ids: Vec<i64>,
) -> Result<Vec<Vec<i64>>> {
    let expected: usize = stored(chosen, outcomes)
        .iter()
        .map(|p| p.events.len())
        .sum();
    if ids.len() != expected {
        return Err(corrupt(format!(
            "{} event ids for {expected} stored events",
            ids.len()
        )));
    }
    let mut ids = ids.into_iter();
    Ok(chosen
        .iter()
        .zip(outcomes)
        .map(|(p, o)| match p {
            Some(p) if o.is_written() => ids.by_ref().take(p.events.len()).collect(),
            _ => Vec::new(),
        })
        .collect())
}

/// The form of each write to store given its outcome (`None`: nothing).
pub(crate) fn chosen<'p, 'a>(
    prepared: &'p [Prepared<'a>],
    outcomes: &[WriteOutcome],
) -> Result<Vec<Option<Form<'p, 'a>>>> {
    prepared
        .iter()
        .zip(outcomes)
        .map(|(p, o)| match (o, p.otherwise) {
            (WriteOutcome::Committed, _) => Ok(Some(Form::Given(p))),
            (WriteOutcome::Unsecured, Some(alt)) => {
                Ok(Some(Form::Other(Box::new(other_form(p, alt)?))))
            }
            _ => Ok(None),
        })
        .collect()
}

/// Decides the outcome of every insert given the (declarant, lrn) pairs
/// already stored: a pair stored or claimed earlier in the batch is a
/// duplicate. Updates and notifications start as committed.
pub(crate) fn insert_outcomes(
    prepared: &[Prepared<'_>],
    existing: std::collections::HashMap<(String, String), String>,
) -> Result<Vec<WriteOutcome>> {
    let mut claimed: std::collections::HashMap<(&str, &str), Mrn> =
        std::collections::HashMap::new();
    for ((declarant, lrn), m) in &existing {
        claimed.insert((declarant.as_str(), lrn.as_str()), mrn(m.clone())?);
    }
    let mut outcomes = Vec::with_capacity(prepared.len());
    for p in prepared {
        let outcome = match (&p.kind, &p.decl) {
            (PreparedKind::Insert, Some(d)) => match claimed.get(&(d.declarant, d.lrn)) {
                Some(m) => WriteOutcome::DuplicateLrn {
                    existing: m.clone(),
                },
                None => {
                    claimed.insert((d.declarant, d.lrn), mrn(d.mrn.to_owned())?);
                    WriteOutcome::Committed
                }
            },
            _ => WriteOutcome::Committed,
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The quota draws of the written inserts: (MRN, draw).
pub(crate) fn quota_rows<'p>(
    prepared: &'p [Prepared<'_>],
    outcomes: &[WriteOutcome],
) -> Vec<(&'p str, &'p QuotaDrawRecord)> {
    prepared
        .iter()
        .zip(outcomes)
        .filter(|(p, o)| o.is_written() && p.kind == PreparedKind::Insert)
        .filter_map(|(p, _)| p.decl.as_ref().map(|d| (d.mrn, p.quota)))
        .flat_map(|(mrn, q)| q.iter().map(move |q| (mrn, q)))
        .collect()
}

/// The originals of the written inserts and updates: (MRN, original).
pub(crate) fn original_rows<'p>(
    prepared: &'p [Prepared<'_>],
    outcomes: &[WriteOutcome],
) -> Vec<(&'p str, &'p Original)> {
    prepared
        .iter()
        .zip(outcomes)
        .filter(|(p, o)| o.is_written() && p.kind != PreparedKind::Notify)
        .filter_map(|(p, _)| Some((p.decl.as_ref()?.mrn, p.original?)))
        .collect()
}
