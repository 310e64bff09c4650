//! Tests of [`super`]: the registry of every error code the API can
//! answer (collected from the source) against the translations of every
//! language folder, the `.details` texts, the rewriting of an error body
//! and the choice of the language.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::json;

use tamga_app::account::AccountError;
use tamga_app::AppError;
use tamga_core::codes::{CountryCode, CurrencyCode, Eori, Mrn, MrnCategory};
use tamga_core::control::catalog::RULES;
use tamga_core::ledger::{AccountKind, LedgerError, ReservationStatus};
use tamga_portal::i18n::{languages, Tr};

use super::*;

/// The crates whose code makes the API's answers.
const CRATES: &[&str] = &["tamga-core", "tamga-store", "tamga-app", "tamga-http"];

/// Literals of those crates that look like error codes but are not: the
/// registry test fails on a new one, and asks for its message or a line
/// here.
const NOT_CODES: &[&str] = &[
    // Reason codes of a trader's category (`tamga_core::traders`), shown
    // on the officer's workbench, not errors.
    "AMENDMENTS",
    "CLEAN_INSPECTIONS",
    "ESTABLISHED",
    "FINDINGS",
    "FINDINGS_RATE_HIGH",
    "INVALIDATIONS",
    "LITTLE_HISTORY",
    "NEW_OPERATOR",
    "PAYMENT_DELAYS",
    "REFUSALS",
    // SQL and HTTP words.
    "BEGIN",
    "COMMIT",
    "DELETE",
    "PATCH",
    // A risk profile's status, a reference-table row, HS section numerals.
    "DRAFT",
    "TOTAL",
    "XIII",
    "XVII",
    "XVIII",
    // Measurement units of the tariff (`tamga_core::tariff::units_table`).
    "SPQLPA",
    "SPQLTR",
    // The test database's environment variable.
    "TAMGA_TEST_PG_URL",
];

/// Whether `s` is written like an error code: upper-case words of
/// letters and digits joined by `_` or `-` (`WEBHOOK_URL_FORBIDDEN`,
/// `FLC-SIGNATURE-MISSING`), or one upper-case word of at least five
/// letters (`UNAUTHORIZED`, `PERIOD`).
fn code_shaped(s: &str) -> bool {
    let words: Vec<&str> = s.split(['_', '-']).collect();
    let word_ok = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if !s.starts_with(|c: char| c.is_ascii_uppercase()) || !words.iter().all(|w| word_ok(w)) {
        return false;
    }
    words.len() > 1 || (s.len() >= 5 && s.chars().all(|c| c.is_ascii_uppercase()))
}

/// The string literals of one line of Rust.
fn literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        let mut escaped = false;
        for c in chars.by_ref() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => break,
                _ => {
                    escaped = false;
                    s.push(c);
                }
            }
        }
        out.push(s);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every error code the API can answer, with the file that makes it:
