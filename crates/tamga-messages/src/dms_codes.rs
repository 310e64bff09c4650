//! tamga's codes in the CDS's terms: which DMS function code a notification
//! kind is written as, and which CDS validation code (`dmsErrorCodes.json`,
//! shipped in `code-lists/cds`) stands for each of tamga's violation codes.
//!
//! The published table is docs/messages.md ("DMS notifications"); a test
//! checks that it lists every pair below, that every control rule of
//! [`tamga_core::control::catalog::RULES`] has its own entry, and that every
//! CDS code written is in the shipped list. A DMS validation code has at
//! most 8 characters, so tamga's own code never fits in it: it opens the
//! error's `Description` instead (`FLC-REQUIRED: …`), so nothing is lost.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The CDS validation codes, as shipped.
const DMS_ERROR_CODES: &str = include_str!("../code-lists/cds/dmsErrorCodes.json");

/// What tamga writes when no CDS validation code fits: CDS's own
/// "Unknown error result", with tamga's code and message in the
/// description.
pub const NO_CDS_CODE: &str = "CDS49999";

/// Each of tamga's violation codes and the CDS validation code written for
/// it: exact or closest in meaning; [`NO_CDS_CODE`] where none fits.
pub const VALIDATION_CODES: &[(&str, &str)] = &[
    // structure and formats
    ("FLC-JSON-TYPE", "CDS10010"),
    ("FLC-REQUIRED", "CDS10001"),
    ("FLC-UNKNOWN-FIELD", "CDS10002"),
    ("FLC-DECLARATION-TYPE", "CDS12052"),
    ("FLC-ADDITIONAL-TYPE", "CDS12052"),
    ("FLC-TRANSPORT-MODE", "CDS10020"),
    ("FLC-REPRESENTATION-KIND", "CDS10020"),
    ("FLC-DATE-FORMAT", "CDS10010"),
    ("FLC-INTEGER-RANGE", "CDS10010"),
    ("FLC-STRING-LENGTH", "CDS10010"),
    ("FLC-PACKAGE-KIND", "CDS10010"),
    ("FLC-ITEMS-COUNT", "CDS10003"),
    ("FLC-DOCUMENTS-COUNT", "CDS10003"),
    ("FLC-TRANSPORT-DOCUMENTS-COUNT", "CDS10003"),
    ("FLC-ADDITIONAL-PROCEDURES-COUNT", "CDS10003"),
    ("FLC-DECIMAL-FORMAT", "CDS10010"),
    ("FLC-DECIMAL-PRECISION", "CDS10010"),
    ("FLC-HS-FORMAT", "CDS10004"),
    ("FLC-COUNTRY-FORMAT", "CDS10010"),
    ("FLC-CURRENCY-FORMAT", "CDS10010"),
    ("FLC-EORI-FORMAT", "CDS10010"),
    ("FLC-LRN-FORMAT", "CDS10010"),
    ("FLC-OFFICE-FORMAT", "CDS10010"),
    ("FLC-PROCEDURE-FORMAT", "CDS12050"),
    ("FLC-ADDITIONAL-PROCEDURE-FORMAT", "CDS10010"),
    ("FLC-DOCUMENT-TYPE-FORMAT", "CDS10010"),
    ("FLC-CODE-FORMAT", "CDS10010"),
    // obligations and code lists
    ("FLC-OBL-MISSING", "CDS10001"),
    ("FLC-OBL-FORBIDDEN", "CDS10002"),
    ("FLC-HS-UNKNOWN", "CDS10004"),
    ("FLC-COUNTRY-UNKNOWN", "CDS10020"),
    ("FLC-CURRENCY-UNKNOWN", "CDS10020"),
    ("FLC-CURRENCY-DECIMALS", "CDS10010"),
    ("FLC-OFFICE-UNKNOWN", "CDS10020"),
    ("FLC-DECLARATION-OFFICE-ROLE", "CDS12056"),
    ("FLC-EXIT-OFFICE-ROLE", "CDS12056"),
    ("FLC-PROCEDURE-UNKNOWN", "CDS12050"),
    ("FLC-PROCEDURE-TYPE", "CDS11004"),
    ("FLC-ADDITIONAL-PROCEDURE-UNKNOWN", "CDS10020"),
    ("FLC-PROCEDURE-COMBINATION", "CDS12056"),
    ("FLC-DOCUMENT-TYPE-UNKNOWN", "CDS10020"),
    ("FLC-TRANSPORT-DOCUMENT-TYPE", "CDS10020"),
    ("FLC-DOCUMENT-REQUIRED", "CDS12068"),
    ("FLC-INCOTERM-UNKNOWN", "CDS10020"),
    // logic
    ("FLC-NET-EXCEEDS-GROSS", "CDS11006"),
    ("FLC-MASS-NOT-POSITIVE", "CDS10021"),
    ("FLC-ITEM-SEQUENCE", "CDS10020"),
    ("FLC-TOTAL-PACKAGES", "CDS12056"),
    ("FLC-TOTAL-GROSS-MASS", "CDS12056"),
    ("FLC-INVOICE-TOTAL", "CDS12056"),
    ("FLC-ITEM-PRICE-POSITIVE", "CDS10021"),
    ("FLC-CUSTOMS-VALUE-POSITIVE", "CDS10021"),
    ("FLC-CUSTOMS-VALUE-RATIO", "CDS13000"),
    ("FLC-PREFERENCE-PROOF", "CDS12068"),
    ("FLC-INVOICE-DATE-FUTURE", "CDS10020"),
    ("FLC-EXCHANGE-RATE-DATE-FUTURE", "CDS10020"),
    ("FLC-DOCUMENT-DATE-FUTURE", "CDS10020"),
    ("FLC-EXCHANGE-RATE-DATE-STALE", "CDS13000"),
    ("FLC-LODGER-NOT-PARTY", "CDS12005"),
    ("FLC-DECLARANT-ID-MISSING", "CDS10001"),
    ("FLC-REPRESENTATIVE-IS-DECLARANT", "CDS12056"),
    ("FLC-MANDATE-MISSING", "CDS12007"),
    ("FLC-MANDATE-SCOPE", "CDS12007"),
    ("FLC-MANDATE-KIND", "CDS12007"),
    ("FLC-MANDATE-PAYMENT", "CDS12007"),
    ("FLC-IMPORTER-COUNTRY", "CDS13000"),
    ("FLC-EXPORTER-COUNTRY", "CDS13000"),
    ("FLC-DISPATCH-EQUALS-DESTINATION", "CDS12056"),
    ("FLC-DESTINATION-COUNTRY", "CDS12056"),
    ("FLC-SUPPLEMENTARY-UNITS-POSITIVE", "CDS10021"),
    ("FLC-DOCUMENT-DUPLICATE", "CDS71200"),
    ("FLC-CONTAINER-POST", "CDS12056"),
    ("FLC-DESCRIPTION-BLANK", "CDS10001"),
    ("FLC-VALUATION-METHOD", "CDS10020"),
    ("FLC-BORDER-MEANS-INCOMPLETE", "CDS12070"),
    // applied by the lodging around control
    ("FLC-JSON-SYNTAX", "CDS10010"),
    ("FLC-BODY-TOO-LARGE", "CDS10010"),
    ("FLC-SIGNATURE-MISSING", NO_CDS_CODE),
    ("FLC-SIGNATURE-INVALID", NO_CDS_CODE),
    ("FLC-SIGNING-KEY-UNKNOWN", "CDS12005"),
    ("FLC-SIGNING-KEY-REVOKED", "CDS12005"),
    ("FLC-LRN-CONFLICT", "CDS12003"),
    ("FLC-AMEND-IDENTITY", "CDS11012"),
    // the goods check (warnings)
    ("FLC-HS-MISMATCH", "CDS10004"),
    ("FLC-DESCRIPTION-VAGUE", "CDS10001"),
    ("FLC-CONTROLLED-GOODS", NO_CDS_CODE),
    // duty assessment
    ("DUTY-ADDITIONAL-CODE-REQUIRED", "CDS40059"),
    ("DUTY-AMOUNT-PRECISION", "CDS10010"),
    ("DUTY-BAD-ITEM", NO_CDS_CODE),
    ("DUTY-GOODS-CODE-NOT-DECLARABLE", "CDS40059"),
    ("DUTY-GOODS-CODE-NOT-VALID", "CDS10004"),
    ("DUTY-MEASURES-EXPIRED", "CDS40059"),
    ("DUTY-NEGATIVE-AMOUNT", "CDS10021"),
    ("DUTY-NO-EXCHANGE-RATE", NO_CDS_CODE),
    ("DUTY-NO-THIRD-COUNTRY-DUTY", "CDS40059"),
    ("DUTY-OVERFLOW", NO_CDS_CODE),
    ("DUTY-PROHIBITED", "CDS40047"),
    ("DUTY-QUANTITY-MISSING", "CDS40011"),
    ("DUTY-RESTRICTION-DOCUMENT-MISSING", "CDS40045"),
    ("DUTY-STOPPED-BY-CONDITION", "CDS40066"),
    ("DUTY-UNKNOWN-ADDITIONAL-CODE", "CDS40013"),
    ("DUTY-UNKNOWN-CURRENCY", "CDS40013"),
    ("DUTY-UNKNOWN-GOODS-CODE", "CDS10004"),
    ("DUTY-UNKNOWN-ORIGIN", "CDS40013"),
    ("DUTY-UNKNOWN-UNIT", "CDS40013"),
    // reading the message (`crate::error`)
    ("SCHEMA-MISSING", "CDS10001"),
    ("SCHEMA-UNEXPECTED", "CDS10002"),
    ("SCHEMA-TOO-MANY", "CDS10003"),
    ("SCHEMA-VALUE", "CDS10010"),
    ("SCHEMA-ATTRIBUTE", "CDS10010"),
    ("SCHEMA-TEXT", "CDS10010"),
    ("WCO-CONFLICT", "CDS12056"),
    ("WCO-UNIT", "CDS10020"),
    ("WCO-FUNCTION-CODE", "CDS10020"),
    ("WCO-AMEND-POINTER", "CDS10020"),
    ("WCO-AMEND-NOT-CARRIED", "CDS11012"),
    ("WCO-AMEND-ITEM", "CDS10001"),
    ("WCO-AMEND-GROUP", "CDS11012"),
    ("WCO-NOT-DECLARATION", "CDS10010"),
    ("WCO-NAMESPACE", "CDS10010"),
];

