//! Form building blocks of every page with a form: a field with its
//! label, hint, typed value and error (the translated message and the
//! API's stable code), and a posted form's fields.
//!
//! A field with an error is rendered with `aria-invalid` and described by
//! its error, and the page's error summary links to it (so a screen reader
//! and a keyboard reach each message); what was typed is kept.

/// One input of a form.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub hint: String,
    pub value: String,
    /// The translated message of the error, empty if none.
    pub error: String,
    /// The error's stable code (as the API answers it).
    pub code: String,
    /// The input's `type` (`text`, `password`, `date`, …).
    pub kind: &'static str,
    /// The input's `autocomplete` token.
    pub autocomplete: &'static str,
    pub required: bool,
}

impl Field {
    pub fn new(name: &str, label: String, kind: &'static str) -> Field {
        Field {
            name: name.to_owned(),
            label,
            kind,
            autocomplete: "off",
            ..Field::default()
        }
    }

    pub fn hint(mut self, hint: String) -> Field {
        self.hint = hint;
        self
    }

    pub fn value(mut self, value: &str) -> Field {
        self.value = value.to_owned();
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Field {
        self.autocomplete = token;
        self
    }

    /// Sets the field's error.
    pub fn fail(&mut self, code: &str, message: String) {
        self.code = code.to_owned();
        self.error = message;
    }

    pub fn invalid(&self) -> bool {
        !self.error.is_empty()
    }

    /// The ids that describe the input (hint, error).
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.invalid() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

/// The links of an error summary: the id of each invalid field and its
/// message.
pub fn summary(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|f| f.invalid())
        .map(|f| (f.name.clone(), format!("{}: {}", f.label, f.error)))
        .collect()
}

/// A posted `application/x-www-form-urlencoded` form.
#[derive(Debug, Clone, Default)]
pub struct Posted(pub Vec<(String, String)>);

impl Posted {
    /// The first value of `name`, empty if absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_field_is_described_by_its_error_and_summarised() {
        let mut f = Field::new("username", "User name".into(), "text").hint("h".into());
        assert_eq!(f.described_by(), "username-hint");
        f.fail("LOGIN_INVALID", "wrong".into());
        assert!(f.invalid());
        assert_eq!(f.described_by(), "username-hint username-error");
        let ok = Field::new("password", "Password".into(), "password");
        assert_eq!(
            summary(&[f, ok]),
            vec![("username".to_owned(), "User name: wrong".to_owned())]
        );
        let p = Posted(vec![("a".into(), "1".into()), ("a".into(), "2".into())]);
        assert_eq!(p.get("a"), "1");
        assert_eq!(p.get("b"), "");
        assert_eq!(p.all("a").collect::<Vec<_>>(), ["1", "2"]);
    }
}
