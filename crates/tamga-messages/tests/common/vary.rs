//! Sets, on a share of tamga-sim's declarations, the optional fields its
//! generator never sets, so that every field crosses a message format
//! (shared by the WCO XML and the CUSDEC round trips).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use tamga_core::codes::{CountryCode, Eori, OfficeCode};
use tamga_core::declaration::{
    AdditionalType, Declaration, DeclarationType, RepresentationKind, Representative, TransportMode,
};

pub fn vary(d: &mut Declaration, rng: &mut ChaCha8Rng) {
    if rng.gen_bool(0.5) {
        d.representative = Some(Representative {
            id: Eori::parse("DE123456789012345").unwrap(),
            name: "Spedition & Söhne <Zoll> \"Agent\"".to_owned(),
            kind: if rng.gen_bool(0.5) {
                RepresentationKind::Direct
            } else {
                RepresentationKind::Indirect
            },
        });
    }
    if rng.gen_bool(0.5) {
        d.presentation_office = Some(OfficeCode::parse("UZ000200").unwrap());
        d.exit_office = Some(OfficeCode::parse("UZ000300").unwrap());
    }
    if rng.gen_bool(0.5) {
        d.transport.inland_mode = Some(TransportMode::ALL[rng.gen_range(0..8)]);
        d.transport.border_mode = TransportMode::ALL[rng.gen_range(0..8)];
        d.transport.container = !d.transport.container;
    }
    if rng.gen_bool(0.3) {
        d.declaration_type = DeclarationType::ALL[rng.gen_range(0..3)];
        d.additional_type = AdditionalType::ALL[rng.gen_range(0..3)];
    }
    if rng.gen_bool(0.5) {
        d.exporter = d.seller.clone();
        d.importer = Some(d.declarant.clone());
    }
    for item in &mut d.items {
        if rng.gen_bool(0.3) {
            item.supplementary_units = Some(Decimal::new(rng.gen_range(1..100_000), 3));
            item.preferential_origin = Some(CountryCode::parse("TR").unwrap());
            item.packages.marks = Some("MARKS & NUMBERS 1/2".to_owned());
        }
    }
}
