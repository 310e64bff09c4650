//! Mandates (issue 13, finding 1): a declarant authorises a representative
//! to lodge, amend and invalidate declarations in its name
//! ([`tamga_core::mandate`] says what a mandate covers and who pays).
//!
//! - Granting: the declarant sends the terms as a body signed with its
//!   registered key; the body names declarant, representative, kind,
//!   scope, validity and payment right, so the signature covers exactly
//!   those terms. A body is granted once: sending it again answers with the
//!   mandate it created (even revoked), so a revoked mandate cannot be
//!   brought back by a replay.
//! - Revoking: the declarant signs `{"mandate": <id>}`; it takes effect for
//!   every lodging that starts after it, on every instance (mandates are
//!   read from the database on each represented act, never cached).
//! - Reading: each operator sees the mandates it granted and received;
//!   officers and administrators may read any operator's for audit.
//!
//! The hooks for lodging, amendment and invalidation are
//! [`Clearance::representation`]: an act by anyone other than the
//! declarant needs a mandate that covers it; acts by the declarant itself
//! read nothing.

use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::control::Violation;
use tamga_core::declaration::Declaration;
use tamga_core::mandate::{self, BodyError, Mandate, MandateTerms, Revocation};
use tamga_store::{MandateRecord, Role, SignedBody, StoreError};

use crate::clearance::{sha256_hex, Caller, Clearance, Signed};
use crate::error::AppError;

/// The largest signed grant or revocation body (400 `MANDATE_TOO_LARGE`).
pub const MAX_MANDATE_BODY: usize = 16 * 1024;

/// Error codes of mandate requests.
pub const MANDATE_TOO_LARGE: &str = "MANDATE_TOO_LARGE";
pub const MANDATE_SIGNATURE_MISSING: &str = "MANDATE_SIGNATURE_MISSING";
pub const MANDATE_SIGNATURE_INVALID: &str = "MANDATE_SIGNATURE_INVALID";
pub const MANDATE_SIGNING_KEY_UNKNOWN: &str = "MANDATE_SIGNING_KEY_UNKNOWN";
pub const MANDATE_REPRESENTATIVE_UNKNOWN: &str = "MANDATE_REPRESENTATIVE_UNKNOWN";
pub const MANDATE_REVOKED: &str = "MANDATE_REVOKED";

/// A grant as answered: the mandate, and whether it existed already (the
/// same signed body was granted before).
#[derive(Debug, Clone)]
pub struct Granted {
    pub record: MandateRecord,
    pub replay: bool,
}

fn body_error(e: BodyError) -> AppError {
    AppError::bad_request(e.code, e.pointer, e.message)
}

fn operator(caller: &Caller) -> Result<&Eori, AppError> {
    match caller {
        Caller::Operator(op) => Ok(op),
        Caller::User(_) => Err(AppError::Forbidden(
            "mandates are granted and revoked by economic operators (the declarant)".into(),
        )),
    }
}

impl Clearance {
    /// Checks an operator's signature over a mandate body; returns the
    /// signed body as stored.
    async fn signed_body(&self, op: &Eori, s: &Signed<'_>) -> Result<SignedBody, AppError> {
        if s.body.len() > MAX_MANDATE_BODY {
            return Err(AppError::bad_request(
                MANDATE_TOO_LARGE,
                "",
                format!("a mandate body is at most {MAX_MANDATE_BODY} bytes"),
            ));
        }
        let signing_key = self.verify(op, s).await.map_err(|v| {
            let code = match v.code.as_str() {
                "FLC-SIGNATURE-MISSING" => MANDATE_SIGNATURE_MISSING,
                "FLC-SIGNING-KEY-UNKNOWN" => MANDATE_SIGNING_KEY_UNKNOWN,
                _ => MANDATE_SIGNATURE_INVALID,
            };
            AppError::Signature {
                code,
                message: format!(
                    "{} (the declarant signs the exact body with its registered key)",
                    v.message
                ),
            }
        })?;
        let body = std::str::from_utf8(s.body).map_err(|_| {
            AppError::bad_request(mandate::MANDATE_INVALID, "", "the body is not UTF-8")
        })?;
        Ok(SignedBody {
            body: body.to_owned(),
            body_sha256: sha256_hex(s.body),
            signing_key,
            signature: s.signature.unwrap_or_default().to_owned(),
        })
    }

