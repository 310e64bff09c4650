//! The rule catalog: every control rule's stable code, layer, severity and
//! message.
//!
//! Codes are stable identifiers (`FLC-` + upper-case words joined by
//! hyphens): clients match on them, so a code is never renamed or reused.
//! Every check in [`super::structure`], [`super::obligations`] and
//! [`super::logic`] reports through [`violation`], which looks the rule up
//! here, so a violation's severity always comes from this table. The last
//! block of rules is applied outside this module (the HTTP/lodging layer);
//! they are listed here so that the catalog is the one published list of
//! codes a client can receive.

use super::{Layer, Severity, Violation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleDef {
    pub code: &'static str,
    pub layer: Layer,
    pub severity: Severity,
    pub message: &'static str,
}

const fn r(code: &'static str, layer: Layer, severity: Severity, message: &'static str) -> RuleDef {
    RuleDef {
        code,
        layer,
        severity,
        message,
    }
}

use Layer::{Duties as D, Logic as L, Obligation as O, Structure as S};
use Severity::{Error as E, Warning as W};

pub static RULES: &[RuleDef] = &[
    // ---- Layer 1: structure and formats -------------------------------
    r("FLC-JSON-TYPE", S, E, "the element has the wrong JSON type"),
    r(
        "FLC-REQUIRED",
        S,
        E,
        "a field required by the declaration structure is missing",
    ),
    r(
        "FLC-UNKNOWN-FIELD",
        S,
        E,
        "the field is not part of the declaration structure",
    ),
    r(
        "FLC-DECLARATION-TYPE",
        S,
        E,
        "the declaration type must be IM, EX or CO",
    ),
    r(
        "FLC-ADDITIONAL-TYPE",
        S,
        E,
        "the additional declaration type must be standard, simplified or prelodged",
    ),
    r(
        "FLC-TRANSPORT-MODE",
        S,
        E,
        "the transport mode is not a known mode",
    ),
    r(
        "FLC-REPRESENTATION-KIND",
        S,
        E,
        "the representation kind must be direct or indirect",
    ),
    r(
        "FLC-DATE-FORMAT",
        S,
        E,
        "the date must be a calendar date written YYYY-MM-DD",
    ),
    r(
        "FLC-INTEGER-RANGE",
        S,
        E,
        "the count must be a non-negative integer within range",
    ),
    r(
        "FLC-STRING-LENGTH",
        S,
        E,
        "the text is empty or longer than allowed",
    ),
    r(
        "FLC-PACKAGE-KIND",
        S,
        E,
        "the package kind must be 2 upper-case letters or digits (UN/ECE Rec. 21)",
    ),
    r(
        "FLC-ITEMS-COUNT",
        S,
        E,
        "a declaration has 1 to 999 goods items",
    ),
    r(
        "FLC-DOCUMENTS-COUNT",
        S,
        E,
        "a goods item has at most 99 documents",
    ),
    r(
        "FLC-TRANSPORT-DOCUMENTS-COUNT",
        S,
        E,
        "a declaration has at most 99 transport documents",
    ),
    r(
        "FLC-ADDITIONAL-PROCEDURES-COUNT",
        S,
        E,
        "a declaration has at most 99 additional procedure codes",
    ),
    r(
        "FLC-DECIMAL-FORMAT",
        S,
        E,
        "the value is not a decimal number",
    ),
    r(
        "FLC-DECIMAL-PRECISION",
        S,
        E,
        "the decimal has too many digits or decimal places",
    ),
    r(
        "FLC-HS-FORMAT",
        S,
        E,
        "the commodity code must be 6, 8 or 10 digits",
    ),
    r(
        "FLC-COUNTRY-FORMAT",
        S,
        E,
        "the country code must be 2 upper-case letters",
    ),
    r(
        "FLC-CURRENCY-FORMAT",
        S,
        E,
        "the currency code must be 3 upper-case letters",
    ),
    r(
        "FLC-EORI-FORMAT",
        S,
        E,
        "the operator id must be a country code and 1-15 letters or digits",
    ),
    r(
        "FLC-LRN-FORMAT",
        S,
        E,
        "the LRN must be 1 to 22 printable ASCII characters",
    ),
    r(
        "FLC-OFFICE-FORMAT",
        S,
        E,
        "the office code must be a country code and 6 letters or digits",
    ),
    r(
        "FLC-PROCEDURE-FORMAT",
        S,
        E,
        "the procedure code must be 4 digits",
    ),
    r(
        "FLC-ADDITIONAL-PROCEDURE-FORMAT",
        S,
        E,
        "the additional procedure code must be 3 letters or digits",
    ),
    r(
        "FLC-DOCUMENT-TYPE-FORMAT",
        S,
        E,
        "the document type code must be 4 letters or digits",
    ),
    r("FLC-CODE-FORMAT", S, E, "the code is not well formed"),
    // ---- Layer 2: obligations and code lists --------------------------
    r(
        "FLC-OBL-MISSING",
        O,
        E,
        "the data element is mandatory for this declaration type",
    ),
    r(
        "FLC-OBL-FORBIDDEN",
        O,
        E,
        "the data element is not allowed for this declaration type",
    ),
    r(
        "FLC-HS-UNKNOWN",
        O,
        E,
        "the commodity code is not in the nomenclature on the lodging date",
    ),
    r(
        "FLC-COUNTRY-UNKNOWN",
        O,
        E,
        "the country code is not in ISO 3166-1",
    ),
    r(
        "FLC-CURRENCY-UNKNOWN",
        O,
        E,
        "the currency code is not in ISO 4217",
    ),
    r(
        "FLC-CURRENCY-DECIMALS",
        O,
        E,
        "the amount has more decimals than the currency's minor unit",
    ),
    r(
        "FLC-OFFICE-UNKNOWN",
        O,
        E,
        "the customs office does not exist",
    ),
    r(
        "FLC-DECLARATION-OFFICE-ROLE",
        O,
        E,
        "the declaration office is not competent for this declaration type",
    ),
    r(
        "FLC-EXIT-OFFICE-ROLE",
        O,
        E,
        "the office of exit has no exit (EXT) role",
    ),
    r(
        "FLC-PROCEDURE-UNKNOWN",
        O,
        E,
        "the procedure code does not exist",
    ),
    r(
        "FLC-PROCEDURE-TYPE",
        O,
        E,
        "the procedure is not allowed for this declaration type",
    ),
    r(
        "FLC-ADDITIONAL-PROCEDURE-UNKNOWN",
        O,
        E,
        "the additional procedure code does not exist",
    ),
    r(
        "FLC-PROCEDURE-COMBINATION",
        O,
        E,
        "the additional procedure code cannot be combined with the procedure",
    ),
    r(
        "FLC-DOCUMENT-TYPE-UNKNOWN",
        O,
        E,
        "the document type code does not exist",
    ),
    r(
        "FLC-TRANSPORT-DOCUMENT-TYPE",
        O,
        E,
        "a transport document must have a transport document type (N7xx)",
    ),
    r(
        "FLC-DOCUMENT-REQUIRED",
        O,
        E,
        "a document required by the procedure is missing on the goods item",
    ),
    r(
        "FLC-INCOTERM-UNKNOWN",
        O,
        E,
        "the delivery terms are not an Incoterms 2020 code",
    ),
    // ---- Layer 3: cross-field logic -----------------------------------
    r(
        "FLC-NET-EXCEEDS-GROSS",
        L,
        E,
        "the net mass of an item exceeds its gross mass",
    ),
    r(
        "FLC-MASS-NOT-POSITIVE",
        L,
        E,
        "a mass must be greater than zero",
    ),
    r(
        "FLC-ITEM-SEQUENCE",
        L,
        E,
        "goods item numbers must be 1, 2, 3 ... in order",
    ),
    r(
        "FLC-TOTAL-PACKAGES",
        L,
        E,
        "the total number of packages differs from the sum over the items",
    ),
    r(
        "FLC-TOTAL-GROSS-MASS",
        L,
        E,
        "the total gross mass differs from the sum over the items",
    ),
    r(
        "FLC-INVOICE-TOTAL",
        L,
        E,
        "the invoice amount differs from the sum of the item prices",
    ),
    r(
        "FLC-ITEM-PRICE-POSITIVE",
        L,
        E,
        "an item price must be greater than zero",
    ),
    r(
        "FLC-CUSTOMS-VALUE-POSITIVE",
        L,
        E,
        "a customs value must be greater than zero",
    ),
    r(
        "FLC-CUSTOMS-VALUE-RATIO",
        L,
        W,
        "the customs value is implausibly far from the item price",
    ),
    r(
        "FLC-PREFERENCE-PROOF",
        L,
        E,
        "preferential origin is claimed without a proof of origin on the item",
    ),
    r(
        "FLC-INVOICE-DATE-FUTURE",
        L,
        E,
        "the invoice date is after the lodging date",
    ),
    r(
        "FLC-EXCHANGE-RATE-DATE-FUTURE",
        L,
        E,
        "the exchange rate date is after the lodging date",
    ),
    r(
        "FLC-DOCUMENT-DATE-FUTURE",
        L,
        E,
        "a document is issued after the lodging date",
    ),
    r(
        "FLC-EXCHANGE-RATE-DATE-STALE",
        L,
        W,
        "the exchange rate date is more than a year before the invoice date",
    ),
    r(
        "FLC-LODGER-NOT-PARTY",
        L,
        E,
        "the lodging operator is neither the declarant nor the representative",
    ),
    r(
        "FLC-DECLARANT-ID-MISSING",
        L,
        E,
        "the declarant must have an operator id",
    ),
    r(
        "FLC-REPRESENTATIVE-IS-DECLARANT",
        L,
        E,
        "the representative must differ from the declarant",
    ),
    r(
        "FLC-MANDATE-MISSING",
        L,
        E,
        "the representative holds no active mandate (authorisation) from the declarant",
    ),
    r(
        "FLC-MANDATE-SCOPE",
        L,
        E,
        "no active mandate from the declarant covers this procedure and declaration office",
    ),
    r(
        "FLC-MANDATE-KIND",
        L,
        E,
        "the representative status (direct/indirect) differs from the mandate's kind",
    ),
    r(
        "FLC-MANDATE-PAYMENT",
        L,
        E,
        "a direct representative without the right to pay from the declarant's account cannot lodge",
    ),
    r(
        "FLC-IMPORTER-COUNTRY",
        L,
        W,
        "the importer is not established in the country of the declaration office",
    ),
    r(
        "FLC-EXPORTER-COUNTRY",
        L,
        W,
        "the exporter is not established in the country of the declaration office",
    ),
    r(
        "FLC-DISPATCH-EQUALS-DESTINATION",
        L,
        E,
        "the country of dispatch equals the country of destination",
    ),
    r(
        "FLC-DESTINATION-COUNTRY",
        L,
        E,
        "for an import the country of destination is the declaration office's country",
    ),
    r(
        "FLC-SUPPLEMENTARY-UNITS-POSITIVE",
        L,
        E,
        "supplementary units must be greater than zero",
    ),
    r(
        "FLC-DOCUMENT-DUPLICATE",
        L,
        W,
        "the same document is referenced twice on an item",
    ),
    r(
        "FLC-CONTAINER-POST",
        L,
        E,
        "postal consignments cannot be declared as containerised",
    ),
    r(
        "FLC-DESCRIPTION-BLANK",
        L,
        E,
        "the goods description is blank",
    ),
    r(
        "FLC-VALUATION-METHOD",
        L,
        E,
        "the valuation method must be 1 to 6",
    ),
    r(
        "FLC-BORDER-MEANS-INCOMPLETE",
        L,
        W,
        "the border means of transport has an identity without nationality or the reverse",
    ),
    // ---- Applied outside control (lodging / HTTP layer) ---------------
    r("FLC-JSON-SYNTAX", S, E, "the body is not a JSON document"),
    r(
        "FLC-BODY-TOO-LARGE",
        S,
        E,
        "the body exceeds the maximum declaration size",
    ),
    r(
        "FLC-SIGNATURE-MISSING",
        S,
        E,
        "the declaration is not signed",
    ),
    r(
        "FLC-SIGNATURE-INVALID",
        S,
        E,
        "the signature does not verify against the body",
    ),
    r(
        "FLC-SIGNING-KEY-UNKNOWN",
        S,
        E,
        "the signing key is not registered for the lodging operator",
    ),
    r(
        "FLC-SIGNING-KEY-REVOKED",
        S,
        E,
        "the signing key was revoked: it signs nothing from its revocation on",
    ),
    r(
        "FLC-LRN-CONFLICT",
        L,
        E,
        "the LRN was already lodged by this declarant with a different body",
    ),
    r(
        "FLC-AMEND-IDENTITY",
        L,
        E,
        "an amendment must keep the LRN, the declarant and the declaration type",
    ),
    // The goods check (tamga_core::goods_check), applied by the lodging
    // layer with the HS classification assistant: warnings, never refusals.
    r(
        "FLC-HS-MISMATCH",
        L,
        W,
        "the declared heading is not among the best headings for the goods description",
    ),
    r(
        "FLC-DESCRIPTION-VAGUE",
        L,
        W,
        "the goods description is too vague to classify the goods",
    ),
    r(
        "FLC-CONTROLLED-GOODS",
        L,
        W,
        "the goods match an entry of the controlled and dual-use goods list and no licence is produced",
    ),
    // Duty assessment (tamga_core::tariff), applied by the lodging layer.
    r(
        "DUTY-ADDITIONAL-CODE-REQUIRED",
        D,
        E,
        "the goods need an additional code for a measure of the tariff",
    ),
    r(
        "DUTY-AMOUNT-PRECISION",
        D,
        E,
        "an amount has more decimals than its currency allows",
    ),
    r(
        "DUTY-BAD-ITEM",
        D,
        E,
        "the goods item cannot be read for duty assessment",
    ),
    r(
        "DUTY-GOODS-CODE-NOT-DECLARABLE",
        D,
        E,
        "the goods code has national subdivisions: declare the national code",
    ),
    r(
        "DUTY-GOODS-CODE-NOT-VALID",
        D,
        E,
        "the goods code is not valid on the acceptance date",
    ),
    r(
        "DUTY-MEASURES-EXPIRED",
        D,
        E,
        "the measures for the goods code are expired on the acceptance date",
    ),
    r(
        "DUTY-NEGATIVE-AMOUNT",
        D,
        E,
        "a value or quantity is negative",
    ),
    r(
        "DUTY-NO-EXCHANGE-RATE",
        D,
        E,
        "no exchange rate for the invoice currency on the acceptance date",
    ),
    r(
        "DUTY-NO-THIRD-COUNTRY-DUTY",
        D,
        E,
        "the tariff has no third-country duty for the goods code",
    ),
    r("DUTY-OVERFLOW", D, E, "an amount is too large to compute"),
    r(
        "DUTY-PROHIBITED",
        D,
        E,
        "import of the goods from that origin is prohibited",
    ),
    r(
        "DUTY-QUANTITY-MISSING",
        D,
        E,
        "a specific duty needs a quantity that is not declared",
    ),
    r(
        "DUTY-RESTRICTION-DOCUMENT-MISSING",
        D,
        E,
        "a restriction (licence, certificate) requires a document that is not presented",
    ),
    r(
        "DUTY-STOPPED-BY-CONDITION",
        D,
        E,
        "a measure condition stops the goods",
    ),
    r(
        "DUTY-UNKNOWN-ADDITIONAL-CODE",
        D,
        E,
        "the additional code is not in the tariff",
    ),
    r(
        "DUTY-UNKNOWN-CURRENCY",
        D,
        E,
        "the currency is not in the tariff",
    ),
    r(
        "DUTY-UNKNOWN-GOODS-CODE",
        D,
        E,
        "the goods code is not in the national nomenclature",
    ),
    r(
        "DUTY-UNKNOWN-ORIGIN",
        D,
        E,
        "the origin is not a country of the tariff",
    ),
    r("DUTY-UNKNOWN-UNIT", D, E, "a measurement unit is unknown"),
];

/// Codes in [`RULES`] that are applied outside the control module (by the
/// lodging/HTTP layer). Every other code is emitted by a control layer.
pub const EXTERNAL_RULES: &[&str] = &[
    "FLC-JSON-SYNTAX",
    "FLC-BODY-TOO-LARGE",
    "FLC-SIGNATURE-MISSING",
    "FLC-SIGNATURE-INVALID",
    "FLC-SIGNING-KEY-UNKNOWN",
    "FLC-SIGNING-KEY-REVOKED",
    "FLC-LRN-CONFLICT",
    "FLC-AMEND-IDENTITY",
    "FLC-HS-MISMATCH",
    "FLC-DESCRIPTION-VAGUE",
    "FLC-CONTROLLED-GOODS",
    "FLC-MANDATE-MISSING",
    "FLC-MANDATE-SCOPE",
    "FLC-MANDATE-KIND",
    "FLC-MANDATE-PAYMENT",
    "DUTY-ADDITIONAL-CODE-REQUIRED",
    "DUTY-AMOUNT-PRECISION",
    "DUTY-BAD-ITEM",
    "DUTY-GOODS-CODE-NOT-DECLARABLE",
    "DUTY-GOODS-CODE-NOT-VALID",
    "DUTY-MEASURES-EXPIRED",
    "DUTY-NEGATIVE-AMOUNT",
    "DUTY-NO-EXCHANGE-RATE",
    "DUTY-NO-THIRD-COUNTRY-DUTY",
    "DUTY-OVERFLOW",
    "DUTY-PROHIBITED",
    "DUTY-QUANTITY-MISSING",
    "DUTY-RESTRICTION-DOCUMENT-MISSING",
    "DUTY-STOPPED-BY-CONDITION",
    "DUTY-UNKNOWN-ADDITIONAL-CODE",
    "DUTY-UNKNOWN-CURRENCY",
    "DUTY-UNKNOWN-GOODS-CODE",
    "DUTY-UNKNOWN-ORIGIN",
    "DUTY-UNKNOWN-UNIT",
];

/// The rule with this code. Panics on an unknown code: codes are constants
/// in this crate and a test checks every one used exists.
pub fn rule(code: &str) -> &'static RuleDef {
    RULES
        .iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("unknown rule {code}"))
}

