//! The reference data shipped in the repository (`reference/*.csv`),
//! compiled into the binary and loaded into the database on start.

use tamga_core::reference::{BundleError, ReferenceBundle};

pub use tamga_core::reference::SHIPPED;

/// The shipped reference data as rows.
pub fn shipped() -> Result<ReferenceBundle, BundleError> {
    ReferenceBundle::from_csv(&SHIPPED)
}

/// The demo tariff shipped in the repository, completed with the shipped
/// HS nomenclature and countries, as a freshly started tamga uses it.
pub fn demo_tariff() -> Result<tamga_core::tariff::Tariff, String> {
    let mut t = tamga_core::tariff::load(tamga_core::tariff::DEMO_TARIFF_JSON)
        .map_err(|e| format!("demo tariff: {e:?}"))?;
    let b = shipped().map_err(|e| e.to_string())?;
    t.with_base_nomenclature(&b.hs, &b.countries);
    Ok(t)
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
