//! Detached Ed25519 signatures over the exact bytes of a request body.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is not valid base64 of 64 bytes")]
    Malformed,
    #[error("public key is not valid base64 of a 32-byte Ed25519 key")]
    BadKey,
    #[error("signature does not match the body and key")]
    Mismatch,
    #[error("public key is a weak (small-order) Ed25519 point")]
    WeakKey,
}

/// Parses a base64 Ed25519 public key (32 bytes). Weak (small-order)
/// points are refused: a signature "verifies" under them for many bodies.
pub fn parse_public_key(b64: &str) -> Result<VerifyingKey, SignatureError> {
    let bytes = B64.decode(b64.trim()).map_err(|_| SignatureError::BadKey)?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| SignatureError::BadKey)?;
    let key = VerifyingKey::from_bytes(&arr).map_err(|_| SignatureError::BadKey)?;
    if key.is_weak() {
        return Err(SignatureError::WeakKey);
    }
    Ok(key)
}

/// Verifies a base64 detached signature over `body`, strictly (RFC 8032
/// with the small-order and non-canonical checks of `verify_strict`).
pub fn verify(key: &VerifyingKey, body: &[u8], signature_b64: &str) -> Result<(), SignatureError> {
    let bytes = B64
        .decode(signature_b64.trim())
        .map_err(|_| SignatureError::Malformed)?;
    let sig = Signature::from_slice(&bytes).map_err(|_| SignatureError::Malformed)?;
    key.verify_strict(body, &sig)
        .map_err(|_| SignatureError::Mismatch)
}

/// Signs `body` (for the demo, the simulator and tests), base64.
pub fn sign(key: &SigningKey, body: &[u8]) -> String {
    B64.encode(key.sign(body).to_bytes())
}

/// Base64 of a public key, the form traders register.
pub fn public_key_b64(key: &VerifyingKey) -> String {
    B64.encode(key.to_bytes())
}

/// A signing key from a 32-byte seed (deterministic demo keys).
pub fn signing_key_from_seed(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let k = signing_key_from_seed([7; 32]);
        let body = br#"{"lrn":"A1"}"#;
        let sig = sign(&k, body);
        let pk = parse_public_key(&public_key_b64(&k.verifying_key())).unwrap();
        assert_eq!(verify(&pk, body, &sig), Ok(()));
        assert_eq!(
            verify(&pk, br#"{"lrn":"A2"}"#, &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&pk, body, "not base64!"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            parse_public_key("AAAA").unwrap_err(),
            SignatureError::BadKey
        );
        let other = signing_key_from_seed([8; 32]);
        assert_eq!(
            verify(&other.verifying_key(), body, &sig),
            Err(SignatureError::Mismatch)
        );
    }

    /// The identity point (a small-order key) with R = identity and s = 0:
    /// a lenient verifier accepts it for every body; the strict one and key
    /// parsing refuse it.
    #[test]
    fn identity_point_is_refused() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let key = VerifyingKey::from_bytes(&identity).unwrap();
        assert!(key.is_weak());
        let mut sig = [0u8; 64];
        sig[0] = 1;
        let sig_b64 = B64.encode(sig);
        for body in [&b"{}"[..], br#"{"mrn":"X","act":"release"}"#] {
            assert_eq!(verify(&key, body, &sig_b64), Err(SignatureError::Mismatch));
        }
        assert_eq!(
            parse_public_key(&B64.encode(identity)),
            Err(SignatureError::WeakKey)
        );
    }
}
