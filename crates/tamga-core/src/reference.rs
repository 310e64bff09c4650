//! Reference data: the HS nomenclature and the code lists control needs.
//!
//! [`ReferenceBundle`] is the row form (what is shipped in `reference/*.csv`
//! and stored in the database); [`ReferenceData`] is the indexed, read-only
//! form that control rules query. Both are plain values: reading files and
//! databases happens elsewhere.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::{
    AdditionalProcedureCode, CountryCode, CurrencyCode, DocumentTypeCode, HsCode, OfficeCode,
    ProcedureCode,
};
use crate::declaration::DeclarationType;
use crate::office_hours::{OfficeService, OpeningHours};

/// HS 2022 entered into force on 1 January 2022.
pub const HS2022_VALID_FROM: Date = time::macros::date!(2022 - 01 - 01);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HsEntry {
    pub code: String,
    pub description: String,
    pub parent: Option<String>,
    /// 2 (chapter), 4 (heading) or 6 (subheading); deeper for national codes.
    pub level: u8,
    pub section: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    pub code: String,
    pub name: String,
    pub minor_units: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub code: String,
    pub declaration_types: Vec<DeclarationType>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeDescription {
    pub code: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureDocument {
    pub procedure: String,
    pub document_code: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Office {
    pub code: String,
    pub name: String,
    pub country: String,
    /// DEP, DES, TRA, EXT, ENT, IMP, EXP, GUA, RSS.
    pub roles: Vec<String>,
    pub city: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Working hours in the office's local time (`None`: not published).
    #[serde(default)]
    pub hours: Option<OpeningHours>,
    /// What the office offers.
    #[serde(default)]
    pub services: Vec<OfficeService>,
}

/// All reference tables as rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceBundle {
    pub hs: Vec<HsEntry>,
    pub countries: Vec<Country>,
    pub currencies: Vec<Currency>,
    pub procedures: Vec<Procedure>,
    pub additional_procedures: Vec<CodeDescription>,
    /// (procedure, additional procedure) pairs allowed together.
    pub procedure_combinations: Vec<(String, String)>,
    pub document_types: Vec<CodeDescription>,
    pub procedure_documents: Vec<ProcedureDocument>,
    pub offices: Vec<Office>,
}

#[derive(Debug, thiserror::Error)]
#[error("reference file {file}, line {line}: {message}")]
pub struct BundleError {
    pub file: &'static str,
    pub line: u64,
    pub message: String,
}

/// The CSV texts of the shipped reference files (see `reference/README.md`).
pub struct ReferenceCsv<'a> {
    pub hs: &'a str,
    pub countries: &'a str,
    pub currencies: &'a str,
    pub procedures: &'a str,
    pub additional_procedures: &'a str,
    pub procedure_combinations: &'a str,
    pub document_types: &'a str,
    pub procedure_documents: &'a str,
    pub offices: &'a str,
}

fn read_rows(
    file: &'static str,
    text: &str,
    columns: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, BundleError> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| BundleError {
        file,
        line: 1,
        message: e.to_string(),
    })?;
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| BundleError {
                    file,
                    line: 1,
                    message: format!("missing column {c}"),
                })
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| BundleError {
            file,
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        out.push((
            line,
            idx.iter()
                .map(|&i| rec.get(i).unwrap_or("").to_owned())
                .collect(),
        ));
    }
    Ok(out)
}

