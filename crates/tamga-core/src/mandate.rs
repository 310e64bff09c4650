//! Representation with a mandate (issue 13, finding 1).
//!
//! A declarant authorises a representative to act in its name: the
//! representation kind (direct or indirect, DE 3/21), a scope (procedure
//! codes and declaration offices; empty means all), a validity (UTC dates,
//! both inclusive; no end date means until revoked) and whether the
//! representative may pay duties from the declarant's account. The
//! declarant signs the exact grant body with its registered key, so the
//! body is the terms ([`MandateTerms::parse`]): a signature cannot be
//! replayed for other terms. A revocation body names the mandate it revokes
//! ([`Revocation::parse`]).
//!
//! Whether a mandate lets an operator lodge, amend or invalidate a
//! declaration in a declarant's name is decided here ([`authorise`]), and
//! who then pays ([`MandateTerms::payer`]). No IO: the mandates come in as
//! an argument.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::codes::{Eori, OfficeCode, ProcedureCode};
use crate::control::catalog::violation;
use crate::control::Violation;
use crate::declaration::{Declaration, RepresentationKind};

/// The most procedure codes or offices one mandate may list.
pub const MAX_SCOPE: usize = 200;
/// The longest free-text reference or revocation reason.
pub const MAX_TEXT: usize = 512;

/// What a declarant grants: the signed grant body, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MandateTerms {
    /// Who grants (and signs).
    pub declarant: Eori,
    /// Who may act in the declarant's name.
    pub representative: Eori,
    /// Direct (in the declarant's name and on its behalf) or indirect (in
    /// the representative's own name on the declarant's behalf).
    pub kind: RepresentationKind,
    /// Procedure codes (DE 1/10) covered; empty: all.
    #[serde(default)]
    pub procedures: Vec<ProcedureCode>,
    /// Declaration offices covered; empty: all.
    #[serde(default)]
    pub offices: Vec<OfficeCode>,
    /// First day (UTC) the mandate is in force.
    pub valid_from: Date,
    /// Last day (UTC) the mandate is in force; none: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Whether duties are paid from the declarant's account.
    pub pay_from_declarant_account: bool,
    /// The declarant's own reference (also lets it grant the same terms
    /// again with a new body after a revocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A stored mandate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mandate {
    pub id: i64,
    pub terms: MandateTerms,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A bad grant or revocation body: a stable code and a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub code: &'static str,
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {:?}: {}", self.code, self.pointer, self.message)
    }
}

/// The grant body is not a well-formed mandate.
pub const MANDATE_INVALID: &str = "MANDATE_INVALID";
/// The representative named is the declarant itself.
pub const MANDATE_REPRESENTATIVE_IS_DECLARANT: &str = "MANDATE_REPRESENTATIVE_IS_DECLARANT";
/// The revocation body does not name the mandate of the request path.
pub const MANDATE_REVOCATION_MISMATCH: &str = "MANDATE_REVOCATION_MISMATCH";

fn bad(pointer: &str, message: impl Into<String>) -> BodyError {
    BodyError {
        code: MANDATE_INVALID,
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

fn object(body: &[u8], known: &[&str]) -> Result<Map<String, Value>, BodyError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad("", format!("the body is not valid JSON: {e}")))?;
    let Value::Object(m) = v else {
        return Err(bad("", "the body must be a JSON object"));
    };
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(
            &format!("/{k}"),
            format!("unknown field {k:?}; known: {}", known.join(", ")),
        ));
    }
    Ok(m)
}

fn text<'a>(m: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, BodyError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(
            &format!("/{field}"),
            format!("{field} must be a string"),
        )),
    }
}

fn required<'a>(m: &'a Map<String, Value>, field: &str) -> Result<&'a str, BodyError> {
    text(m, field)?.ok_or_else(|| bad(&format!("/{field}"), format!("{field} is required")))
}

fn code<T>(
    s: &str,
    pointer: &str,
    parse: impl Fn(&str) -> Result<T, crate::codes::CodeError>,
) -> Result<T, BodyError> {
    parse(s).map_err(|e| bad(pointer, e.to_string()))
}

