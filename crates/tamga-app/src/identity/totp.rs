//! The second factor: RFC 6238 time-based one-time passwords (`totp-rs`),
//! as every authenticator app reads them: HMAC-SHA-1, 6 digits, 30-second
//! steps, one step of clock skew either way. A secret is 20 random bytes
//! (160 bits, RFC 4226's recommendation), stored and shown in base32.
//!
//! [`matching_step`] tells which time step a code belongs to; the caller
//! accepts a step once ([`tamga_store::SessionStore::accept_totp_step`]),
//! so a code seen over someone's shoulder cannot be used again.

use ring::rand::SecureRandom;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a code.
pub const DIGITS: u8 = 6;
/// The issuer authenticator apps show.
pub const ISSUER: &str = "tamga";

/// A fresh secret, base32 (20 bytes from the operating system's CSPRNG).
pub fn new_secret() -> Result<String, crate::AppError> {
    let mut bytes = [0u8; 20];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| crate::AppError::Unavailable("the system random generator failed".into()))?;
    Ok(Secret::from(bytes.to_vec()).to_base32())
}

fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        // The account name may not contain a colon.
        .with_account_name(account.replace(':', "_"))
        .build()
        .ok()
}

/// The `otpauth://totp/…` URI an authenticator app scans (as a QR code)
/// or takes typed in.
pub fn provisioning_uri(secret_b32: &str, username: &str) -> Option<String> {
    totp(secret_b32, username)?.to_url().ok()
}

/// The time step (Unix seconds / 30) whose code `code` is, within one
/// step of `unix_seconds`; `None` when it is no such code (or the secret
/// does not parse).
pub fn matching_step(secret_b32: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret_b32, "x")?;
    let step = t.check(code, u64::try_from(unix_seconds).ok()?)?;
    i64::try_from(step).ok()
}

/// The code of `secret_b32` at `unix_seconds` (what the user's app shows;
/// for tests and tools).
pub fn code_at(secret_b32: &str, unix_seconds: i64) -> Option<String> {
    let t = totp(secret_b32, "x")?;
    Some(t.generate(u64::try_from(unix_seconds).ok()?).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s
        // gives 94287082 with 8 digits; with 6, its last six.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(&secret, 1_111_111_109).as_deref(), Some("081804"));
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let s = new_secret().unwrap();
        assert_eq!(s.len(), 32, "20 bytes are 32 base32 characters");
        assert_ne!(s, new_secret().unwrap());
        let t = 1_800_000_015;
        let code = code_at(&s, t).unwrap();
        assert_eq!(matching_step(&s, &code, t), Some(t / 30));
        assert_eq!(matching_step(&s, &code, t + 30), Some(t / 30));
        assert_eq!(matching_step(&s, &code, t - 30), Some(t / 30));
        assert_eq!(matching_step(&s, &code, t + 90), None);
        assert_eq!(matching_step(&s, "12345", t), None);
        assert_eq!(matching_step(&s, "abcdef", t), None);
        assert_eq!(matching_step("not base32!", &code, t), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        let s = new_secret().unwrap();
        let uri = provisioning_uri(&s, "akarimov").unwrap();
        assert!(uri.starts_with("otpauth://totp/tamga:akarimov?"), "{uri}");
        assert!(uri.contains(&format!("secret={s}")), "{uri}");
        assert!(uri.contains("issuer=tamga"), "{uri}");
    }
}