impl ReferenceBundle {
    pub fn from_csv(csv: &ReferenceCsv<'_>) -> Result<Self, BundleError> {
        let err = |file, line, message: String| BundleError {
            file,
            line,
            message,
        };
        let mut b = ReferenceBundle::default();
        for (line, r) in read_rows(
            "hs2022.csv",
            csv.hs,
            &["section", "hscode", "description", "parent", "level"],
        )? {
            if r[1] == "TOTAL" {
                continue;
            }
            let level: u8 = r[4]
                .parse()
                .map_err(|_| err("hs2022.csv", line, format!("bad level {:?}", r[4])))?;
            b.hs.push(HsEntry {
                code: r[1].clone(),
                description: r[2].clone(),
                parent: (r[3] != "TOTAL" && !r[3].is_empty()).then(|| r[3].clone()),
                level,
                section: r[0].clone(),
                valid_from: HS2022_VALID_FROM,
                valid_to: None,
            });
        }
        for (_, r) in read_rows("countries.csv", csv.countries, &["code", "name"])? {
            b.countries.push(Country {
                code: r[0].clone(),
                name: r[1].clone(),
            });
        }
        for (line, r) in read_rows(
            "currencies.csv",
            csv.currencies,
            &["code", "name", "minor_units"],
        )? {
            let minor_units = r[2].parse().map_err(|_| {
                err(
                    "currencies.csv",
                    line,
                    format!("bad minor_units {:?}", r[2]),
                )
            })?;
            b.currencies.push(Currency {
                code: r[0].clone(),
                name: r[1].clone(),
                minor_units,
            });
        }
        for (line, r) in read_rows(
            "procedures.csv",
            csv.procedures,
            &["code", "declaration_types", "description"],
        )? {
            let declaration_types = r[1]
                .split(';')
                .map(|t| {
                    DeclarationType::parse(t.trim()).ok_or_else(|| {
                        err(
                            "procedures.csv",
                            line,
                            format!("bad declaration type {t:?}"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            b.procedures.push(Procedure {
                code: r[0].clone(),
                declaration_types,
                description: r[2].clone(),
            });
        }
        for (_, r) in read_rows(
            "additional_procedures.csv",
            csv.additional_procedures,
            &["code", "description"],
        )? {
            b.additional_procedures.push(CodeDescription {
                code: r[0].clone(),
                description: r[1].clone(),
            });
        }
        for (_, r) in read_rows(
            "procedure_combinations.csv",
            csv.procedure_combinations,
            &["procedure", "additional_procedure"],
        )? {
            b.procedure_combinations.push((r[0].clone(), r[1].clone()));
        }
        for (_, r) in read_rows(
            "document_types.csv",
            csv.document_types,
            &["code", "description"],
        )? {
            b.document_types.push(CodeDescription {
                code: r[0].clone(),
                description: r[1].clone(),
            });
        }
        for (_, r) in read_rows(
            "procedure_documents.csv",
            csv.procedure_documents,
            &["procedure", "document_code", "reason"],
        )? {
            b.procedure_documents.push(ProcedureDocument {
                procedure: r[0].clone(),
                document_code: r[1].clone(),
                reason: r[2].clone(),
            });
        }
        for (line, r) in read_rows(
            "offices.csv",
            csv.offices,
            &[
                "code",
                "name",
                "country",
                "roles",
                "city",
                "latitude",
                "longitude",
                "hours",
                "services",
            ],
        )? {
            let coord = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| err("offices.csv", line, format!("bad coordinate {s:?}")))
            };
            b.offices.push(Office {
                code: r[0].clone(),
                name: r[1].clone(),
                country: r[2].clone(),
                roles: r[3]
                    .split(';')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
                city: r[4].clone(),
                latitude: coord(&r[5])?,
                longitude: coord(&r[6])?,
                hours: match r[7].trim() {
                    "" => None,
                    h => Some(
                        OpeningHours::parse(h).map_err(|e| err("offices.csv", line, e.reason))?,
                    ),
                },
                services: OfficeService::parse_list(&r[8])
                    .map_err(|e| err("offices.csv", line, e))?,
            });
        }
        Ok(b)
    }

    /// Row counts per table, for load reports.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("hs", self.hs.len()),
            ("countries", self.countries.len()),
            ("currencies", self.currencies.len()),
            ("procedures", self.procedures.len()),
            ("additional_procedures", self.additional_procedures.len()),
            ("procedure_combinations", self.procedure_combinations.len()),
            ("document_types", self.document_types.len()),
            ("procedure_documents", self.procedure_documents.len()),
            ("offices", self.offices.len()),
        ]
    }
}

/// Indexed reference data, read-only, shared by all requests.
#[derive(Debug, Clone, Default)]
pub struct ReferenceData {
    hs: HashMap<String, (Date, Option<Date>)>,
    countries: HashSet<String>,
    currencies: HashMap<String, u32>,
    procedures: HashMap<String, Vec<DeclarationType>>,
    additional_procedures: HashSet<String>,
    combinations: HashSet<(String, String)>,
    document_types: HashSet<String>,
    procedure_documents: HashMap<String, Vec<(String, String)>>,
    offices: HashMap<String, Vec<String>>,
}

impl ReferenceData {
    pub fn new(b: &ReferenceBundle) -> Self {
        let mut procedure_documents: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for d in &b.procedure_documents {
            procedure_documents
                .entry(d.procedure.clone())
                .or_default()
                .push((d.document_code.clone(), d.reason.clone()));
        }
        Self {
            hs: b
                .hs
                .iter()
                .map(|e| (e.code.clone(), (e.valid_from, e.valid_to)))
                .collect(),
            countries: b.countries.iter().map(|c| c.code.clone()).collect(),
            currencies: b
                .currencies
                .iter()
                .map(|c| (c.code.clone(), c.minor_units))
                .collect(),
            procedures: b
                .procedures
                .iter()
                .map(|p| (p.code.clone(), p.declaration_types.clone()))
                .collect(),
            additional_procedures: b
                .additional_procedures
                .iter()
                .map(|c| c.code.clone())
                .collect(),
            combinations: b.procedure_combinations.iter().cloned().collect(),
            document_types: b.document_types.iter().map(|c| c.code.clone()).collect(),
            procedure_documents,
            offices: b
                .offices
                .iter()
                .map(|o| (o.code.clone(), o.roles.clone()))
                .collect(),
        }
    }

    fn hs_valid(&self, code: &str, on: Date) -> bool {
        self.hs
            .get(code)
            .is_some_and(|(from, to)| *from <= on && to.is_none_or(|t| on <= t))
    }

    /// Whether the code exists on `on` at subheading level or deeper: the
    /// 6-digit subheading must be in the nomenclature, and so must the full
    /// code where national 8/10-digit codes are loaded for that subheading.
    pub fn hs_code_valid(&self, code: &HsCode, on: Date) -> bool {
        if !self.hs_valid(code.subheading(), on) {
            return false;
        }
        let code = code.as_str();
        if code.len() == 6 {
            return true;
        }
        // National extensions: if any code deeper than 6 digits is loaded
        // under this subheading, the declared code must be one of them.
        let has_national = (8..=code.len())
            .step_by(2)
            .any(|l| self.hs.contains_key(&code[..l]));
        !has_national || self.hs_valid(code, on)
    }

    pub fn country_exists(&self, c: &CountryCode) -> bool {
        self.countries.contains(c.as_str())
    }

    /// Minor units (decimal places) of a currency, if it exists.
    pub fn currency_minor_units(&self, c: &CurrencyCode) -> Option<u32> {
        self.currencies.get(c.as_str()).copied()
    }

    /// Declaration types a procedure may be used with, if it exists.
    pub fn procedure_types(&self, p: &ProcedureCode) -> Option<&[DeclarationType]> {
        self.procedures.get(p.as_str()).map(Vec::as_slice)
    }

    pub fn additional_procedure_exists(&self, c: &AdditionalProcedureCode) -> bool {
        self.additional_procedures.contains(c.as_str())
    }

    pub fn combination_allowed(&self, p: &ProcedureCode, a: &AdditionalProcedureCode) -> bool {
        self.combinations
            .contains(&(p.as_str().to_owned(), a.as_str().to_owned()))
    }

    pub fn document_type_exists(&self, d: &DocumentTypeCode) -> bool {
        self.document_types.contains(d.as_str())
    }

    /// Documents (code, reason) that every declaration under `p` must carry.
    pub fn required_documents(&self, p: &ProcedureCode) -> &[(String, String)] {
        self.procedure_documents
            .get(p.as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// Roles of an office, if it exists.
    pub fn office_roles(&self, o: &OfficeCode) -> Option<&[String]> {
        self.offices.get(o.as_str()).map(Vec::as_slice)
    }
}

/// The reference data shipped in the repository's `reference/` folder,
/// compiled in (no file is read at run time); the product loads it into
/// the database through `tamga_app::reference`.
pub const SHIPPED: ReferenceCsv<'static> = ReferenceCsv {
    hs: include_str!("../../../reference/hs2022.csv"),
    countries: include_str!("../../../reference/countries.csv"),
    currencies: include_str!("../../../reference/currencies.csv"),
    procedures: include_str!("../../../reference/procedures.csv"),
    additional_procedures: include_str!("../../../reference/additional_procedures.csv"),
    procedure_combinations: include_str!("../../../reference/procedure_combinations.csv"),
    document_types: include_str!("../../../reference/document_types.csv"),
    procedure_documents: include_str!("../../../reference/procedure_documents.csv"),
    offices: include_str!("../../../reference/offices.csv"),
};

/// [`SHIPPED`] as rows, parsed once (tests of this crate only).
#[cfg(test)]
pub(crate) fn shipped_for_tests() -> &'static ReferenceBundle {
    static B: std::sync::OnceLock<ReferenceBundle> = std::sync::OnceLock::new();
    B.get_or_init(|| ReferenceBundle::from_csv(&SHIPPED).expect("shipped reference data loads"))
}