/// A violation of rule `code` (severity from the catalog) at `pointer`.
pub fn violation(code: &str, pointer: impl Into<String>, message: impl Into<String>) -> Violation {
    let r = rule(code);
    Violation {
        code: r.code.to_owned(),
        severity: r.severity,
        message: message.into(),
        pointer: pointer.into(),
        xpath: None,
        segment: None,
    }
}

/// `base` extended by one RFC 6901 reference token (`~` and `/` escaped).
pub fn pointer_child(base: &str, token: &str) -> String {
    let mut s = String::with_capacity(base.len() + token.len() + 1);
    s.push_str(base);
    s.push('/');
    for c in token.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The control sources (their test code does not count as use).
    const SOURCES: [(&str, &str); 3] = [
        ("structure.rs", include_str!("structure.rs")),
        ("obligations.rs", include_str!("obligations.rs")),
        ("logic.rs", include_str!("logic.rs")),
    ];

    /// Every `"FLC-..."` string literal in a source text.
    fn code_literals(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = src;
        while let Some(i) = rest.find("\"FLC-") {
            let after = &rest[i + 1..];
            let end = after
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'))
                .unwrap_or(after.len());
            // Only complete literals: `"FLC-X..."` closed right after.
            if end > 4 && after[end..].starts_with('"') {
                out.push(after[..end].to_owned());
            }
            rest = &after[end..];
        }
        out
    }

    fn well_formed(code: &str) -> bool {
        let Some(rest) = code
            .strip_prefix("FLC-")
            .or_else(|| code.strip_prefix("DUTY-"))
        else {
            return false;
        };
        !rest.is_empty()
            && rest.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            })
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(well_formed(r.code), "malformed code {}", r.code);
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(!r.message.is_empty());
        }
        assert!(RULES.len() >= 60, "only {} rules", RULES.len());
        assert!(!well_formed("FLC-lower"));
        assert!(!well_formed("FLC--X"));
        assert!(!well_formed("XYZ-A"));
    }

    /// Every `DUTY-...` code the tariff engine returns is in the catalog,
    /// so a duty error becomes a violation like any other.
    #[test]
    fn every_duty_code_is_a_rule() {
        let src = include_str!("../tariff/assess.rs").replace("\"DUTY-", "\"FLC-");
        let codes = code_literals(&src);
        assert!(codes.len() >= 15, "{codes:?}");
        for code in codes {
            let code = code.replacen("FLC-", "DUTY-", 1);
            assert!(
                RULES.iter().any(|r| r.code == code),
                "the tariff engine returns {code}, which is not in RULES"
            );
        }
    }

    #[test]
    fn every_code_used_in_control_exists() {
        for (file, src) in SOURCES {
            for code in code_literals(src) {
                assert!(
                    RULES.iter().any(|r| r.code == code),
                    "{file} uses {code}, which is not in RULES"
                );
            }
        }
    }

    #[test]
    fn every_rule_is_emitted_somewhere() {
        let mut used: HashSet<String> = HashSet::new();
        for (_, src) in SOURCES {
            let production = src.split("#[cfg(test)]").next().unwrap_or(src);
            used.extend(code_literals(production));
        }
        for r in RULES {
            let external = EXTERNAL_RULES.contains(&r.code);
            assert!(
                external || used.contains(r.code),
                "{} is in RULES but no control layer emits it",
                r.code
            );
            assert!(
                !(external && used.contains(r.code)),
                "{} is marked external but emitted by control",
                r.code
            );
        }
        for code in EXTERNAL_RULES {
            assert!(RULES.iter().any(|r| r.code == *code), "{code}");
        }
    }

    #[test]
    fn violation_takes_severity_from_catalog() {
        let v = violation("FLC-CUSTOMS-VALUE-RATIO", "/items/0/customsValue", "x");
        assert_eq!(v.severity, Severity::Warning);
        assert_eq!(v.code, "FLC-CUSTOMS-VALUE-RATIO");
        assert_eq!(
            violation("FLC-JSON-TYPE", "", "x").severity,
            Severity::Error
        );
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_child("", "a/b~c"), "/a~1b~0c");
        assert_eq!(pointer_child("/items", "0"), "/items/0");
    }

    #[test]
    #[should_panic(expected = "unknown rule")]
    fn unknown_rule_panics() {
        rule("FLC-NO-SUCH-RULE");
    }
}
