//! Notifications in the language the declaration came in (issue 19): a
//! declaration lodged as WCO DEC-DMS XML gets its notifications as CDS
//! DMS response XML (`tamga_messages::dms_notice` says what each kind is
//! written as).
//!
//! - **Who is an XML client** is read from the database, so every instance
//!   decides alike: a notification about a declaration whose stored
//!   original (`declaration_originals`) is DEC-DMS XML, or the rejection of
//!   an XML lodging that registered nothing, whose payload says
//!   `"lodgedAs": "wco-dec-dms-xml"` ([`Clearance::reject_as`]).
//! - **Push** ([`Clearance::push_as_dms`]): such a notification is POSTed as
//!   its DMS document (`tamga_http::webhook`); every other one as JSON.
//! - **Pull**: any operator may ask for its notifications as XML
//!   ([`Clearance::notifications_xml`]): a list of the DMS documents, JSON
//!   staying the default.
//!
//! An operator only ever gets its own notifications (the store reads them
//! by recipient), seen as traders see them (`crate::disclosure`); the DMS
//! form is built from the payload's channel and the declaration's duty,
//! lodging and invalidation events, never from its risk assessment.

use std::collections::HashMap;
use std::fmt::Write as _;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::lifecycle::{Event, EventBody, NotificationKind};
use tamga_messages::dms_notice::{responses, Notice};
use tamga_messages::dms_out::{self, DmsResponse};
use tamga_store::{Notification, WCO_DEC_DMS_XML};

use super::Clearance;
use crate::error::AppError;

/// The namespace of the list of notifications pulled as XML.
pub const NOTIFICATIONS_NS: &str = "urn:tamga:notifications:1";

/// What a page of notifications needs of each declaration, read once.
#[derive(Default)]
pub struct DmsContext {
    declarations: HashMap<Mrn, Known>,
    /// Whether each declaration was lodged as DEC-DMS XML.
    lodged_as_xml: HashMap<Mrn, bool>,
}

#[derive(Default)]
struct Known {
    events: Vec<Event>,
    /// The payer's payment reference, once looked up.
    payment_reference: Option<Option<String>>,
}

/// Text for an XML attribute value.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether a kind's DMS form may carry duties (and so needs the payer's
/// payment reference).
fn carries_duties(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::Registered | NotificationKind::DutiesAssessed | NotificationKind::Amended
    )
}

impl Clearance {
    /// Whether `n` goes out as DMS XML when pushed: it is about a
    /// declaration lodged as DEC-DMS XML (or is the rejection of such a
    /// lodging) and its kind has a DMS form.
    pub async fn push_as_dms(
        &self,
        n: &Notification,
        ctx: &mut DmsContext,
    ) -> Result<bool, AppError> {
        if tamga_messages::dms_notice::function_codes(n.kind, None, false).is_empty() {
            return Ok(false);
        }
        if n.payload.get("lodgedAs").and_then(|f| f.as_str()) == Some(WCO_DEC_DMS_XML) {
            return Ok(true);
        }
        let Some(mrn) = &n.mrn else {
            return Ok(false);
        };
        if let Some(known) = ctx.lodged_as_xml.get(mrn) {
            return Ok(*known);
        }
        let xml = self.store.original_format(mrn).await?.as_deref() == Some(WCO_DEC_DMS_XML);
        ctx.lodged_as_xml.insert(mrn.clone(), xml);
        Ok(xml)
    }

