//! CSRF protection of a public form (no session yet: `/login`,
//! `/register`) by a double-submitted token: the GET that shows the form
//! sets a random value in a cookie (`SameSite=Strict`, `HttpOnly`, scoped
//! to the form's path) and in the form's hidden field `_csrf`; the POST
//! compares them in constant time. Another site can neither read the
//! cookie nor send it with its own form.

use axum::http::{header, HeaderMap, HeaderValue};
use subtle::ConstantTimeEq;

use tamga_app::identity::sessions;
use tamga_app::AppError;

use crate::AppState;

/// One public form's token: its cookie name and path.
#[derive(Debug, Clone, Copy)]
pub struct DoubleSubmit {
    pub cookie: &'static str,
    pub path: &'static str,
}

impl DoubleSubmit {
    /// A fresh token and the `Set-Cookie` header that carries it (an hour).
    pub fn issue(&self, s: &AppState) -> Result<(String, HeaderValue), AppError> {
        let token = sessions::random_token()?;
        let secure = if s.clearance.settings().secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let c = format!(
            "{}={token}; Max-Age=3600; Path={}; HttpOnly; SameSite=Strict{secure}",
            self.cookie, self.path
        );
        let v = HeaderValue::from_str(&c)
            .map_err(|e| AppError::Unavailable(format!("cookie header: {e}")))?;
        Ok((token, v))
    }

    /// Whether `sent` (the form's field) is the cookie's token.
    pub fn check(&self, headers: &HeaderMap, sent: &str) -> bool {
        let expected = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == self.cookie)
            .map(|(_, v)| v.trim().as_bytes())
            .unwrap_or(b"");
        let sent = sent.as_bytes();
        !expected.is_empty() && sent.len() == expected.len() && bool::from(sent.ct_eq(expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_must_send_the_cookies_token() {
        let d = DoubleSubmit {
            cookie: "tamga_register",
            path: "/register",
        };
        let mut h = HeaderMap::new();
        assert!(!d.check(&h, ""));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; tamga_register=tok123"),
        );
        assert!(d.check(&h, "tok123"));
        assert!(!d.check(&h, "tok12"));
        assert!(!d.check(&h, "other!"));
        assert!(!d.check(&h, ""));
    }
}
