//! Detached Ed25519 signatures over the exact bytes of a request body.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is not valid base64 of 64 bytes")]
    Malformed,
    #[error("public key is not valid base64 of a 32-byte Ed25519 key")]
    BadKey,
    #[error("signature does not match the body and key")]
    Mismatch,
}

/// Parses a base64 Ed25519 public key (32 bytes).
pub fn parse_public_key(b64: &str) -> Result<VerifyingKey, SignatureError> {
    let bytes = B64.decode(b64.trim()).map_err(|_| SignatureError::BadKey)?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| SignatureError::BadKey)?;
    VerifyingKey::from_bytes(&arr).map_err(|_| SignatureError::BadKey)
}

/// Verifies a base64 detached signature over `body`.
pub fn verify(key: &VerifyingKey, body: &[u8], signature_b64: &str) -> Result<(), SignatureError> {
    let bytes = B64
        .decode(signature_b64.trim())
        .map_err(|_| SignatureError::Malformed)?;
    let sig = Signature::from_slice(&bytes).map_err(|_| SignatureError::Malformed)?;
    key.verify(body, &sig).map_err(|_| SignatureError::Mismatch)
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
}
