//! A dry run of lodging: the same parse, format-logical control and
//! representation check as [`Clearance::lodge`], without the signature
//! and without writing anything (no MRN, no notification, no LRN used).
//! The portal's lodging form runs it before it asks for a signature, so
//! the person sees every message next to its field first.

use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::control::{self, violation, ControlContext, Severity, Violation};
use tamga_core::declaration::Declaration;

use super::Clearance;
use crate::error::AppError;

/// What a dry run found: the declaration (when it parsed) and every
/// violation, errors and warnings, as lodging would report them.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub declaration: Option<Declaration>,
    pub violations: Vec<Violation>,
}

impl CheckReport {
    /// Whether lodging would be refused (an error, not only warnings).
    pub fn has_errors(&self) -> bool {
        self.violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }
}

impl Clearance {
    /// Checks `body` as `lodged_by` would lodge it (see the module doc).
    /// Store failures are errors; a declaration's faults are in the report.
    pub async fn check(&self, lodged_by: &Eori, body: &[u8]) -> Result<CheckReport, AppError> {
        let doc: serde_json::Value = match serde_json::from_slice(body) {
            Ok(doc) => doc,
            Err(e) => {
                return Ok(CheckReport {
                    declaration: None,
                    violations: vec![violation(
                        "FLC-JSON-SYNTAX",
                        "",
                        format!(
                            "body is not valid JSON: {e} (line {}, column {})",
                            e.line(),
                            e.column()
                        ),
                    )],
                })
            }
        };
        let now = OffsetDateTime::now_utc();
        let ctx = ControlContext {
            reference: &self.reference,
            today: now.date(),
            lodged_by,
        };
        let report = control::run(&doc, &ctx);
        let mut out = CheckReport {
            declaration: report.declaration,
            violations: report.violations,
        };
        if out.has_errors() {
            return Ok(out);
        }
        if let Some(d) = out
            .declaration
            .as_ref()
            .filter(|d| d.declarant_id() != Some(lodged_by))
        {
            match self.representation(lodged_by, d, now).await? {
                Ok(m) => {
                    if let Err(v) = m.terms.payer() {
                        out.violations.push(v);
                    }
                }
                Err(v) => out.violations.push(v),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use tamga_sim::{Generator, GeneratorConfig};

    use super::*;
    use crate::Settings;

    #[tokio::test]
    async fn a_check_reports_like_lodging_and_writes_nothing() {
        let db = tamga_store::testing::TestDb::sqlite().await;
        let store = tamga_store::open(&db.url).await.unwrap();
        crate::bootstrap(&store, false).await.unwrap();
        let c = Clearance::start(store.clone(), Settings::default())
            .await
            .unwrap();
        let today = OffsetDateTime::now_utc().date();
        let mut cfg = GeneratorConfig::demo(1, today, 7);
        cfg.error_share = Some(0.0);
        cfg.frauds = false;
        let reference = crate::reference::shipped().unwrap();
        let body = Generator::new(cfg, &reference).unwrap().next().body;
        let mut doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let declarant = Eori::parse(doc["declarant"]["id"].as_str().unwrap()).unwrap();

        let ok = c.check(&declarant, &body).await.unwrap();
        assert!(!ok.has_errors(), "{:?}", ok.violations);
        assert!(ok.declaration.is_some());

        doc["items"][0]["hsCode"] = "12".into();
        let bad = serde_json::to_vec(&doc).unwrap();
        let r = c.check(&declarant, &bad).await.unwrap();
        assert!(r.has_errors());
        assert!(
            r.violations.iter().any(|v| v.pointer == "/items/0/hsCode"),
            "{:?}",
            r.violations
        );

        let r = c.check(&declarant, b"{ nope").await.unwrap();
        assert_eq!(r.violations[0].code, "FLC-JSON-SYNTAX");

        // Someone else's declaration: not a party; as its representative
        // without a mandate: the mandate check of lodging.
        let other = Eori::parse("UZ000000000999").unwrap();
        let r = c.check(&other, &body).await.unwrap();
        assert!(r.has_errors());
        let mut doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        doc["representative"] =
            serde_json::json!({"id": other.as_str(), "name": "Broker", "kind": "direct"});
        let r = c
            .check(&other, &serde_json::to_vec(&doc).unwrap())
            .await
            .unwrap();
        assert!(
            r.violations.iter().any(|v| v.code == "FLC-MANDATE-MISSING"),
            "{:?}",
            r.violations
        );
        assert_eq!(store.count_declarations().await.unwrap(), 0);
    }
}
