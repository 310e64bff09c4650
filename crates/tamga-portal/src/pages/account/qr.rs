//! The payment reference's QR code, drawn as SVG on the server with the
//! `qrcode` crate (no script, no image fetched from elsewhere).
//!
//! What it encodes: the text of an EPC069-12 "SEPA credit transfer" QR
//! code (the European Payments Council's format, which banking apps
//! read), line by line: `BCD` (service tag), `002` (version), `1` (UTF-8),
//! `SCT`, the beneficiary's BIC (empty: tamga keeps no bank details of the
//! customs), the beneficiary's name (`CUSTOMS`, the API's payee), its
//! account (empty, as the BIC), the amount (here only the currency: the
//! trader chooses how much to top up, and EPC's amount is in euro, so this
//! is EPC-*like*), the purpose (empty) and the structured creditor
//! reference — the ISO 11649 `RF…` payment reference the bank's deposit
//! names (`POST /api/v1/bank/deposits`).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The beneficiary's name (the payee of `PaymentInstructions::qr_payload`).
pub const BENEFICIARY: &str = "CUSTOMS";

/// The EPC-like text of a payment reference (see the module doc).
pub fn payload(reference: &str, currency: &str) -> String {
    [
        "BCD",
        "002",
        "1",
        "SCT",
        "",
        BENEFICIARY,
        "",
        currency,
        "",
        reference,
    ]
    .join("\n")
}

/// The QR code of `text` as an SVG document (medium error correction, as
/// EPC069-12 asks), at least 200 pixels wide; `None` if the text is too
/// long for a QR code (a payment reference never is).
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#000"))
            .light_color(svg::Color("#fff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_of_the_epc_text() {
        let p = payload("RF18000000000000000101", "UZS");
        let lines: Vec<&str> = p.split('\n').collect();
        assert_eq!(lines[0], "BCD");
        assert_eq!(lines[3], "SCT");
        assert_eq!(lines[5], BENEFICIARY);
        assert_eq!(lines[7], "UZS");
        assert_eq!(lines[9], "RF18000000000000000101");
        let s = svg(&p).unwrap();
        assert!(s.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.ends_with("</svg>"));
        assert!(!s.contains("style"));
        assert!(svg(&"x".repeat(8000)).is_none());
    }
}