fn date(s: &str, pointer: &str) -> Result<Date, BodyError> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| bad(pointer, format!("{s:?} is not a date (YYYY-MM-DD, UTC)")))
}

fn list<T>(
    m: &Map<String, Value>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, crate::codes::CodeError>,
) -> Result<Vec<T>, BodyError> {
    let items = match m.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(bad(
                &format!("/{field}"),
                format!("{field} must be an array of codes (empty: all)"),
            ))
        }
    };
    if items.len() > MAX_SCOPE {
        return Err(bad(
            &format!("/{field}"),
            format!("at most {MAX_SCOPE} entries"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let p = format!("/{field}/{i}");
        let s = v.as_str().ok_or_else(|| bad(&p, "must be a string"))?;
        out.push(code(s, &p, &parse)?);
    }
    Ok(out)
}

impl MandateTerms {
    /// The terms of a grant body, every field checked (unknown fields are
    /// refused, so nothing unsigned-for rides along).
    pub fn parse(body: &[u8]) -> Result<MandateTerms, BodyError> {
        let m = object(
            body,
            &[
                "declarant",
                "representative",
                "kind",
                "procedures",
                "offices",
                "validFrom",
                "validTo",
                "payFromDeclarantAccount",
                "reference",
            ],
        )?;
        let declarant = code(required(&m, "declarant")?, "/declarant", Eori::parse)?;
        let representative = code(
            required(&m, "representative")?,
            "/representative",
            Eori::parse,
        )?;
        if representative == declarant {
            return Err(BodyError {
                code: MANDATE_REPRESENTATIVE_IS_DECLARANT,
                pointer: "/representative".into(),
                message: format!("{representative} cannot represent itself"),
            });
        }
        let kind = match required(&m, "kind")? {
            "direct" => RepresentationKind::Direct,
            "indirect" => RepresentationKind::Indirect,
            other => {
                return Err(bad(
                    "/kind",
                    format!("kind {other:?} is not direct or indirect"),
                ))
            }
        };
        let procedures = list(&m, "procedures", ProcedureCode::parse)?;
        let offices = list(&m, "offices", OfficeCode::parse)?;
        let valid_from = date(required(&m, "validFrom")?, "/validFrom")?;
        let valid_to = match text(&m, "validTo")? {
            Some(s) => Some(date(s, "/validTo")?),
            None => None,
        };
        if valid_to.is_some_and(|t| t < valid_from) {
            return Err(bad("/validTo", "validTo is before validFrom"));
        }
        let pay_from_declarant_account = match m.get("payFromDeclarantAccount") {
            Some(Value::Bool(b)) => *b,
            _ => {
                return Err(bad(
                    "/payFromDeclarantAccount",
                    "payFromDeclarantAccount is required: true or false",
                ))
            }
        };
        let reference = text(&m, "reference")?.map(str::to_owned);
        if reference.as_ref().is_some_and(|r| r.len() > MAX_TEXT) {
            return Err(bad("/reference", format!("at most {MAX_TEXT} bytes")));
        }
        Ok(MandateTerms {
            declarant,
            representative,
            kind,
            procedures,
            offices,
            valid_from,
            valid_to,
            pay_from_declarant_account,
            reference,
        })
    }

    /// Whether the mandate is in force on `on` (UTC day), revocation aside.
    pub fn in_force(&self, on: Date) -> bool {
        self.valid_from <= on && self.valid_to.is_none_or(|t| on <= t)
    }

    pub fn covers_procedure(&self, p: &ProcedureCode) -> bool {
        self.procedures.is_empty() || self.procedures.contains(p)
    }

    pub fn covers_office(&self, o: &OfficeCode) -> bool {
        self.offices.is_empty() || self.offices.contains(o)
    }

    /// Whose account pays the duties of a declaration lodged under this
    /// mandate: the declarant's with the payment right; without it the
    /// indirect representative's (jointly liable). A direct representative
    /// without the payment right cannot lodge (`FLC-MANDATE-PAYMENT`).
    pub fn payer(&self) -> Result<&Eori, Violation> {
        if self.pay_from_declarant_account {
            Ok(&self.declarant)
        } else if self.kind == RepresentationKind::Indirect {
            Ok(&self.representative)
        } else {
            Err(violation(
                "FLC-MANDATE-PAYMENT",
                "/representative/kind",
                format!(
                    "the direct representation mandate from {} to {} does not allow paying from the declarant's account, and a direct representative does not pay in its own name: the declarant grants the payment right, or lodges itself",
                    self.declarant, self.representative
                ),
            ))
        }
    }
}

impl Mandate {
    /// Not revoked and in force on `on`.
    pub fn active(&self, on: Date) -> bool {
        self.revoked_at.is_none() && self.terms.in_force(on)
    }
}

/// A revocation body: `{"mandate": <id>, "reason": "..."}` (reason
/// optional). It names the mandate, so it revokes no other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub mandate: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Revocation {
    /// The revocation body, which must name mandate `id`.
    pub fn parse(body: &[u8], id: i64) -> Result<Revocation, BodyError> {
        let m = object(body, &["mandate", "reason"])?;
        let mandate = m.get("mandate").and_then(Value::as_i64).ok_or_else(|| {
            bad(
                "/mandate",
                "mandate is required: the id of the mandate revoked",
            )
        })?;
        if mandate != id {
            return Err(BodyError {
                code: MANDATE_REVOCATION_MISMATCH,
                pointer: "/mandate".into(),
                message: format!("the signed body revokes mandate {mandate}, not {id}"),
            });
        }
        let reason = text(&m, "reason")?.map(str::to_owned);
        if reason.as_ref().is_some_and(|r| r.len() > MAX_TEXT) {
            return Err(bad("/reason", format!("at most {MAX_TEXT} bytes")));
        }
        Ok(Revocation { mandate, reason })
    }
}

/// The mandate under which `acting` (not the declarant) may lodge, amend or
/// invalidate `declaration` on day `on`, out of `mandates` (the ones the
/// declarant granted to `acting`; others are ignored). Among several, one
/// with the payment right is preferred, then the oldest.
///
/// Refused with a violation: `FLC-MANDATE-MISSING` (not named as the
/// representative, or no mandate in force and not revoked),
/// `FLC-MANDATE-SCOPE` (none covers the procedure and the office),
/// `FLC-MANDATE-KIND` (the declared representative status differs).
pub fn authorise<'a>(
    mandates: &'a [Mandate],
    declaration: &Declaration,
    acting: &Eori,
    on: Date,
) -> Result<&'a Mandate, Violation> {
    let declarant = declaration.declarant_id();
    let Some(rep) = declaration
        .representative
        .as_ref()
        .filter(|r| &r.id == acting)
    else {
        return Err(violation(
            "FLC-MANDATE-MISSING",
            "/representative/id",
            format!("{acting} is not the declarant and is not named as its representative"),
        ));
    };
    let granted: Vec<&Mandate> = mandates
        .iter()
        .filter(|m| Some(&m.terms.declarant) == declarant && &m.terms.representative == acting)
        .collect();
    let declarant = declarant.map_or("(none)", |d| d.as_str());
    let active: Vec<&Mandate> = granted.iter().copied().filter(|m| m.active(on)).collect();
    if active.is_empty() {
        let why = if granted.is_empty() {
            "has granted no mandate".to_owned()
        } else if granted.iter().any(|m| m.terms.in_force(on)) {
            "has revoked its mandate".to_owned()
        } else {
            format!("has no mandate in force on {on}")
        };
        return Err(violation(
            "FLC-MANDATE-MISSING",
            "/representative/id",
            format!("declarant {declarant} {why} to representative {acting}"),
        ));
    }
    let procedure = &declaration.procedure;
    let office = &declaration.declaration_office;
    let in_scope: Vec<&Mandate> = active
        .iter()
        .copied()
        .filter(|m| m.terms.covers_procedure(procedure) && m.terms.covers_office(office))
        .collect();
    if in_scope.is_empty() {
        let pointer = if active.iter().any(|m| m.terms.covers_procedure(procedure)) {
            "/declarationOffice"
        } else {
            "/procedure"
        };
        return Err(violation(
            "FLC-MANDATE-SCOPE",
            pointer,
            format!(
                "no mandate from {declarant} to {acting} covers procedure {procedure} at office {office}"
            ),
        ));
    }
    in_scope
        .iter()
        .copied()
        .filter(|m| m.terms.kind == rep.kind)
        .min_by_key(|m| (!m.terms.pay_from_declarant_account, m.id))
        .ok_or_else(|| {
            violation(
                "FLC-MANDATE-KIND",
                "/representative/kind",
                format!(
                    "the declaration says {} representation; the mandate from {declarant} to {acting} is for {} representation",
                    kind_str(rep.kind),
                    kind_str(in_scope[0].terms.kind)
                ),
            )
        })
}

