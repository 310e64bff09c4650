//! The account area of the portal: a company's online registration
//! (`/register`), the trader's single personal account (`/trader/account`:
//! balances, statement, payment reference and its QR code), the person's
//! signing keys (`/me/keys`, made in the browser with WebCrypto), API
//! tokens (`/me/tokens`) and the trader's webhook (`/trader/webhook`).
//!
//! These only render: the HTTP layer (`tamga-http`'s `portal::account`)
//! calls the same services as the API and hands their answers here.

pub mod keys;
pub mod ledger;
pub mod qr;
pub mod register;
pub mod tokens;
pub mod webhook;

use time::OffsetDateTime;

use crate::Ctx;

/// The message of an error `code` of the account area in the page's
/// language: `acct-error-<CODE>`, else the login pages' message of that
/// code, else the generic "could not be done (CODE)".
pub fn error_message(ctx: &Ctx, code: &str) -> String {
    for id in [format!("acct-error-{code}"), format!("login-error-{code}")] {
        if ctx.tr.has(&id) {
            return ctx.tr.t(&id);
        }
    }
    ctx.tr.t1("page-error-generic", "code", code)
}

/// `2026-12-06 16:40 UTC`.
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The CSRF token of the logged-in person's session (empty without one).
fn csrf(ctx: &Ctx) -> String {
    ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_utc_and_codes_translated() {
        let t = time::macros::datetime!(2026-12-06 21:40 +05:00);
        assert_eq!(when(t), "2026-12-06 16:40 UTC");
        let ctx = Ctx::new("ru", "/", vec![]);
        assert_eq!(
            error_message(&ctx, "NO_SUCH_CODE"),
            ctx.tr.t1("page-error-generic", "code", "NO_SUCH_CODE")
        );
        assert_ne!(error_message(&ctx, "EORI_FORMAT"), "");
        assert!(!error_message(&ctx, "EORI_FORMAT").contains("EORI_FORMAT"));
    }
}
