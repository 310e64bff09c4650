//! Transport and packaging of a declaration: the border means of transport
//! and its transport document for each mode, and the packages of a goods
//! item.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use tamga_core::codes::{DocumentTypeCode, HsCode};
use tamga_core::declaration::{DocumentRef, Packages, Transport, TransportMode};

use crate::identities::cc;
use crate::knowledge::{Partner, SEA_FLAGS};

pub(crate) fn transport(
    rng: &mut ChaCha8Rng,
    mode: TransportMode,
    partner: &Partner,
) -> (Transport, DocumentRef) {
    let letter = |rng: &mut ChaCha8Rng| char::from(b'A' + rng.gen_range(0..26u8));
    let doc = |code: &str, reference: String| DocumentRef {
        type_code: DocumentTypeCode::parse(code).expect("built-in document type"),
        reference,
        issued_on: None,
    };
    match mode {
        TransportMode::Road => {
            let nat = match rng.gen_range(0..20) {
                0..=9 => "UZ",
                10..=16 => partner.code,
                _ => "KZ",
            };
            let plate = if nat == "UZ" {
                format!(
                    "{:02}{}{:03}{}{}",
                    rng.gen_range(1..=95),
                    letter(rng),
                    rng.gen_range(1..1000),
                    letter(rng),
                    letter(rng)
                )
            } else {
                format!(
                    "{}{}{:04}{}",
                    letter(rng),
                    letter(rng),
                    rng.gen_range(1..10000),
                    letter(rng)
                )
            };
            (
                Transport {
                    border_mode: mode,
                    inland_mode: None,
                    border_means_id: Some(plate),
                    border_means_nationality: Some(cc(nat)),
                    container: false,
                },
                doc(
                    "N730",
                    format!("CMR {}{:07}", partner.code, rng.gen_range(0..10_000_000u32)),
                ),
            )
        }
        TransportMode::Rail => {
            let nat = if rng.gen_bool(0.5) { "UZ" } else { "KZ" };
            let container = rng.gen_bool(0.5);
            (
                Transport {
                    border_mode: mode,
                    inland_mode: rng.gen_bool(0.3).then_some(TransportMode::Road),
                    border_means_id: Some(format!(
                        "{:08}",
                        rng.gen_range(20_000_000..99_999_999u32)
                    )),
                    border_means_nationality: Some(cc(nat)),
                    container,
                },
                doc(
                    "N720",
                    format!("SMGS {:08}", rng.gen_range(0..100_000_000u32)),
                ),
            )
        }
        TransportMode::Air => {
            let (airline, prefix, nat) = if rng.gen_bool(0.4) {
                ("HY", "250", "UZ")
            } else {
                (partner.airline.0, partner.airline.1, partner.code)
            };
            // Air waybill serial: 7 digits + check digit (mod 7).
            let serial = rng.gen_range(0..10_000_000u32);
            (
                Transport {
                    border_mode: mode,
                    inland_mode: Some(TransportMode::Road),
                    border_means_id: Some(format!("{airline}{}", rng.gen_range(100..10_000))),
                    border_means_nationality: Some(cc(nat)),
                    container: false,
                },
                doc("N740", format!("{prefix}-{serial:07}{}", serial % 7)),
            )
        }
        _ => {
            let scac = ["MAEU", "MSCU", "CMDU", "COSU", "HLCU"][rng.gen_range(0..5)];
            (
                Transport {
                    border_mode: TransportMode::Sea,
                    inland_mode: Some(if rng.gen_bool(0.6) {
                        TransportMode::Rail
                    } else {
                        TransportMode::Road
                    }),
                    border_means_id: Some(format!("IMO9{:06}", rng.gen_range(0..1_000_000u32))),
                    border_means_nationality: Some(
                        cc(SEA_FLAGS[rng.gen_range(0..SEA_FLAGS.len())]),
                    ),
                    container: true,
                },
                doc(
                    "N705",
                    format!("{scac}{:09}", rng.gen_range(0..1_000_000_000u32)),
                ),
            )
        }
    }
}

pub(crate) fn packages(rng: &mut ChaCha8Rng, hs: &HsCode, gross_kg: f64) -> Packages {
    let (kind, count) = if hs.heading() == "8703" {
        ("PK", (gross_kg / 1400.0).round().max(1.0))
    } else if gross_kg > 800.0 {
        ("PL", (gross_kg / rng.gen_range(300.0..900.0)).ceil())
    } else {
        let kind = ["CT", "CT", "BX", "PK"][rng.gen_range(0..4)];
        (kind, (gross_kg / rng.gen_range(5.0..25.0)).ceil())
    };
    Packages {
        kind: kind.to_owned(),
        count: (count as u32).clamp(1, 9999),
        marks: None,
    }
}