fn kind_str(k: RepresentationKind) -> &'static str {
    match k {
        RepresentationKind::Direct => "direct",
        RepresentationKind::Indirect => "indirect",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    const A: &str = "UZ000000000101";
    const B: &str = "UZ000000000901";

    fn terms(v: serde_json::Value) -> Result<MandateTerms, BodyError> {
        MandateTerms::parse(&serde_json::to_vec(&v).unwrap())
    }

    fn grant() -> serde_json::Value {
        json!({
            "declarant": A, "representative": B, "kind": "direct",
            "procedures": ["4000"], "offices": ["UZ000100"],
            "validFrom": "2026-01-01", "validTo": "2026-12-31",
            "payFromDeclarantAccount": true
        })
    }

    fn mandate(id: i64, v: serde_json::Value) -> Mandate {
        Mandate {
            id,
            terms: terms(v).unwrap(),
            granted_at: datetime!(2026-01-01 0:00 UTC),
            revoked_at: None,
        }
    }

    /// The control fixture's export, lodged by `B` as representative of
    /// `A`, with this kind, procedure and office.
    fn declaration(kind: &str, procedure: &str, office: &str) -> Declaration {
        let mut doc = crate::control::structure::fixtures::ex();
        doc["declarant"]["id"] = json!(A);
        doc["representative"] = json!({"id": B, "name": "B", "kind": kind});
        doc["procedure"] = json!(procedure);
        doc["declarationOffice"] = json!(office);
        let (d, errors) = crate::control::parse_declaration(&doc);
        assert!(errors.is_empty(), "{errors:?}");
        d.unwrap()
    }

    #[test]
    fn grant_bodies_are_parsed_strictly() {
        let t = terms(grant()).unwrap();
        assert_eq!(t.declarant.as_str(), A);
        assert_eq!(t.kind, RepresentationKind::Direct);
        assert_eq!(t.valid_to, Some(date!(2026 - 12 - 31)));
        let err = |v: serde_json::Value| terms(v).unwrap_err();
        let mut v = grant();
        v["extra"] = json!(1);
        assert_eq!(err(v).pointer, "/extra");
        let mut v = grant();
        v["representative"] = json!(A);
        assert_eq!(err(v).code, MANDATE_REPRESENTATIVE_IS_DECLARANT);
        let mut v = grant();
        v["kind"] = json!("agent");
        assert_eq!(err(v).pointer, "/kind");
        let mut v = grant();
        v["procedures"] = json!(["4000", "40"]);
        assert_eq!(err(v).pointer, "/procedures/1");
        let mut v = grant();
        v["validTo"] = json!("2025-12-31");
        assert_eq!(err(v).pointer, "/validTo");
        let mut v = grant();
        v["validFrom"] = json!("2026-02-30");
        assert_eq!(err(v).pointer, "/validFrom");
        let mut v = grant();
        v.as_object_mut().unwrap().remove("payFromDeclarantAccount");
        assert_eq!(err(v).pointer, "/payFromDeclarantAccount");
        assert_eq!(MandateTerms::parse(b"[1]").unwrap_err().pointer, "");
        // Open-ended, all scopes.
        let mut v = grant();
        for k in ["validTo", "procedures", "offices"] {
            v.as_object_mut().unwrap().remove(k);
        }
        let t = terms(v).unwrap();
        assert!(t.in_force(date!(2099 - 01 - 01)));
        assert!(!t.in_force(date!(2025 - 12 - 31)));
    }

    #[test]
    fn revocations_name_their_mandate() {
        let r = Revocation::parse(br#"{"mandate": 7, "reason": "ended"}"#, 7).unwrap();
        assert_eq!(r.reason.as_deref(), Some("ended"));
        let e = Revocation::parse(br#"{"mandate": 7}"#, 8).unwrap_err();
        assert_eq!(e.code, MANDATE_REVOCATION_MISMATCH);
        assert_eq!(Revocation::parse(b"{}", 8).unwrap_err().pointer, "/mandate");
    }

    #[test]
    fn a_mandate_covers_its_procedures_offices_days_and_kind() {
        let rep = Eori::parse(B).unwrap();
        let on = date!(2026 - 06 - 01);
        let d = declaration("direct", "4000", "UZ000100");
        let m = [mandate(1, grant())];
        assert_eq!(authorise(&m, &d, &rep, on).unwrap().id, 1);
        let code = |m: &[Mandate], d: &Declaration, on: Date| {
            let v = authorise(m, d, &rep, on).unwrap_err();
            (v.code, v.pointer)
        };
        // Nothing granted, another representative's mandate, expired,
        // not yet valid, revoked.
        assert_eq!(code(&[], &d, on).0, "FLC-MANDATE-MISSING");
        let mut other = grant();
        other["representative"] = json!("UZ000000000102");
        assert_eq!(code(&[mandate(2, other)], &d, on).0, "FLC-MANDATE-MISSING");
        assert_eq!(code(&m, &d, date!(2027 - 01 - 01)).0, "FLC-MANDATE-MISSING");
        assert_eq!(code(&m, &d, date!(2025 - 12 - 31)).0, "FLC-MANDATE-MISSING");
        let mut revoked = m.clone();
        revoked[0].revoked_at = Some(datetime!(2026-03-01 0:00 UTC));
        assert_eq!(code(&revoked, &d, on).0, "FLC-MANDATE-MISSING");
        // Out of scope.
        let d2 = declaration("direct", "1000", "UZ000100");
        assert_eq!(
            code(&m, &d2, on),
            ("FLC-MANDATE-SCOPE".into(), "/procedure".into())
        );
        let d3 = declaration("direct", "4000", "UZ000200");
        assert_eq!(
            code(&m, &d3, on),
            ("FLC-MANDATE-SCOPE".into(), "/declarationOffice".into())
        );
        // The declared status must be the mandate's kind.
        let d4 = declaration("indirect", "4000", "UZ000100");
        assert_eq!(
            code(&m, &d4, on),
            ("FLC-MANDATE-KIND".into(), "/representative/kind".into())
        );
        // Someone not named as representative has no authority at all.
        let stranger = Eori::parse("UZ000000000777").unwrap();
        assert_eq!(
            authorise(&m, &d, &stranger, on).unwrap_err().code,
            "FLC-MANDATE-MISSING"
        );
        // With several, the one with the payment right wins.
        let mut no_pay = grant();
        no_pay["payFromDeclarantAccount"] = json!(false);
        let both = [mandate(3, no_pay), mandate(4, grant())];
        assert_eq!(authorise(&both, &d, &rep, on).unwrap().id, 4);
    }

    #[test]
    fn the_payer_follows_the_payment_right_and_the_kind() {
        let a = Eori::parse(A).unwrap();
        let b = Eori::parse(B).unwrap();
        assert_eq!(terms(grant()).unwrap().payer().unwrap(), &a);
        let mut v = grant();
        v["payFromDeclarantAccount"] = json!(false);
        assert_eq!(
            terms(v.clone()).unwrap().payer().unwrap_err().code,
            "FLC-MANDATE-PAYMENT"
        );
        v["kind"] = json!("indirect");
        assert_eq!(terms(v).unwrap().payer().unwrap(), &b);
    }
}