/// Codes by prefix, for the families with no entry of their own: every
/// `XML-*` error (the message cannot be read) is a format error.
pub const VALIDATION_CODE_FAMILIES: &[(&str, &str)] = &[("XML-", "CDS10010")];

/// The CDS validation code written for tamga's `code`: its entry, its
/// family's, else [`NO_CDS_CODE`].
pub fn validation_code(code: &str) -> &'static str {
    VALIDATION_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .or_else(|| {
            VALIDATION_CODE_FAMILIES
                .iter()
                .find(|(prefix, _)| code.starts_with(prefix))
        })
        .map_or(NO_CDS_CODE, |(_, cds)| cds)
}

/// Every code of the shipped `dmsErrorCodes.json`.
pub fn cds_codes() -> &'static HashSet<String> {
    static CODES: OnceLock<HashSet<String>> = OnceLock::new();
    CODES.get_or_init(|| {
        let list: Vec<serde_json::Value> =
            serde_json::from_str(DMS_ERROR_CODES).expect("the shipped dmsErrorCodes.json parses");
        list.iter()
            .filter_map(|e| e.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .collect()
    })
}

/// The English text of a CDS validation code, if it is in the list.
pub fn cds_text(code: &str) -> Option<String> {
    let list: Vec<serde_json::Value> = serde_json::from_str(DMS_ERROR_CODES).ok()?;
    list.iter()
        .find(|e| e.get("code").and_then(|c| c.as_str()) == Some(code))
        .and_then(|e| e.get("en").and_then(|t| t.as_str()).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_core::control::catalog::RULES;

    #[test]
    fn every_control_rule_has_its_own_entry() {
        for r in RULES {
            assert!(
                VALIDATION_CODES.iter().any(|(c, _)| *c == r.code),
                "{} has no CDS validation code",
                r.code
            );
        }
        let mut seen = HashSet::new();
        for (c, _) in VALIDATION_CODES {
            assert!(seen.insert(c), "{c} is listed twice");
        }
    }

    #[test]
    fn every_code_written_is_a_published_cds_code() {
        let cds = cds_codes();
        assert!(cds.len() > 150, "{}", cds.len());
        for (_, code) in VALIDATION_CODES.iter().chain(VALIDATION_CODE_FAMILIES) {
            assert!(cds.contains(*code), "{code} is not in dmsErrorCodes.json");
            assert!(code.len() <= 8);
        }
        assert!(cds.contains(NO_CDS_CODE));
    }

    #[test]
    fn codes_resolve_by_entry_family_or_fallback() {
        assert_eq!(validation_code("FLC-REQUIRED"), "CDS10001");
        assert_eq!(validation_code("FLC-LRN-CONFLICT"), "CDS12003");
        assert_eq!(validation_code("XML-DOCTYPE"), "CDS10010");
        assert_eq!(validation_code("SCHEMA-MISSING"), "CDS10001");
        assert_eq!(validation_code("SOMETHING-NEW"), NO_CDS_CODE);
        assert_eq!(
            cds_text("CDS12003").as_deref(),
            Some("Uniqueness Error: Reuse of LRN (D.E. 2/5) is not allowed within 48 hours")
        );
    }

    #[test]
    fn the_published_table_lists_every_pair() {
        let doc = include_str!("../../../docs/messages.md");
        for (tamga, cds) in VALIDATION_CODES.iter().chain(VALIDATION_CODE_FAMILIES) {
            let row = format!("| `{tamga}` | {cds} |");
            let family = format!("| `{tamga}*` | {cds} |");
            assert!(
                doc.contains(&row) || doc.contains(&family),
                "docs/messages.md lacks the row {row}"
            );
        }
    }
}
