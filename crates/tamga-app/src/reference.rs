//! The reference data shipped in the repository (`reference/*.csv`),
//! compiled into the binary and loaded into the database on start.

use tamga_core::reference::{BundleError, ReferenceBundle, ReferenceCsv};

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

/// The shipped reference data as rows.
pub fn shipped() -> Result<ReferenceBundle, BundleError> {
    ReferenceBundle::from_csv(&SHIPPED)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_reference_parses_and_is_complete() {
        let b = super::shipped().unwrap();
        assert!(b.hs.iter().filter(|e| e.level == 6).count() > 5000);
        assert!(b.countries.iter().any(|c| c.code == "UZ"));
        assert!(b
            .currencies
            .iter()
            .any(|c| c.code == "UZS" && c.minor_units == 2));
        assert!(b
            .offices
            .iter()
            .any(|o| o.code == "UZ000100" && o.roles.iter().any(|r| r == "IMP")));
        assert!(b.procedures.iter().any(|p| p.code == "4000"));
    }
}
