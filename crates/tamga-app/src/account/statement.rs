//! An account statement for a period, and its CSV form (written with the
//! `csv` crate: RFC 4180 quoting of commas, quotes and line breaks).

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use tamga_core::codes::Mrn;

use super::views::{AccountView, BalanceView, MovementView};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclarationLine {
    pub mrn: Mrn,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub reserved: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub debited: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub released: Decimal,
}

/// A statement for `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    pub account: AccountView,
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub opening: BalanceView,
    pub closing: BalanceView,
    pub movements: Vec<MovementView>,
    pub declarations: Vec<DeclarationLine>,
}

impl Statement {
    /// The statement as CSV (RFC 4180 quoting, `\n` line ends): one
    /// `opening` row, one row per movement with the balances after it, one
    /// `closing` row, then one `declaration` row per declaration with its
    /// reserved, debited and released totals.
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let mut row = |cells: [&str; 12]| {
            // Writing to memory fails only when out of memory.
            w.write_record(cells).expect("CSV into memory");
        };
        row([
            "record",
            "at",
            "txn",
            "kind",
            "bucket",
            "amount",
            "available",
            "reserved",
            "mrn",
            "reference",
            "debited",
            "released",
        ]);
        let from = rfc3339(self.from);
        let to = rfc3339(self.to);
        let (oa, or) = (
            self.opening.available.to_string(),
            self.opening.reserved.to_string(),
        );
        row(["opening", &from, "", "", "", "", &oa, &or, "", "", "", ""]);
        for m in &self.movements {
            let cells = [
                "movement".to_owned(),
                rfc3339(m.at),
                m.txn.to_string(),
                m.kind.as_str().to_owned(),
                m.bucket.as_str().to_owned(),
                m.amount.to_string(),
                m.balance_after.available.to_string(),
                m.balance_after.reserved.to_string(),
                m.mrn
                    .as_ref()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
                m.reference.clone().unwrap_or_default(),
                String::new(),
                String::new(),
            ];
            row(cells.each_ref().map(String::as_str));
        }
        let (ca, cr) = (
            self.closing.available.to_string(),
            self.closing.reserved.to_string(),
        );
        row(["closing", &to, "", "", "", "", &ca, &cr, "", "", "", ""]);
        for d in &self.declarations {
            let (r, db, rl) = (
                d.reserved.to_string(),
                d.debited.to_string(),
                d.released.to_string(),
            );
            row([
                "declaration",
                "",
                "",
                "",
                "",
                "",
                "",
                &r,
                d.mrn.as_str(),
                "",
                &db,
                &rl,
            ]);
        }
        let bytes = w.into_inner().expect("CSV into memory");
        // Every cell is a Rust string, so the bytes are UTF-8.
        String::from_utf8(bytes).expect("UTF-8 CSV")
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_core::codes::CurrencyCode;
    use tamga_core::ledger::{AccountKind, Bucket, TxnKind};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A one-movement statement whose bank reference is `reference`.
    fn statement_with_reference(reference: &str) -> Statement {
        let at = time::macros::datetime!(2026-11-21 10:00 UTC);
        let balances = BalanceView {
            available: dec("5.00"),
            reserved: dec("0.00"),
        };
        Statement {
            account: AccountView {
                id: 1,
                owner: None,
                kind: AccountKind::Cash,
                currency: CurrencyCode::parse("UZS").unwrap(),
                balances: balances.clone(),
                payment_reference: None,
            },
            from: at,
            to: at + time::Duration::days(1),
            opening: BalanceView {
                available: dec("0.00"),
                reserved: dec("0.00"),
            },
            closing: balances.clone(),
            movements: vec![MovementView {
                entry: 1,
                txn: 7,
                at,
                kind: TxnKind::Deposit,
                bucket: Bucket::Available,
                amount: dec("5.00"),
                balance_after: balances,
                mrn: None,
                reference: Some(reference.to_owned()),
            }],
            declarations: vec![],
        }
    }

    /// The statement's movement row, as written.
    fn movement_line(reference: &str) -> String {
        let csv = statement_with_reference(reference).to_csv();
        let start = csv.find("\nmovement,").unwrap() + 1;
        let end = csv.find("\nclosing,").unwrap();
        csv[start..end].to_owned()
    }

    #[test]
    fn csv_cells_are_quoted() {
        assert!(movement_line("a,b").ends_with(",\"a,b\",,"));
        assert!(movement_line("say \"hi\"").ends_with(",\"say \"\"hi\"\"\",,"));
        assert!(movement_line("plain").ends_with(",plain,,"));
        assert!(movement_line("two\nlines").ends_with(",\"two\nlines\",,"));
    }

    /// Fields with commas, quotes, line breaks and non-ASCII text read back
    /// as written, in the right column, with every row 12 fields wide.
    #[test]
    fn csv_statement_reads_back() {
        let tricky = "Bank \"Ipak Yo'li\", ref 12,\r\nline two — ok";
        let csv = statement_with_reference(tricky).to_csv();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(csv.as_bytes());
        let headers = r.headers().unwrap().clone();
        assert_eq!(headers.len(), 12);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|x| x.len() == 12));
        let reference = headers.iter().position(|h| h == "reference").unwrap();
        assert_eq!(&rows[1][0], "movement");
        assert_eq!(&rows[1][reference], tricky);
        assert_eq!(&rows[1][5], "5.00");
        assert_eq!(&rows[2][0], "closing");
    }
}
