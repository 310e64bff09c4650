//! What can go wrong: a description the assistant will not read, a code it
//! does not know, shipped data that does not load. Each error has a stable
//! code (`hs.…`) for the API and the command line.

/// The longest description accepted, in bytes (a goods description on a
/// declaration is at most 512 characters; this leaves room for titles).
pub const MAX_DESCRIPTION_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HsError {
    #[error("the description is empty")]
    EmptyDescription,
    #[error("the description is {bytes} bytes long; at most {MAX_DESCRIPTION_BYTES} are accepted")]
    DescriptionTooLong { bytes: usize },
    #[error("the description is not text: control character U+{code:04X} at character {position}")]
    NotText { code: u32, position: usize },
    #[error("{code:?} is not an HS code: {reason}")]
    BadCode { code: String, reason: &'static str },
    #[error("{code:?} is not in the HS 2022 nomenclature")]
    UnknownCode { code: String },
    #[error("{source_name} line {line}: {message}")]
    Data {
        source_name: &'static str,
        line: u64,
        message: String,
    },
}

impl HsError {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            HsError::EmptyDescription => "hs.description_empty",
            HsError::DescriptionTooLong { .. } => "hs.description_too_long",
            HsError::NotText { .. } => "hs.description_not_text",
            HsError::BadCode { .. } => "hs.code_invalid",
            HsError::UnknownCode { .. } => "hs.code_unknown",
            HsError::Data { .. } => "hs.data_invalid",
        }
    }
}

/// Checks a description before it is read: not empty (nor only blanks),
/// at most [`MAX_DESCRIPTION_BYTES`], and no C0 control character (NUL,
/// escape, …) other than tab and line breaks, nor DEL. C1 controls
/// (U+0080–U+009F) are let through: they are what mis-decoded real
/// descriptions contain, and they separate words like punctuation.
pub fn check_description(text: &str) -> Result<(), HsError> {
    if text.len() > MAX_DESCRIPTION_BYTES {
        return Err(HsError::DescriptionTooLong { bytes: text.len() });
    }
    for (position, c) in text.chars().enumerate() {
        if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}' {
            return Err(HsError::NotText {
                code: c as u32,
                position: position + 1,
            });
        }
    }
    if text.trim().is_empty() {
        return Err(HsError::EmptyDescription);
    }
    Ok(())
}

/// Checks a code: digits only, 2 to 10 of them (chapter, heading,
/// subheading or a national code). Returns it without blanks.
pub fn check_code(code: &str) -> Result<&str, HsError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(HsError::BadCode {
            code: code.to_owned(),
            reason: "it is empty",
        });
    }
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HsError::BadCode {
            code: code.to_owned(),
            reason: "it must be digits only",
        });
    }
    if !(2..=10).contains(&code.len()) {
        return Err(HsError::BadCode {
            code: code.to_owned(),
            reason: "it must have 2 to 10 digits",
        });
    }
    Ok(code)
}
