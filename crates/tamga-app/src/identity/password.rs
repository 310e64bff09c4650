//! Passwords: argon2id hashes and the policy a new password must meet.
//!
//! - Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so
//!   the parameters travel with each hash and can be raised later: a hash
//!   made with weaker parameters than [`params`] is reported by
//!   [`needs_rehash`] and replaced at the next successful login.
//! - The parameters suit a 2-core server: 19 MiB, 2 passes, 1 lane (the
//!   OWASP minimum for argon2id), about 30–60 ms a hash here; measured by
//!   `tamga bench identity`.
//! - Hashing and verifying are CPU work: callers on an async runtime run
//!   them on a blocking thread.
//! - A password is refused when it is shorter than [`MIN_CHARS`] or
//!   longer than [`MAX_CHARS`] characters, or when zxcvbn estimates it
//!   can be guessed in about 10^8 tries or fewer (its score below 3) (common passwords, names,
//!   dates, keyboard patterns, and the user's own name, username and
//!   e-mail given as inputs).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// Most characters a password may have (argon2 takes any length; this
/// bounds the work one login can ask for).
pub const MAX_CHARS: usize = 128;

/// Why a password is refused (the API's error code and message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_CHARS} characters")]
    TooLong,
    #[error("this password is too easy to guess{0}")]
    Weak(String),
    #[error("this password was used recently: choose another")]
    Reused,
}

impl PasswordError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordError::TooShort => "PASSWORD_TOO_SHORT",
            PasswordError::TooLong => "PASSWORD_TOO_LONG",
            PasswordError::Weak(_) => "PASSWORD_WEAK",
            PasswordError::Reused => "PASSWORD_REUSED",
        }
    }
}

/// The argon2id parameters of new hashes.
pub fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters")
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Checks `password` against the policy; `inputs` are the user's own
/// words (username, name, e-mail), which a password must not lean on.
pub fn check_policy(password: &str, inputs: &[&str]) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    // Each word of the inputs on its own ("Alisher Karimov" gives
    // "alisher" and "karimov"), as zxcvbn matches whole dictionary words.
    let words: Vec<String> = inputs
        .iter()
        .flat_map(|i| i.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .chain(inputs.iter().map(|i| i.to_lowercase()))
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if (estimate.score() as u8) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        return Err(PasswordError::Weak(hint));
    }
    Ok(())
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password of bounded length")
        .to_string()
}

/// Whether `password` matches the stored `phc` hash. A malformed stored
/// hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_CHARS {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification without a user: a login for an
/// unknown username takes as long as one with a wrong password, so the
/// answer's timing does not tell which usernames exist.
pub fn verify_nobody(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("tamga: nobody has this password"));
    let _ = verify(password, phc);
}

/// Whether a stored hash was made with other parameters than [`params`]
/// (or another algorithm): it is replaced at the next successful login.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let Ok(stored) = Params::try_from(&parsed) else {
        return true;
    };
    let p = params();
    parsed.algorithm.as_str() != "argon2id"
        || stored.m_cost() != p.m_cost()
        || stored.t_cost() != p.t_cost()
        || stored.p_cost() != p.p_cost()
}

/// A random password that meets the policy (for an administrator's reset
/// and for `tamga admin`): 20 characters from an alphabet without look-alikes.
pub fn generate() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapl", &h));
        assert!(!verify("correct horse battery staple", "not a hash"));
        assert!(!needs_rehash(&h));
        // Two hashes of one password differ (fresh salt).
        assert_ne!(h, hash("correct horse battery staple"));
    }

    #[test]
    fn weaker_parameters_are_rehashed() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        )
        .hash_password(b"whatever it is", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify("whatever it is", &weak));
        assert!(needs_rehash(&weak));
        assert!(needs_rehash("garbage"));
    }

    #[test]
    fn the_policy_refuses_short_long_common_and_personal_passwords() {
        assert_eq!(check_policy("Sh0rt!", &[]), Err(PasswordError::TooShort));
        assert_eq!(
            check_policy(&"a".repeat(MAX_CHARS + 1), &[]),
            Err(PasswordError::TooLong)
        );
        for weak in [
            "password1234",
            "qwertyuiop123",
            "111111111111",
            "iloveyou2024",
        ] {
            assert_eq!(
                check_policy(weak, &[]).map_err(|e| e.code()),
                Err("PASSWORD_WEAK"),
                "{weak}"
            );
        }
        // The user's own name is no secret.
        assert_eq!(
            check_policy("AlisherKarimov", &["akarimov", "Alisher Karimov"]).map_err(|e| e.code()),
            Err("PASSWORD_WEAK")
        );
        assert_eq!(check_policy("violet-tram-ninety-oak", &[]), Ok(()));
        assert_eq!(check_policy(&generate(), &[]), Ok(()));
    }

    #[test]
    fn generated_passwords_differ_and_meet_the_policy() {
        let a = generate();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generate());
    }
}