    /// The declarant grants a mandate (signed body: the terms).
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn grant_mandate(&self, caller: &Caller, s: Signed<'_>) -> Result<Granted, AppError> {
        let op = operator(caller)?;
        if s.body.len() > MAX_MANDATE_BODY {
            return Err(AppError::bad_request(
                MANDATE_TOO_LARGE,
                "",
                format!("a mandate body is at most {MAX_MANDATE_BODY} bytes"),
            ));
        }
        let terms = MandateTerms::parse(s.body).map_err(body_error)?;
        if &terms.declarant != op {
            return Err(AppError::Forbidden(format!(
                "only the declarant {} grants a mandate in its name; {op} may not",
                terms.declarant
            )));
        }
        let signed = self.signed_body(op, &s).await?;
        if let Some(existing) = self.store().mandate_by_body(&signed.body_sha256).await? {
            return Ok(Granted {
                record: existing,
                replay: true,
            });
        }
        if self
            .store()
            .operator(&terms.representative)
            .await?
            .is_none()
        {
            return Err(AppError::bad_request(
                MANDATE_REPRESENTATIVE_UNKNOWN,
                "/representative",
                format!(
                    "no economic operator {} is registered",
                    terms.representative
                ),
            ));
        }
        let now = OffsetDateTime::now_utc();
        match self.store().grant_mandate(&terms, &signed, now).await {
            Ok(record) => Ok(Granted {
                record,
                replay: false,
            }),
            // The same body granted concurrently.
            Err(StoreError::AlreadyExists(_)) => self
                .store()
                .mandate_by_body(&signed.body_sha256)
                .await?
                .map(|record| Granted {
                    record,
                    replay: true,
                })
                .ok_or_else(|| AppError::Unavailable("a granted mandate vanished".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// The mandates an operator granted or received, newest first. An
    /// operator reads its own (`party`, if given, must be itself);
    /// officers and administrators read any operator's (`party` required).
    #[tracing::instrument(skip_all, fields(caller = %caller.label(), party = ?party.map(|p| p.as_str())))]
    pub async fn mandates(
        &self,
        caller: &Caller,
        party: Option<&Eori>,
    ) -> Result<Vec<MandateRecord>, AppError> {
        let party = match caller {
            Caller::Operator(op) => match party {
                Some(p) if p != op => {
                    return Err(AppError::Forbidden(
                        "an operator reads only the mandates it granted or received".into(),
                    ))
                }
                _ => op,
            },
            Caller::User(_) => {
                caller.require(&[Role::Officer, Role::Admin])?;
                party.ok_or_else(|| {
                    AppError::bad_request(
                        "MANDATE_PARTY_REQUIRED",
                        "/party",
                        "give the operator whose mandates to read: ?party=<operator id>",
                    )
                })?
            }
        };
        Ok(self.store().mandates_of(party).await?)
    }

    /// One mandate, for its declarant, its representative, officers and
    /// administrators; anyone else is told it does not exist.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.label()))]
    pub async fn mandate(&self, caller: &Caller, id: i64) -> Result<MandateRecord, AppError> {
        let record = self.store().mandate(id).await?;
        match (caller, record) {
            (Caller::Operator(op), Some(r))
                if &r.mandate.terms.declarant == op || &r.mandate.terms.representative == op =>
            {
                Ok(r)
            }
            (Caller::User(u), Some(r)) if u.has_any(&[Role::Officer, Role::Admin]) => Ok(r),
            (Caller::User(_), _) => {
                caller.require(&[Role::Officer, Role::Admin])?;
                Err(AppError::not_found(format!("mandate {id}")))
            }
            _ => Err(AppError::not_found(format!("mandate {id}"))),
        }
    }

    /// The declarant revokes its mandate (signed body naming it). Sending
    /// the same signed revocation again answers with the revoked mandate.
    #[tracing::instrument(skip(self, caller, s), fields(caller = %caller.label()))]
    pub async fn revoke_mandate(
        &self,
        caller: &Caller,
        id: i64,
        s: Signed<'_>,
    ) -> Result<MandateRecord, AppError> {
        let op = operator(caller)?;
        let record = self.mandate(caller, id).await?;
        if &record.mandate.terms.declarant != op {
            return Err(AppError::Forbidden(format!(
                "only the declarant {} revokes mandate {id}",
                record.mandate.terms.declarant
            )));
        }
        let signed = self.signed_body(op, &s).await?;
        Revocation::parse(s.body, id).map_err(body_error)?;
        if let Some(done) = &record.revocation {
            if done.body_sha256 == signed.body_sha256 {
                return Ok(record);
            }
            return Err(AppError::bad_request(
                MANDATE_REVOKED,
                "/mandate",
                format!("mandate {id} is already revoked"),
            ));
        }
        let now = OffsetDateTime::now_utc();
        self.store().revoke_mandate(id, &signed, now).await?;
        self.store()
            .mandate(id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("mandate {id}")))
    }

    /// The mandate under which `acting`, who is not the declarant, may
    /// lodge, amend or invalidate `declaration` now; the violation that
    /// refuses it otherwise. Reads the declarant's mandates to `acting`
    /// from the database (a revocation on any instance counts at once).
    pub(crate) async fn representation(
        &self,
        acting: &Eori,
        declaration: &Declaration,
        now: OffsetDateTime,
    ) -> Result<Result<Mandate, Violation>, AppError> {
        let mandates = match declaration.declarant_id() {
            Some(declarant) => self.store().mandates_between(declarant, acting).await?,
            None => Vec::new(),
        };
        Ok(mandate::authorise(&mandates, declaration, acting, now.date()).cloned())
    }
}

/// Whose account pays a declaration's duties: the payer its `lodged`
/// event recorded (an indirect representative without the payment right),
/// else the declarant. Fixed at lodging, so every later payment of the
/// declaration (release after control, settlement after a deposit) takes
/// it from the same account whatever happens to the mandate.
pub(crate) fn payer_of(events: &[tamga_core::lifecycle::Event], declarant: &Eori) -> Eori {
    events
        .iter()
        .find_map(|e| match &e.body {
            tamga_core::lifecycle::EventBody::Lodged { payer, .. } => Some(payer.clone()),
            _ => None,
        })
        .flatten()
        .unwrap_or_else(|| declarant.clone())
}

impl Clearance {
    /// [`payer_of`] a stored declaration; a declaration its declarant
    /// lodged is paid by the declarant without reading its events.
    pub(crate) async fn payer(
        &self,
        rec: &tamga_store::DeclarationRecord,
    ) -> Result<Eori, AppError> {
        if rec.lodged_by == rec.declarant {
            return Ok(rec.declarant.clone());
        }
        Ok(payer_of(
            &self.store().events(&rec.mrn).await?,
            &rec.declarant,
        ))
    }
}
