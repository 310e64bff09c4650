//! CSV files in the public Korea Customs Service format (the synthetic
//! import declarations of the DATE paper): one row per declaration with
//! `Declaration ID`, `Date`, the categorical columns, `Net Mass`,
//! `Item Price`, `Tax Rate`, and `Fraud` (0 or 1) where known.
//!
//! Columns are found by their header (case and spaces ignored), in any
//! order; unknown columns are ignored. A column named `Revenue` (or
//! `Additional Tax`), where a file has one, is read as the revenue an
//! inspection recovered. Errors name the line and the column.

use std::io::Read;

use time::macros::format_description;
use time::Date;

use crate::record::{Attribute, Record};

/// A row or header that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("line {line}, column {column:?}: {message}")]
pub struct KcsError {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// The header names of each attribute, as the KCS files spell them.
fn header_of(a: Attribute) -> &'static str {
    match a {
        Attribute::Office => "Office ID",
        Attribute::ProcessType => "Process Type",
        Attribute::ImportType => "Import Type",
        Attribute::ImportUse => "Import Use",
        Attribute::PaymentType => "Payment Type",
        Attribute::Transport => "Mode of Transport",
        Attribute::Declarant => "Declarant ID",
        Attribute::Importer => "Importer ID",
        Attribute::Seller => "Seller ID",
        Attribute::Courier => "Courier ID",
        Attribute::Hs6 => "HS6 Code",
        Attribute::Departure => "Country of Departure",
        Attribute::Origin => "Country of Origin",
        Attribute::TaxType => "Tax Type",
        Attribute::OriginIndicator => "Country of Origin Indicator",
    }
}

fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The rows of a KCS-format file. `need_label`: every row must carry
/// `Fraud` (training and evaluation); otherwise it may be absent.
pub fn read(input: impl Read, need_label: bool) -> Result<Vec<Record>, KcsError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| KcsError {
            line: 1,
            column: String::new(),
            message: format!("cannot read the header: {e}"),
        })?
        .clone();
    let find = |name: &str| headers.iter().position(|h| norm(h) == norm(name));
    let need = |name: &str| {
        find(name).ok_or_else(|| KcsError {
            line: 1,
            column: name.to_owned(),
            message: "this column is missing".to_owned(),
        })
    };
    let id_col = need("Declaration ID")?;
    let date_col = need("Date")?;
    let label_col = if need_label {
        Some(need("Fraud")?)
    } else {
        find("Fraud")
    };
    let cat_cols: Vec<Option<usize>> = Attribute::ALL.iter().map(|a| find(header_of(*a))).collect();
    let mass_col = find("Net Mass");
    let price_col = find("Item Price");
    let rate_col = find("Tax Rate");
    let revenue_col = find("Revenue").or_else(|| find("Additional Tax"));
    let date_format = format_description!("[year]-[month]-[day]");

    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| KcsError {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            column: String::new(),
            message: e.to_string(),
        })?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let err = |col: usize, message: String| KcsError {
            line,
            column: headers.get(col).unwrap_or("").to_owned(),
            message,
        };
        let field = |col: usize| row.get(col).unwrap_or("").trim();
        let number = |col: Option<usize>| -> Result<Option<f64>, KcsError> {
            let Some(col) = col else { return Ok(None) };
            let text = field(col);
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(err(col, format!("{text:?} is not a number"))),
            }
        };
        let id = field(id_col).to_owned();
        if id.is_empty() {
            return Err(err(id_col, "the id is empty".to_owned()));
        }
        let date_text = field(date_col);
        let date = Date::parse(date_text.get(..10).unwrap_or(date_text), date_format)
            .map_err(|_| err(date_col, format!("{date_text:?} is not a date YYYY-MM-DD")))?;
        let label = match label_col {
            None => None,
            Some(col) => match field(col) {
                "1" | "1.0" | "true" => Some(true),
                "0" | "0.0" | "false" => Some(false),
                "" if !need_label => None,
                other => return Err(err(col, format!("{other:?} is not 0 or 1"))),
            },
        };
        out.push(Record {
            id,
            date,
            cats: cat_cols
                .iter()
                .map(|c| c.map(|c| field(c).to_owned()).unwrap_or_default())
                .collect(),
            net_mass_kg: number(mass_col)?,
            item_price: number(price_col)?,
            tax_rate: number(rate_col)?,
            label,
            revenue: number(revenue_col)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "Declaration ID,Date,Office ID,Importer ID,HS6 Code,Net Mass,Item Price,Tax Rate,Fraud\n";

    #[test]
    fn rows_are_read_by_their_headers() {
        let text = format!("{HEAD}7,2020-01-02,30,IMP1,440890,108.0,372254.4,8.0,1\n");
        let rows = read(text.as_bytes(), true).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.id, "7");
        assert_eq!(r.date.to_string(), "2020-01-02");
        assert_eq!(r.cat(Attribute::Importer), "IMP1");
        assert_eq!(r.hs(4), "4408");
        assert_eq!(r.cat(Attribute::Seller), "");
        assert_eq!(r.label, Some(true));
        assert_eq!(r.tax_rate, Some(8.0));
        assert!((r.unit_value_per_kg().unwrap() - 3446.8).abs() < 1e-6);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let text = format!("{HEAD}7,2020-01-02,30,IMP1,440890,heavy,1,8,0\n");
        let e = read(text.as_bytes(), true).unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (2, "Net Mass"));
        let text = format!("{HEAD}7,02/01/2020,30,IMP1,440890,1,1,8,0\n");
        let e = read(text.as_bytes(), true).unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (2, "Date"));
        let text = format!("{HEAD}7,2020-01-02,30,IMP1,440890,1,1,8,maybe\n");
        assert_eq!(read(text.as_bytes(), true).unwrap_err().column, "Fraud");
        let e = read("Declaration ID,Date\n1,2020-01-01\n".as_bytes(), true).unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (1, "Fraud"));
        // Scoring needs no label.
        assert_eq!(
            read("Declaration ID,Date\n1,2020-01-01\n".as_bytes(), false).unwrap()[0].label,
            None
        );
    }
}