/// each code-shaped literal of the non-test code of [`CRATES`] (the codes
/// of `ApiError::new`, `bad_request`, `pub const X: &str`, `code: "…"`,
/// the `code()` match arms, …) that is not in [`NOT_CODES`], every rule
/// of the control catalog, and the codes of reading a WCO message.
fn api_codes() -> Vec<(String, String)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found: Vec<(String, String)> = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&crates.join(krate).join("src"), &mut files);
        for file in files {
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines() {
                let t = line.trim_start();
                if t.starts_with("#[cfg(test)]") {
                    break;
                }
                if t.starts_with("//") {
                    continue;
                }
                for lit in literals(line) {
                    if code_shaped(&lit) && !NOT_CODES.contains(&lit.as_str()) {
                        found.push((lit, format!("{krate}/{name}")));
                    }
                }
            }
        }
    }
    for r in RULES {
        found.push((r.code.to_owned(), "tamga-core control catalog".into()));
    }
    // A declaration lodged as WCO DEC-DMS XML or UN/EDIFACT CUSDEC is
    // refused with the message layer's codes
    // (`tamga_app::clearance::lodge_wco`, `lodge_edifact`); writing a
    // message (`OUT-*`) is not answered by the API.
    for (code, _) in tamga_messages::error::CODES {
        if ["XML-", "SCHEMA-", "WCO-", "EDI-", "CUSDEC-"]
            .iter()
            .any(|p| code.starts_with(p))
        {
            found.push(((*code).to_owned(), "tamga-messages error codes".into()));
        }
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

#[test]
fn the_registry_finds_codes_of_every_kind() {
    let codes: BTreeSet<String> = api_codes().into_iter().map(|(c, _)| c).collect();
    for code in [
        "UNAUTHORIZED",          // ApiError::unauthorized
        "NOT_FOUND",             // the 404 fallback
        "WEBHOOK_URL_FORBIDDEN", // AppError::bad_request
        "KEY_APPROVAL_REQUIRED", // pub const
        "CALCULATOR_DATE",       // code: "…"
        "LEDGER-NO-RESERVATION", // a code() match arm
        "TOO_MANY_CONNECTIONS",  // the transport's raw answer
        "PERIOD",                // one word
        "FLC-SIGNATURE-MISSING", // the catalog
        "DUTY-RESTRICTION-DOCUMENT-MISSING",
    ] {
        assert!(codes.contains(code), "{code} not found");
    }
    for not in ["ESTABLISHED", "TAMGA_TEST_PG_URL", "FLC-X", "POST", "UZS"] {
        assert!(!codes.contains(not), "{not} taken for a code");
    }
    assert!(codes.len() > 300, "{}", codes.len());
    assert!(code_shaped("FLC-SIGNATURE-MISSING") && code_shaped("A1_B2"));
    assert!(!code_shaped("FLC--X") && !code_shaped("_A") && !code_shaped("Abc_D"));
    assert_eq!(literals(r#"f("A_B", "x\"y", 'c')"#), ["A_B", "x\"y"]);
}

/// Adding a language is one more folder of `tamga-portal/i18n/`; this
/// test then lists every code it still lacks.
#[test]
fn every_api_code_has_a_message_in_every_language() {
    let codes = api_codes();
    assert!(languages().len() >= 2, "{:?}", languages());
    let mut report = Vec::new();
    for lang in languages() {
        let tr = Tr::new(lang);
        for (code, origin) in &codes {
            if tr.exact(&message_id(code), None, &[]).is_none() {
                report.push(format!("i18n/{lang}: api-{code} (from {origin})"));
            }
        }
    }
    assert!(
        report.is_empty(),
        "codes without a message ({}):\n{}",
        report.len(),
        report.join("\n")
    );
    // And no message for a code the API no longer answers.
    let known: BTreeSet<String> = codes.into_iter().map(|(c, _)| message_id(&c)).collect();
    let stale: Vec<String> = Tr::message_ids("en")
        .into_iter()
        .filter(|id| id.starts_with("api-") && !known.contains(id))
        .collect();
    assert!(stale.is_empty(), "messages of no code: {stale:?}");
}

fn mrn() -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        7,
        MrnCategory::Import,
    )
    .unwrap()
}

/// Every error whose message has values ([`details`]).
fn detailed_errors() -> Vec<AppError> {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    let ledger = |e: LedgerError| AppError::Account(AccountError::Ledger(e));
    vec![
        AppError::LrnConflict {
            lrn: "IMP-2026-0001".into(),
            mrn: mrn().to_string(),
        },
        AppError::PaymentNotSecured {
            mrn: mrn().to_string(),
            due: d("1500.25"),
            available: d("12.5"),
        },
        AppError::Account(AccountError::Insufficient {
            available: d("99.10"),
        }),
        AppError::Account(AccountError::NoAccount {
            owner: Eori::parse("UZ123456789").unwrap(),
            kind: AccountKind::Guarantee,
        }),
        ledger(LedgerError::TooManyDecimals {
            amount: d("1.234"),
            currency: CurrencyCode::parse("UZS").unwrap(),
            scale: 3,
            allowed: 2,
        }),
        ledger(LedgerError::NotPositive(d("-5"))),
        ledger(LedgerError::TooLarge(d("99999999999"))),
        ledger(LedgerError::CurrencyMismatch {
            expected: CurrencyCode::parse("UZS").unwrap(),
            got: CurrencyCode::parse("USD").unwrap(),
        }),
        ledger(LedgerError::UnknownAccount(31)),
        ledger(LedgerError::UnknownPaymentReference(
            "RF18539007547034".into(),
        )),
        ledger(LedgerError::DuplicatePayment("BANK-77".into())),
        ledger(LedgerError::NoReservation(mrn())),
        ledger(LedgerError::ReservationConflict(mrn())),
        ledger(LedgerError::ReservationSettled {
            mrn: mrn(),
            status: ReservationStatus::Debited,
        }),
        ledger(LedgerError::UnknownRefund(12)),
        ledger(LedgerError::RefundDecided(13)),
    ]
}

#[test]
fn details_are_todays_english_message_and_translated_with_their_values() {
    for e in detailed_errors() {
        let code = e.code();
        let args = details(&e);
        assert!(!args.is_empty(), "{code}: no details");
        // The English `.details` is the message the API makes (amounts as
        // the API writes them).
        let raw: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let en = Tr::new("en").exact(&message_id(code), Some("details"), &raw);
        assert_eq!(en.as_deref(), Some(e.to_string().as_str()), "{code}");
        for lang in languages().iter().filter(|l| **l != "en") {
            let text = message(&Tr::new(lang), code, &args)
                .unwrap_or_else(|| panic!("{lang}: {code} has no details text"));
            assert!(!text.contains('{'), "{lang} {code}: {text}");
            for (name, value) in &args {
                // Amounts are written as numbers of the language; words
                // (a status, an account kind) are translated.
                if AMOUNTS.contains(name) {
                    assert!(text.contains(&Tr::new(lang).number(value)), "{text}");
                } else if !["kind", "status"].contains(name) {
                    assert!(text.contains(value.as_str()), "{lang} {code}: {text}");
                }
            }
        }
    }
    let ru = message(
        &Tr::new("ru"),
        "PAYMENT_NOT_SECURED",
        &details(&detailed_errors()[1]),
    );
    assert_eq!(
        ru.as_deref(),
        Some(
            format!(
                "Таможенные платежи по декларации {} (1\u{a0}500,25) не обеспечены: доступно 12,5.",
                mrn()
            )
            .as_str()
        )
    );
    let ru = message(
        &Tr::new("ru"),
        "LEDGER-NO-ACCOUNT",
        &details(&detailed_errors()[3]),
    );
    assert_eq!(
        ru.as_deref(),
        Some("У оператора UZ123456789 нет гарантийного счёта.")
    );
    // Without its values a code has its general text.
    assert_eq!(
        message(&Tr::new("ru"), "LEDGER-NO-RESERVATION", &[]).as_deref(),
        Some("По декларации нет зарезервированных средств.")
    );
}

#[test]
fn a_body_is_translated_but_its_codes_and_pointers_stay() {
    let mut body = json!({"error": {
        "code": "DECLARATION_REJECTED",
        "message": "rejected by control: 2 violation(s)",
        "violations": [
            {"code": "FLC-SIGNATURE-MISSING", "severity": "error",
             "message": "the declaration is not signed", "pointer": ""},
            {"code": "FLC-NOT-A-RULE", "severity": "error",
             "message": "kept as it is", "pointer": "/items/0"}
        ]
    }});
    let before = body.clone();
    assert!(translate_body(
        &Tr::new("ru"),
        &mut body,
        &ErrorArgs::default()
    ));
    let e = &body["error"];
    assert_eq!(
        e["message"],
        "Декларация не прошла форматно-логический контроль: см. перечень нарушений."
    );
    assert_eq!(e["violations"][0]["message"], "Декларация не подписана.");
    // A code the language lacks keeps its message.
    assert_eq!(e["violations"][1]["message"], "kept as it is");
    for (i, v) in e["violations"].as_array().unwrap().iter().enumerate() {
        let old = &before["error"]["violations"][i];
        assert_eq!(
            (&v["code"], &v["pointer"], &v["severity"]),
            (&old["code"], &old["pointer"], &old["severity"])
        );
    }
    assert_eq!(e["code"], before["error"]["code"]);
    // Not an error body: untouched.
    let mut other = json!({"mrn": "x", "message": "hello"});
    assert!(!translate_body(
        &Tr::new("ru"),
        &mut other,
        &ErrorArgs::default()
    ));
    assert_eq!(other["message"], "hello");
}

#[test]
fn the_language_is_accept_language_with_english_by_default() {
    assert_eq!(language(Some("ru")), "ru");
    assert_eq!(language(Some("ru-RU,ru;q=0.9,en;q=0.5")), "ru");
    assert_eq!(language(Some("fr, ru;q=0.3")), "ru");
    assert_eq!(language(Some("en-GB, ru;q=0.8")), "en");
    assert_eq!(language(Some("xx")), "en");
    assert_eq!(language(Some("")), "en");
    assert_eq!(language(None), "en");
}

#[test]
fn the_openapi_document_says_how_the_language_is_chosen() {
    let doc = serde_json::to_value(crate::openapi_doc()).unwrap();
    let body = &doc["components"]["schemas"]["ErrorBody"]["description"];
    assert!(
        body.as_str()
            .unwrap_or_default()
            .contains("Accept-Language"),
        "{body}"
    );
}
