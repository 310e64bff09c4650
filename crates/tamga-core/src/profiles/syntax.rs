//! Lexer and parser of the profile language: source text → untyped
//! [`Ast`]. Hand-written, never panics, stops at the first error and
//! reports it with line and column (1-based, columns count characters).
//!
//! ```text
//! expr      := or
//! or        := and ("or" and)*
//! and       := unary ("and" unary)*
//! unary     := "not" unary | "(" expr ")" | predicate
//! predicate := path                                   -- a bool attribute
//!            | path ("=="|"!="|"<"|"<="|">"|">=") literal
//!            | path ["not"] "in" "[" literal ("," literal)* [","] "]"
//!            | path "starts_with" string
//!            | path "contains" string
//!            | "has_document" "(" string ")"          -- documents contains
//! literal   := string | number | "true" | "false"
//! path      := ident ("." ident)*
//! ```
//! Strings are double-quoted (`\"` and `\\` escapes); numbers are exact
//! decimals (`2.5`, `-1`, `1000`); `#` starts a comment to the end of the
//! line.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::ProfileError;

/// Longest accepted source, in bytes.
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;
/// Deepest accepted nesting of `not` and parentheses.
pub const MAX_DEPTH: usize = 48;

/// A position in the source, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub column: u32,
}

impl Span {
    pub(crate) fn error(self, code: &'static str, message: impl Into<String>) -> ProfileError {
        ProfileError {
            code,
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Num(Decimal),
    Bool(bool),
}

impl Lit {
    pub fn kind(&self) -> &'static str {
        match self {
            Lit::Str(_) => "a string",
            Lit::Num(_) => "a number",
            Lit::Bool(_) => "a boolean",
        }
    }
}

/// What a predicate says about its attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum PredKind {
    /// The bare attribute: it must be a bool.
    Truthy,
    Cmp(CmpOp, Lit, Span),
    In {
        negated: bool,
        items: Vec<(Lit, Span)>,
    },
    StartsWith(Lit, Span),
    Contains(Lit, Span),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    And(Vec<Ast>),
    Or(Vec<Ast>),
    Not(Box<Ast>, Span),
    Pred {
        path: String,
        span: Span,
        kind: PredKind,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Decimal),
    Op(CmpOp),
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    And,
    Or,
    Not,
    In,
    StartsWith,
    Contains,
    True,
    False,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("attribute {s}"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Num(n) => format!("number {n}"),
            Tok::Op(o) => format!("'{}'", o.as_str()),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBrack => "'['".into(),
            Tok::RBrack => "']'".into(),
            Tok::Comma => "','".into(),
            Tok::And => "'and'".into(),
            Tok::Or => "'or'".into(),
            Tok::Not => "'not'".into(),
            Tok::In => "'in'".into(),
            Tok::StartsWith => "'starts_with'".into(),
            Tok::Contains => "'contains'".into(),
            Tok::True => "'true'".into(),
            Tok::False => "'false'".into(),
            Tok::Eof => "the end of the expression".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Span,
}

fn lex(src: &str) -> Result<Vec<Token>, ProfileError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    macro_rules! bump {
        () => {{
            if chars[i] == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }};
    }
    while i < chars.len() {
        let c = chars[i];
        let span = Span { line, column: col };
        if c.is_whitespace() {
            bump!();
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                bump!();
            }
            continue;
        }
        let peek = chars.get(i + 1).copied();
        let single = |t: Tok| Token { tok: t, span };
        match c {
            '(' | ')' | '[' | ']' | ',' => {
                out.push(single(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBrack,
                    ']' => Tok::RBrack,
                    _ => Tok::Comma,
                }));
                bump!();
            }
            '=' | '!' | '<' | '>' => {
                let two = peek == Some('=');
                let op = match (c, two) {
                    ('=', true) => CmpOp::Eq,
                    ('!', true) => CmpOp::Ne,
                    ('<', true) => CmpOp::Le,
                    ('>', true) => CmpOp::Ge,
                    ('<', false) => CmpOp::Lt,
                    ('>', false) => CmpOp::Gt,
                    ('=', false) => {
                        return Err(span.error(
                            "PROFILE_SYNTAX_OPERATOR",
                            "'=' is not an operator: write '==' to compare",
                        ))
                    }
                    _ => {
                        return Err(span.error(
                            "PROFILE_SYNTAX_OPERATOR",
                            "'!' is not an operator: write 'not' or '!='",
                        ))
                    }
                };
                out.push(single(Tok::Op(op)));
                bump!();
                if two {
                    bump!();
                }
            }
            '&' | '|' => {
                return Err(span.error(
                    "PROFILE_SYNTAX_OPERATOR",
                    format!(
                        "'{c}' is not an operator: write '{}'",
                        if c == '&' { "and" } else { "or" }
                    ),
                ))
            }
            '"' => {
                bump!();
                let mut s = String::new();
                loop {
                    match chars.get(i).copied() {
                        None | Some('\n') => {
                            return Err(span.error(
                                "PROFILE_SYNTAX_UNTERMINATED_STRING",
                                "string is not closed: a '\"' is missing on this line",
                            ))
                        }
                        Some('"') => {
                            bump!();
                            break;
                        }
                        Some('\\') => {
                            let esc_span = Span { line, column: col };
                            bump!();
                            match chars.get(i).copied() {
                                Some(e @ ('"' | '\\')) => {
                                    s.push(e);
                                    bump!();
                                }
                                _ => {
                                    return Err(esc_span.error(
                                        "PROFILE_SYNTAX_ESCAPE",
                                        "only \\\" and \\\\ are allowed escapes in a string",
                                    ))
                                }
                            }
                        }
                        Some(ch) => {
                            s.push(ch);
                            bump!();
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Str(s),
                    span,
                });
            }
            '\'' => {
                return Err(span.error(
                    "PROFILE_SYNTAX_CHARACTER",
                    "strings are written in double quotes: \"CN\"",
                ))
            }
            c if c.is_ascii_digit() || (c == '-' && peek.is_some_and(|p| p.is_ascii_digit())) => {
                let mut s = String::new();
                s.push(c);
                bump!();
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    s.push(chars[i]);
                    bump!();
                }
                if i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    return Err(span.error(
                        "PROFILE_SYNTAX_NUMBER",
                        format!("malformed number starting {s:?}; codes are written as strings, e.g. \"8703\""),
                    ));
                }
                let well_formed = {
                    let digits = s.trim_start_matches('-');
                    let mut parts = digits.split('.');
                    let int_ok = parts.next().is_some_and(|p| !p.is_empty());
                    let frac_ok = parts.next().is_none_or(|p| !p.is_empty());
                    int_ok && frac_ok && parts.next().is_none()
                };
                let n = if well_formed {
                    Decimal::from_str(&s).ok()
                } else {
                    None
                };
                match n {
                    Some(n) => out.push(Token {
                        tok: Tok::Num(n),
                        span,
                    }),
                    None => {
                        return Err(span.error(
                            "PROFILE_SYNTAX_NUMBER",
                            format!("malformed or too large number {s:?}"),
                        ))
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = String::new();
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
                {
                    s.push(chars[i]);
                    bump!();
                }
                let tok = match s.as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "starts_with" => Tok::StartsWith,
                    "contains" => Tok::Contains,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(s),
                };
                out.push(Token { tok, span });
            }
            other => {
                return Err(span.error(
                    "PROFILE_SYNTAX_CHARACTER",
                    format!("unexpected character {other:?}"),
                ))
            }
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span { line, column: col },
    });
    Ok(out)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof and `pos` never passes it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }
    fn unexpected(t: &Token, wanted: &str) -> ProfileError {
        let code = if t.tok == Tok::Eof {
            "PROFILE_SYNTAX_END"
        } else {
            "PROFILE_SYNTAX_TOKEN"
        };
        t.span.error(
            code,
            format!("expected {wanted}, found {}", t.tok.describe()),
        )
    }
    fn enter(&mut self, span: Span) -> Result<(), ProfileError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(span.error(
                "PROFILE_TOO_DEEP",
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Ast, ProfileError> {
        let mut parts = vec![self.and()?];
        while self.peek().tok == Tok::Or {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Ast::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Ast, ProfileError> {
        let mut parts = vec![self.unary()?];
        while self.peek().tok == Tok::And {
            self.next();
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Ast::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Ast, ProfileError> {
        let t = self.next();
        match t.tok {
            Tok::Not => {
                self.enter(t.span)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Ast::Not(Box::new(inner), t.span))
            }
            Tok::LParen => {
                self.enter(t.span)?;
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(Self::unexpected(&close, "')' or 'and'/'or'"));
                }
                Ok(inner)
            }
            Tok::Ident(name) if name == "has_document" && self.peek().tok == Tok::LParen => {
                self.next();
                let arg = self.next();
                let lit = match arg.tok {
                    Tok::Str(s) => Lit::Str(s),
                    _ => return Err(Self::unexpected(&arg, "a document type code string")),
                };
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(Self::unexpected(&close, "')'"));
                }
                Ok(Ast::Pred {
                    path: "documents".into(),
                    span: t.span,
                    kind: PredKind::Contains(lit, arg.span),
                })
            }
            Tok::Ident(path) => {
                let kind = self.predicate_tail()?;
                Ok(Ast::Pred {
                    path,
                    span: t.span,
                    kind,
                })
            }
            Tok::Str(_) | Tok::Num(_) | Tok::True | Tok::False => Err(t.span.error(
                "PROFILE_SYNTAX_TOKEN",
                format!(
                    "a condition starts with an attribute, found {}; write e.g. origin == \"CN\"",
                    t.tok.describe()
                ),
            )),
            _ => Err(Self::unexpected(&t, "an attribute, 'not' or '('")),
        }
    }

    fn literal(&mut self) -> Result<(Lit, Span), ProfileError> {
        let t = self.next();
        let lit = match t.tok {
            Tok::Str(s) => Lit::Str(s),
            Tok::Num(n) => Lit::Num(n),
            Tok::True => Lit::Bool(true),
            Tok::False => Lit::Bool(false),
            _ => return Err(Self::unexpected(&t, "a string, number, true or false")),
        };
        Ok((lit, t.span))
    }

    fn predicate_tail(&mut self) -> Result<PredKind, ProfileError> {
        match self.peek().tok.clone() {
            Tok::Op(op) => {
                self.next();
                let (lit, span) = self.literal()?;
                Ok(PredKind::Cmp(op, lit, span))
            }
            Tok::In => {
                self.next();
                self.list(false)
            }
            Tok::Not
                if self
                    .toks
                    .get(self.pos + 1)
                    .is_some_and(|t| t.tok == Tok::In) =>
            {
                self.next();
                self.next();
                self.list(true)
            }
            Tok::StartsWith => {
                self.next();
                let (lit, span) = self.literal()?;
                Ok(PredKind::StartsWith(lit, span))
            }
            Tok::Contains => {
                self.next();
                let (lit, span) = self.literal()?;
                Ok(PredKind::Contains(lit, span))
            }
            _ => Ok(PredKind::Truthy),
        }
    }

    fn list(&mut self, negated: bool) -> Result<PredKind, ProfileError> {
        let open = self.next();
        if open.tok != Tok::LBrack {
            return Err(Self::unexpected(&open, "'[' to start a list"));
        }
        let mut items = Vec::new();
        loop {
            if self.peek().tok == Tok::RBrack {
                let close = self.next();
                if items.is_empty() {
                    return Err(close.span.error(
                        "PROFILE_EMPTY_LIST",
                        "an 'in' list needs at least one value",
                    ));
                }
                break;
            }
            items.push(self.literal()?);
            let sep = self.next();
            match sep.tok {
                Tok::Comma => continue,
                Tok::RBrack => break,
                _ => return Err(Self::unexpected(&sep, "',' or ']'")),
            }
        }
        Ok(PredKind::In { negated, items })
    }
}

/// Parses a profile expression.
pub fn parse(src: &str) -> Result<Ast, ProfileError> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(Span { line: 1, column: 1 }.error(
            "PROFILE_TOO_LONG",
            format!("expression is longer than {MAX_SOURCE_BYTES} bytes"),
        ));
    }
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    if p.peek().tok == Tok::Eof {
        return Err(p
            .peek()
            .span
            .error("PROFILE_SYNTAX_END", "the expression is empty"));
    }
    let ast = p.or()?;
    let t = p.next();
    if t.tok != Tok::Eof {
        return Err(Parser::unexpected(
            &t,
            "'and', 'or' or the end of the expression",
        ));
    }
    Ok(ast)
}
