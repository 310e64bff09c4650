//! SQL shared by both backends is written with `?` placeholders: SQLite
//! takes it as it is ([`plain`]); PostgreSQL gets `$1, $2, …` ([`numbered`]).
//! Only a `?` that is SQL — not one inside a string literal, a quoted
//! identifier, a comment or a dollar-quoted string — is a placeholder.

use std::borrow::Cow;
use std::fmt::Write as _;

/// SQL written with `?` placeholders, for PostgreSQL: `$1, $2, …`, in
/// order; a `?` inside `'…'` (also `E'…'` with backslash escapes), `"…"`,
/// `-- …`, `/* … */` (nested) or `$tag$…$tag$` is left alone.
pub(crate) fn numbered(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return sql.into();
    }
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0u32;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        i = match b[i] {
            b'?' => {
                n += 1;
                out.push_str(&sql[copied..i]);
                let _ = write!(out, "${n}");
                copied = i + 1;
                i + 1
            }
            b'\'' => past_quoted(b, i, b'\'', is_escape_string(b, i)),
            b'"' => past_quoted(b, i, b'"', false),
            b'-' if b.get(i + 1) == Some(&b'-') => b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p + 1),
            b'/' if b.get(i + 1) == Some(&b'*') => past_block_comment(b, i),
            b'$' => past_dollar_quoted(sql, i).unwrap_or(i + 1),
            _ => i + 1,
        };
    }
    out.push_str(&sql[copied..]);
    out.into()
}

/// SQL written with `?` placeholders, for SQLite: as it is.
pub(crate) fn plain(s: &str) -> Cow<'_, str> {
    s.into()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// Whether the quote at `at` opens an `E'…'` string, where a backslash
/// escapes the next character.
fn is_escape_string(b: &[u8], at: usize) -> bool {
    at >= 1 && matches!(b[at - 1], b'E' | b'e') && (at < 2 || !is_ident(b[at - 2]))
}

/// The index just past the quoted text opening at `at` (a doubled quote is
/// one quote character); the end of the SQL when it is not closed.
fn past_quoted(b: &[u8], at: usize, quote: u8, backslash: bool) -> usize {
    let mut i = at + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The index just past the (possibly nested) block comment opening at `at`.
fn past_block_comment(b: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// The index just past the dollar-quoted string (`$$…$$`, `$tag$…$tag$`)
/// opening at `at`; `None` when the `$` opens none (`$1`, or inside an
/// identifier).
fn past_dollar_quoted(sql: &str, at: usize) -> Option<usize> {
    let b = sql.as_bytes();
    if at > 0 && is_ident(b[at - 1]) {
        return None;
    }
    let tag_len = b[at + 1..]
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))?;
    let tag = &b[at + 1..at + 1 + tag_len];
    if tag.first().is_some_and(u8::is_ascii_digit) || b.get(at + 1 + tag_len) != Some(&b'$') {
        return None;
    }
    let delimiter = &sql[at..at + tag_len + 2];
    let body = at + delimiter.len();
    Some(
        sql[body..]
            .find(delimiter)
            .map_or(b.len(), |p| body + p + delimiter.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::{numbered, plain};
    use std::borrow::Cow;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered("UPDATE t SET a = ?, b = ? WHERE id = ? AND n + ? >= 0"),
            "UPDATE t SET a = $1, b = $2 WHERE id = $3 AND n + $4 >= 0"
        );
        assert_eq!(numbered("SELECT ?"), "SELECT $1");
        assert_eq!(numbered("?"), "$1");
    }

    #[test]
    fn sql_without_placeholders_is_not_copied() {
        assert!(matches!(numbered("SELECT 1"), Cow::Borrowed("SELECT 1")));
        assert!(matches!(plain("SELECT ?"), Cow::Borrowed("SELECT ?")));
    }

    #[test]
    fn a_question_mark_in_a_string_literal_is_text() {
        assert_eq!(
            numbered("SELECT '?', ? FROM t WHERE note = 'why?' AND x = ?"),
            "SELECT '?', $1 FROM t WHERE note = 'why?' AND x = $2"
        );
        assert_eq!(
            numbered("INSERT INTO t VALUES ('it''s ?', ?)"),
            "INSERT INTO t VALUES ('it''s ?', $1)"
        );
        assert_eq!(
            numbered("SELECT E'\\'?', ?, e'a\\\\', ?"),
            "SELECT E'\\'?', $1, e'a\\\\', $2"
        );
        // Not an escape string: `name` ends in e, and `''` closes it.
        assert_eq!(numbered("SELECT name'x\\', ?"), "SELECT name'x\\', $1");
        assert_eq!(numbered("SELECT 'é?' || ?"), "SELECT 'é?' || $1");
    }

    #[test]
    fn a_question_mark_in_an_identifier_or_comment_is_text() {
        assert_eq!(
            numbered("SELECT \"why?\", \"a\"\"?\" FROM t WHERE x = ?"),
            "SELECT \"why?\", \"a\"\"?\" FROM t WHERE x = $1"
        );
        assert_eq!(
            numbered("SELECT ? -- really?\n, ? /* why? /* nested? */ still? */ , ?"),
            "SELECT $1 -- really?\n, $2 /* why? /* nested? */ still? */ , $3"
        );
        assert_eq!(numbered("SELECT a - ? - ?"), "SELECT a - $1 - $2");
        assert_eq!(numbered("SELECT a / ? / ?"), "SELECT a / $1 / $2");
    }

    #[test]
    fn a_question_mark_in_a_dollar_quoted_string_is_text() {
        assert_eq!(
            numbered("SELECT $$?$$, ?, $tag$ '? $$ ?$tag$, ?"),
            "SELECT $$?$$, $1, $tag$ '? $$ ?$tag$, $2"
        );
        // `$1` and identifiers with `$` open no string.
        assert_eq!(numbered("SELECT a$b, ?, $1x, ?"), "SELECT a$b, $1, $1x, $2");
    }

    #[test]
    fn unclosed_quotes_and_comments_do_not_panic() {
        for rest in [
            "'?", "\"?", "/* ?", "/*", "$q$ ?", "E'\\", "-- ?", "$", "$abc",
        ] {
            assert_eq!(
                numbered(&format!("SELECT ?, {rest}")),
                format!("SELECT $1, {rest}")
            );
        }
    }
}