    /// The DMS responses of one of an operator's notifications (`None`:
    /// its kind has no DMS form). `n` must be the operator's own, as read
    /// for it (`crate::disclosure::for_operator`).
    pub async fn dms_responses(
        &self,
        n: &Notification,
        ctx: &mut DmsContext,
    ) -> Result<Option<Vec<DmsResponse>>, AppError> {
        let empty = Known::default();
        let known = match &n.mrn {
            Some(mrn) => {
                if !ctx.declarations.contains_key(mrn) {
                    let events = self.store.events(mrn).await?;
                    ctx.declarations.insert(
                        mrn.clone(),
                        Known {
                            events,
                            payment_reference: None,
                        },
                    );
                }
                let looked_up = ctx
                    .declarations
                    .get(mrn)
                    .is_some_and(|k| k.payment_reference.is_some());
                if carries_duties(n.kind) && !looked_up {
                    let events = ctx.declarations.get(mrn).map_or(&[][..], |k| &k.events);
                    let reference = self.payer_reference(mrn, events).await?;
                    if let Some(k) = ctx.declarations.get_mut(mrn) {
                        k.payment_reference = Some(reference);
                    }
                }
                ctx.declarations.get(mrn).unwrap_or(&empty)
            }
            None => &empty,
        };
        let notice = Notice {
            id: n.id,
            kind: n.kind,
            at: n.at,
            mrn: n.mrn.as_ref().map(|m| m.as_str()),
            lrn: n.lrn.as_ref().map(|l| l.as_str()),
            payload: &n.payload,
            events: &known.events,
            payment_reference: known.payment_reference.as_ref().and_then(|r| r.as_deref()),
        };
        Ok(responses(&notice))
    }

    /// One notification as a DMS document (XML declaration and `MetaData`
    /// envelope), for a webhook; `None` when its kind has no DMS form.
    pub async fn dms_document(
        &self,
        n: &Notification,
        ctx: &mut DmsContext,
    ) -> Result<Option<String>, AppError> {
        Ok(self
            .dms_responses(n, ctx)
            .await?
            .map(|rs| dms_out::write(&rs)))
    }

    /// An operator's notifications after `after` as XML, oldest first: a
    /// `Notifications` list (namespace [`NOTIFICATIONS_NS`], `nextAfter`
    /// the cursor for the next page) of `Notification` elements (`id`,
    /// `kind`, `at`, `mrn`, `lrn`), each holding the notification's DMS
    /// document (`MetaData`), or empty for a kind with no DMS form (keys,
    /// registration, appeals: read them as JSON). Returns the document and
    /// the next cursor.
    pub async fn notifications_xml(
        &self,
        op: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<(String, i64), AppError> {
        let list = self.notifications(op, after, limit).await?;
        let next = list.last().map_or(after, |n| n.id);
        let mut ctx = DmsContext::default();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<tamga:Notifications xmlns:tamga=\"{NOTIFICATIONS_NS}\" nextAfter=\"{next}\">"
        );
        for n in &list {
            let at =
                n.at.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
            let _ = write!(
                out,
                "  <tamga:Notification id=\"{}\" kind=\"{}\" at=\"{}\"",
                n.id,
                n.kind.as_str(),
                attr(&at)
            );
            if let Some(m) = &n.mrn {
                let _ = write!(out, " mrn=\"{}\"", attr(m.as_str()));
            }
            if let Some(l) = &n.lrn {
                let _ = write!(out, " lrn=\"{}\"", attr(l.as_str()));
            }
            match self.dms_responses(n, &mut ctx).await? {
                Some(rs) => {
                    out.push_str(">\n");
                    out.push_str(&dms_out::write_element(&rs, 2));
                    out.push_str("  </tamga:Notification>\n");
                }
                None => out.push_str("/>\n"),
            }
        }
        out.push_str("</tamga:Notifications>\n");
        Ok((out, next))
    }

    /// The payment reference of whoever pays `mrn`'s duties: the payer its
    /// lodging named (an indirect representative), else its declarant.
    async fn payer_reference(
        &self,
        mrn: &Mrn,
        events: &[Event],
    ) -> Result<Option<String>, AppError> {
        let named = events.iter().find_map(|e| match &e.body {
            EventBody::Lodged { payer, .. } => payer.clone(),
            _ => None,
        });
        let payer = match named {
            Some(p) => Some(p),
            None => self.store.declaration(mrn).await?.map(|r| r.declarant),
        };
        Ok(payer.map(|p| tamga_core::ledger::payment_reference(&p)))
    }
}
