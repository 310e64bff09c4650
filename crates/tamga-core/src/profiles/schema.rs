//! The attribute schema and the type checker: untyped [`Ast`] → typed
//! [`Node`], refusing unknown attributes, type mismatches, malformed codes
//! and cheaply detectable contradictions.

use rust_decimal::Decimal;
use serde::Serialize;

use super::syntax::{Ast, CmpOp, Lit, PredKind, Span};
use super::ProfileError;
use crate::codes::{DocumentTypeCode, Eori, HsCode, OfficeCode};
use crate::declaration::TransportMode;

/// The kinds of code an attribute holds; each has its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CodeKind {
    /// Full HS code: 6, 8 or 10 digits.
    Hs,
    /// Exactly this many leading HS digits (2, 4 or 6).
    HsDigits(u8),
    Country,
    Office,
    /// Operator id (EORI-like).
    Operator,
    Procedure,
    DeclarationType,
    TransportMode,
    TraderCategory,
    DocumentType,
}

/// Attribute types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "code")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Ty {
    Code(CodeKind),
    /// A set of codes: `contains`.
    CodeList(CodeKind),
    Decimal,
    Integer,
    Bool,
}

macro_rules! attrs {
    ($( $v:ident = $name:literal, $ty:expr, $item:literal, $desc:literal; )*) => {
        /// Every attribute a profile can use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Attr { $($v),* }
        impl Attr {
            pub const ALL: &'static [Attr] = &[$(Attr::$v),*];
            pub fn name(self) -> &'static str { match self { $(Attr::$v => $name),* } }
            pub fn ty(self) -> Ty { match self { $(Attr::$v => $ty),* } }
            /// Evaluated per goods item (else once per declaration).
            pub fn item_level(self) -> bool { match self { $(Attr::$v => $item),* } }
            pub fn description(self) -> &'static str { match self { $(Attr::$v => $desc),* } }
            pub fn parse(s: &str) -> Option<Attr> {
                match s { $($name => Some(Attr::$v),)* _ => None }
            }
        }
    };
}

use CodeKind as K;
attrs! {
    Hs = "hs", Ty::Code(K::Hs), true, "item commodity code (6, 8 or 10 digits); use starts_with for any level";
    Hs2 = "hs2", Ty::Code(K::HsDigits(2)), true, "item HS chapter (2 digits)";
    Hs4 = "hs4", Ty::Code(K::HsDigits(4)), true, "item HS heading (4 digits)";
    Hs6 = "hs6", Ty::Code(K::HsDigits(6)), true, "item HS subheading (6 digits)";
    Origin = "origin", Ty::Code(K::Country), true, "item country of origin";
    PreferentialOrigin = "preferential_origin", Ty::Code(K::Country), true, "item country of preferential origin (absent when no preference is claimed)";
    PreferentialClaimed = "preferential_claimed", Ty::Bool, true, "item claims preferential origin";
    DispatchCountry = "dispatch_country", Ty::Code(K::Country), false, "country of dispatch";
    DestinationCountry = "destination_country", Ty::Code(K::Country), false, "country of destination";
    TransportMode = "transport_mode", Ty::Code(K::TransportMode), false, "mode of transport at the border (sea, rail, road, air, post, fixed, inlandwater, own)";
    Route = "route", Ty::CodeList(K::Country), false, "countries on the route: dispatch country and nationality of the border means of transport";
    Office = "office", Ty::Code(K::Office), false, "office of lodgement";
    Declarant = "declarant", Ty::Code(K::Operator), false, "declarant operator id";
    Importer = "importer", Ty::Code(K::Operator), false, "importer operator id";
    Representative = "representative", Ty::Code(K::Operator), false, "representative operator id";
    SellerCountry = "seller_country", Ty::Code(K::Country), false, "country of the seller's address";
    Procedure = "procedure", Ty::Code(K::Procedure), false, "procedure code, 4 digits (requested + previous)";
    DeclarationType = "declaration_type", Ty::Code(K::DeclarationType), false, "IM, EX or CO";
    ValuePerUnit = "value_per_unit", Ty::Decimal, true, "item price per supplementary unit (per package when no supplementary units), invoice currency";
    ValuePerKg = "value_per_kg", Ty::Decimal, true, "item price per kg net, invoice currency";
    CustomsValue = "customs_value", Ty::Decimal, true, "item customs value (item price when none is declared), invoice currency";
    NetMassKg = "net_mass_kg", Ty::Decimal, true, "item net mass in kg";
    TaxRate = "tax_rate", Ty::Decimal, true, "item customs duty in percent of its customs value, from the duty assessment (absent without a tariff)";
    HsRank = "hs_rank", Ty::Integer, true, "rank of the item's declared heading among the headings the HS classification assistant ranks for its description (1 = best, 51 = below the 50 best); absent when not assessed (vague or unrecognised description, assistant not ready)";
    HsMismatch = "hs_mismatch", Ty::Bool, true, "the item's declared heading ranks below the goods check's threshold for its description (absent when not assessed)";
    DescriptionVague = "description_vague", Ty::Bool, true, "the item's description is too vague to classify: listed, only generic words, or no word the assistant knows (absent when the check did not run)";
    ControlledGoods = "controlled_goods", Ty::Bool, true, "the item matches an entry of the controlled and dual-use goods list, by its code, its description or both (absent when the screening did not run)";
    ControlledLicenceMissing = "controlled_licence_missing", Ty::Bool, true, "the item matches a controlled-goods entry and produces none of the documents that satisfy it (absent when the screening did not run)";
    ValueZ = "value_z", Ty::Decimal, true, "robust z-score of the item's customs value per unit (national currency, per supplementary unit when declared and referenced, else per kg) against the reference prices of released declarations (absent when no reference had enough observations, or the check did not run)";
    Undervalued = "undervalued", Ty::Bool, true, "the item's value_z is at or below the value check's undervaluation threshold (absent when not assessed)";
    Overvalued = "overvalued", Ty::Bool, true, "the item's value_z is at or above the value check's overvaluation threshold (absent when not assessed)";
    ValueReferenceN = "value_reference_n", Ty::Integer, true, "observations in the reference the item's value was compared with (absent when not assessed)";
    Documents = "documents", Ty::CodeList(K::DocumentType), true, "document type codes produced for the item (also has_document(\"C505\"))";
    Items = "items", Ty::Integer, false, "number of goods items";
    TraderCategory = "trader.category", Ty::Code(K::TraderCategory), false, "trader risk category: low, medium or high";
    TraderAeo = "trader.aeo", Ty::Bool, false, "trader is an authorised economic operator";
    TraderFirstTime = "trader.first_time", Ty::Bool, false, "trader's first declaration";
    TraderDays = "trader.days_since_registration", Ty::Integer, false, "days since the trader registered";
}

/// One attribute as shown to analysts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeInfo {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: Ty,
    /// `item` or `declaration`.
    pub level: &'static str,
    pub description: &'static str,
}

/// The schema, for documentation endpoints.
pub fn schema() -> Vec<AttributeInfo> {
    Attr::ALL
        .iter()
        .map(|a| AttributeInfo {
            name: a.name(),
            ty: a.ty(),
            level: if a.item_level() {
                "item"
            } else {
                "declaration"
            },
            description: a.description(),
        })
        .collect()
}

/// A typed leaf condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `attr == v` (or `!=` when negated: true when the value is absent).
    Eq {
        attr: Attr,
        value: Box<str>,
        negated: bool,
    },
    /// `attr in [..]` / `attr not in [..]`; values sorted, deduplicated.
    In {
        attr: Attr,
        values: Vec<Box<str>>,
        negated: bool,
    },
    Prefix {
        attr: Attr,
        prefix: Box<str>,
    },
    Contains {
        attr: Attr,
        value: Box<str>,
    },
    /// Decimal and integer comparisons (integers are held as decimals).
    Num {
        attr: Attr,
        op: CmpOp,
        value: Decimal,
    },
    Bool {
        attr: Attr,
        value: bool,
    },
}

impl Cond {
    pub fn attr(&self) -> Attr {
        match self {
            Cond::Eq { attr, .. }
            | Cond::In { attr, .. }
            | Cond::Prefix { attr, .. }
            | Cond::Contains { attr, .. }
            | Cond::Num { attr, .. }
            | Cond::Bool { attr, .. } => *attr,
        }
    }

    /// Canonical source form, e.g. `hs6 in ["870323", "870324"]`.
    pub fn render(&self) -> String {
        match self {
            Cond::Eq {
                attr,
                value,
                negated,
            } => format!(
                "{} {} {value:?}",
                attr.name(),
                if *negated { "!=" } else { "==" }
            ),
            Cond::In {
                attr,
                values,
                negated,
            } => format!(
                "{}{} in [{}]",
                attr.name(),
                if *negated { " not" } else { "" },
                values
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cond::Prefix { attr, prefix } => format!("{} starts_with {prefix:?}", attr.name()),
            Cond::Contains { attr, value } => format!("{} contains {value:?}", attr.name()),
            Cond::Num { attr, op, value } => format!("{} {} {value}", attr.name(), op.as_str()),
            Cond::Bool { attr, value: true } => attr.name().to_owned(),
            Cond::Bool { attr, value: false } => format!("not {}", attr.name()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub cond: Cond,
    pub span: Span,
    /// [`Cond::render`], kept for explanations.
    pub text: Box<str>,
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Leaf(Leaf),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    pub fn uses_items(&self) -> bool {
        match self {
            Node::Leaf(l) => l.cond.attr().item_level(),
            Node::And(v) | Node::Or(v) => v.iter().any(Node::uses_items),
            Node::Not(n) => n.uses_items(),
        }
    }

    /// The conditions that must all hold: the leaves of the top-level
    /// conjunction (through nested `and`, not through `or`/`not`).
    pub fn required(&self) -> Vec<&Leaf> {
        let mut out = Vec::new();
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Leaf>) {
            match n {
                Node::Leaf(l) => out.push(l),
                Node::And(v) => v.iter().for_each(|c| walk(c, out)),
                _ => {}
            }
        }
        walk(self, &mut out);
        out
    }

    /// Every leaf, in source order.
    pub fn leaves(&self) -> Vec<&Leaf> {
        let mut out = Vec::new();
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Leaf>) {
            match n {
                Node::Leaf(l) => out.push(l),
                Node::And(v) | Node::Or(v) => v.iter().for_each(|c| walk(c, out)),
                Node::Not(c) => walk(c, out),
            }
        }
        walk(self, &mut out);
        out
    }
}

fn code_kind_name(k: CodeKind) -> &'static str {
    match k {
        K::Hs => "an HS code",
        K::HsDigits(2) => "an HS chapter",
        K::HsDigits(4) => "an HS heading",
        K::HsDigits(_) => "an HS subheading",
        K::Country => "a country code",
        K::Office => "an office code",
        K::Operator => "an operator id",
        K::Procedure => "a procedure code",
        K::DeclarationType => "a declaration type",
        K::TransportMode => "a transport mode",
        K::TraderCategory => "a trader category",
        K::DocumentType => "a document type code",
    }
}

fn ty_name(t: Ty) -> String {
    match t {
        Ty::Code(k) => code_kind_name(k).to_owned(),
        Ty::CodeList(k) => format!("a list of {}s", &code_kind_name(k)[2..].trim_start()),
        Ty::Decimal => "a decimal".into(),
        Ty::Integer => "an integer".into(),
        Ty::Bool => "a bool".into(),
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn upper_alnum(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Checks a code literal compared for equality; `Err` is the reason.
fn check_code(k: CodeKind, v: &str) -> Result<(), String> {
    let ok = match k {
        K::Hs => HsCode::parse(v).is_ok(),
        K::HsDigits(n) => v.len() == usize::from(n) && digits(v),
        K::Country => v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()),
        K::Office => OfficeCode::parse(v).is_ok(),
        K::Operator => Eori::parse(v).is_ok(),
        K::Procedure => v.len() == 4 && digits(v),
        K::DeclarationType => matches!(v, "IM" | "EX" | "CO"),
        K::TransportMode => TransportMode::parse(v).is_some(),
        K::TraderCategory => matches!(v, "low" | "medium" | "high"),
        K::DocumentType => DocumentTypeCode::parse(v).is_ok(),
    };
    if ok {
        return Ok(());
    }
    Err(match k {
        K::Hs => format!(
            "{v:?} is not an HS code: 6, 8 or 10 digits (use starts_with for a shorter prefix)"
        ),
        K::HsDigits(n) => format!("{v:?} is not an HS code of {n} digits"),
        K::Country => {
            format!("{v:?} is not a country code: two upper-case letters (ISO 3166-1 alpha-2)")
        }
        K::Office => {
            format!("{v:?} is not an office code: country code + 6 upper-case letters or digits")
        }
        K::Operator => format!(
            "{v:?} is not an operator id: country code + 1 to 15 upper-case letters or digits"
        ),
        K::Procedure => format!("{v:?} is not a procedure code: 4 digits"),
        K::DeclarationType => format!("{v:?} is not a declaration type: IM, EX or CO"),
        K::TransportMode => format!(
            "{v:?} is not a transport mode: one of {}",
            TransportMode::ALL.map(|m| m.as_str()).join(", ")
        ),
        K::TraderCategory => format!("{v:?} is not a trader category: low, medium or high"),
        K::DocumentType => {
            format!("{v:?} is not a document type code: 4 upper-case letters or digits")
        }
    })
}

/// Checks a `starts_with` prefix.
fn check_prefix(k: CodeKind, v: &str) -> Result<(), String> {
    let (ok, what) = match k {
        K::Hs => (digits(v) && v.len() <= 10, "1 to 10 digits"),
        K::HsDigits(n) => (
            digits(v) && v.len() <= usize::from(n),
            "digits, at most the attribute's length",
        ),
        K::Procedure => (digits(v) && v.len() <= 4, "1 to 4 digits"),
        K::Office => (
            upper_alnum(v) && v.len() <= 8,
            "1 to 8 upper-case letters or digits",
        ),
        K::Operator => (
            upper_alnum(v) && v.len() <= 17,
            "1 to 17 upper-case letters or digits",
        ),
        _ => {
            return Err(
                "starts_with applies to HS codes, procedures, offices and operator ids".into(),
            )
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("prefix {v:?} is malformed: {what}"))
    }
}

fn leaf(cond: Cond, span: Span) -> Node {
    let text = cond.render().into_boxed_str();
    Node::Leaf(Leaf { cond, span, text })
}

/// Type-checks an AST into a [`Node`] and refuses contradictions.
pub fn check(ast: &Ast) -> Result<Node, ProfileError> {
    let node = typed(ast)?;
    contradictions(&node)?;
    Ok(node)
}

fn typed(ast: &Ast) -> Result<Node, ProfileError> {
    match ast {
        Ast::And(v) => Ok(Node::And(v.iter().map(typed).collect::<Result<_, _>>()?)),
        Ast::Or(v) => Ok(Node::Or(v.iter().map(typed).collect::<Result<_, _>>()?)),
        Ast::Not(inner, _) => Ok(Node::Not(Box::new(typed(inner)?))),
        Ast::Pred { path, span, kind } => predicate(path, *span, kind),
    }
}

fn predicate(path: &str, span: Span, kind: &PredKind) -> Result<Node, ProfileError> {
    let attr = Attr::parse(path).ok_or_else(|| {
        // The edit distance is at least the difference in length: a long
        // input is not compared character by character.
        let chars = path.chars().count();
        let near: Vec<&str> = Attr::ALL
            .iter()
            .map(|a| a.name())
            .filter(|n| n.chars().count().abs_diff(chars) <= 2 && strsim::levenshtein(n, path) <= 2)
            .take(3)
            .collect();
        span.error(
            "PROFILE_UNKNOWN_ATTRIBUTE",
            if near.is_empty() {
                format!("unknown attribute {path:?}")
            } else {
                format!(
                    "unknown attribute {path:?}; did you mean {}?",
                    near.join(", ")
                )
            },
        )
    })?;
    let ty = attr.ty();
    let name = attr.name();
    let mismatch = |lit_span: Span, lit: &Lit| {
        let hint = match (ty, lit) {
            (Ty::Code(_), Lit::Num(_)) => "; codes are written as strings, e.g. \"8703\"",
            (Ty::Decimal | Ty::Integer, Lit::Str(_)) => "; numbers are written without quotes",
            _ => "",
        };
        lit_span.error(
            "PROFILE_TYPE_MISMATCH",
            format!(
                "{name} is {}, it cannot be compared with {}{hint}",
                ty_name(ty),
                lit.kind()
            ),
        )
    };
    let bad_op = |what: &str| {
        span.error(
            "PROFILE_BAD_OPERATOR",
            format!("{what} does not apply to {name}, which is {}", ty_name(ty)),
        )
    };
    let code_value = |k: CodeKind, lit: &Lit, s: Span| -> Result<Box<str>, ProfileError> {
        match lit {
            Lit::Str(v) => check_code(k, v)
                .map(|()| v.clone().into_boxed_str())
                .map_err(|m| s.error("PROFILE_BAD_CODE", m)),
            other => Err(mismatch(s, other)),
        }
    };
    let num_value = |lit: &Lit, s: Span| -> Result<Decimal, ProfileError> {
        match (ty, lit) {
            (Ty::Integer, Lit::Num(n)) if n.fract().is_zero() => Ok(n.normalize()),
            (Ty::Integer, Lit::Num(n)) => Err(s.error(
                "PROFILE_TYPE_MISMATCH",
                format!("{name} is an integer, it cannot be compared with {n}"),
            )),
            (Ty::Decimal, Lit::Num(n)) => Ok(*n),
            (_, other) => Err(mismatch(s, other)),
        }
    };
    let cond = match (ty, kind) {
        (Ty::Bool, PredKind::Truthy) => Cond::Bool { attr, value: true },
        (_, PredKind::Truthy) => {
            return Err(span.error(
                "PROFILE_TYPE_MISMATCH",
                format!(
                    "{name} is {}, not a condition: compare it, e.g. {name} == ...",
                    ty_name(ty)
                ),
            ))
        }
        (Ty::Bool, PredKind::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), lit, s)) => match lit {
            Lit::Bool(b) => Cond::Bool {
                attr,
                value: *b == (*op == CmpOp::Eq),
            },
            other => return Err(mismatch(*s, other)),
        },
        (Ty::Code(k), PredKind::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), lit, s)) => Cond::Eq {
            attr,
            value: code_value(k, lit, *s)?,
            negated: *op == CmpOp::Ne,
        },
        (Ty::Decimal | Ty::Integer, PredKind::Cmp(op, lit, s)) => Cond::Num {
            attr,
            op: *op,
            value: num_value(lit, *s)?,
        },
        (_, PredKind::Cmp(op, _, _)) => return Err(bad_op(&format!("'{}'", op.as_str()))),
        (Ty::Code(k), PredKind::In { negated, items }) => {
            let mut values = items
                .iter()
                .map(|(l, s)| code_value(k, l, *s))
                .collect::<Result<Vec<_>, _>>()?;
            values.sort();
            values.dedup();
            Cond::In {
                attr,
                values,
                negated: *negated,
            }
        }
        (_, PredKind::In { .. }) => return Err(bad_op("'in'")),
        (Ty::Code(k), PredKind::StartsWith(lit, s)) => match lit {
            Lit::Str(v) => {
                check_prefix(k, v).map_err(|m| s.error("PROFILE_BAD_CODE", m))?;
                Cond::Prefix {
                    attr,
                    prefix: v.clone().into_boxed_str(),
                }
            }
            other => return Err(mismatch(*s, other)),
        },
        (_, PredKind::StartsWith(..)) => return Err(bad_op("'starts_with'")),
        (Ty::CodeList(k), PredKind::Contains(lit, s)) => Cond::Contains {
            attr,
            value: code_value(k, lit, *s)?,
        },
        (_, PredKind::Contains(..)) => return Err(bad_op("'contains'")),
    };
    Ok(leaf(cond, span))
}

// ---------------------------------------------------------------------------
// Contradictions
// ---------------------------------------------------------------------------

/// A required condition as a constraint, for the contradiction check.
enum Constraint<'a> {
    /// The value is one of these alternatives: (text, exact) where a
    /// non-exact alternative is a prefix.
    OneOf(Vec<(&'a str, bool)>),
    /// The value is none of these (absent values satisfy it).
    NoneOf(Vec<&'a str>),
    Range(CmpOp, Decimal),
    Is(bool),
}

/// HS attributes share one value (the code): `hs2 == "87"` is the prefix
/// constraint `hs starts_with "87"`.
fn group(a: Attr) -> Attr {
    match a {
        Attr::Hs2 | Attr::Hs4 | Attr::Hs6 => Attr::Hs,
        other => other,
    }
}

fn constraint(n: &Node) -> Option<(Attr, Constraint<'_>, Span, &str)> {
    let (l, positive) = match n {
        Node::Leaf(l) => (l, true),
        Node::Not(inner) => match inner.as_ref() {
            Node::Leaf(l) => (l, false),
            _ => return None,
        },
        _ => return None,
    };
    let exact = !matches!(l.cond.attr(), Attr::Hs2 | Attr::Hs4 | Attr::Hs6);
    let c = match (&l.cond, positive) {
        (Cond::Eq { value, negated, .. }, p) if *negated != p => {
            Constraint::OneOf(vec![(value.as_ref(), exact)])
        }
        (Cond::Eq { value, .. }, _) => Constraint::NoneOf(vec![value.as_ref()]),
        (
            Cond::In {
                values, negated, ..
            },
            p,
        ) if *negated != p => {
            Constraint::OneOf(values.iter().map(|v| (v.as_ref(), exact)).collect())
        }
        (Cond::In { values, .. }, _) => {
            Constraint::NoneOf(values.iter().map(|v| v.as_ref()).collect())
        }
        (Cond::Prefix { prefix, .. }, true) => Constraint::OneOf(vec![(prefix.as_ref(), false)]),
        (Cond::Num { op, value, .. }, true) => Constraint::Range(*op, *value),
        (Cond::Num { op, value, .. }, false) => Constraint::Range(
            match op {
                CmpOp::Eq => CmpOp::Ne,
                CmpOp::Ne => CmpOp::Eq,
                CmpOp::Lt => CmpOp::Ge,
                CmpOp::Le => CmpOp::Gt,
                CmpOp::Gt => CmpOp::Le,
                CmpOp::Ge => CmpOp::Lt,
            },
            *value,
        ),
        (Cond::Bool { value, .. }, p) => Constraint::Is(*value == p),
        _ => return None,
    };
    // Negated numeric comparisons hold on absent values, so they do not
    // constrain the range; keep only positive ones.
    if !positive && matches!(c, Constraint::Range(..)) {
        return None;
    }
    Some((group(l.cond.attr()), c, l.span, &l.text))
}

fn compatible(a: (&str, bool), b: (&str, bool)) -> bool {
    match (a.1, b.1) {
        (true, true) => a.0 == b.0,
        (true, false) => a.0.starts_with(b.0),
        (false, true) => b.0.starts_with(a.0),
        (false, false) => a.0.starts_with(b.0) || b.0.starts_with(a.0),
    }
}

/// A bound of a range: value and whether it is inclusive.
type Bound = Option<(Decimal, bool)>;

fn range_ok(lo: Bound, hi: Bound) -> bool {
    match (lo, hi) {
        (Some((l, li)), Some((h, hi))) => l < h || (l == h && li && hi),
        _ => true,
    }
}

/// Refuses a required condition that can never hold together with an
/// earlier one, or a conjunction whose branches leave no value.
fn contradictions(node: &Node) -> Result<(), ProfileError> {
    let conjuncts: Vec<&Node> = {
        let mut out = Vec::new();
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
            match n {
                Node::And(v) => v.iter().for_each(|c| walk(c, out)),
                other => out.push(other),
            }
        }
        walk(node, &mut out);
        out
    };
    let cs: Vec<_> = conjuncts.into_iter().filter_map(constraint).collect();
    let refuse = |span: Span, text: &str, other: &str, why: &str| {
        Err(span.error(
            "PROFILE_CONTRADICTION",
            format!(
                "{text} can never hold together with {other}{why}: the profile would never hit"
            ),
        ))
    };
    for (j, (attr, c, span, text)) in cs.iter().enumerate() {
        for (a2, c2, _, t2) in &cs[..j] {
            if a2 != attr {
                continue;
            }
            let never = match (c2, c) {
                (Constraint::OneOf(x), Constraint::OneOf(y)) => {
                    !x.iter().any(|a| y.iter().any(|b| compatible(*a, *b)))
                }
                (Constraint::OneOf(x), Constraint::NoneOf(n))
                | (Constraint::NoneOf(n), Constraint::OneOf(x)) => {
                    x.iter().all(|(v, exact)| *exact && n.contains(v))
                }
                (Constraint::Is(a), Constraint::Is(b)) => a != b,
                _ => false,
            };
            if never {
                return refuse(*span, text, t2, "");
            }
        }
        // Numeric ranges: fold every positive bound on this attribute up
        // to and including this one.
        if let Constraint::Range(..) = c {
            let (mut lo, mut hi): (Bound, Bound) = (None, None);
            let mut ne: Vec<Decimal> = Vec::new();
            let mut first: Option<&str> = None;
            for (k, (a2, c2, _, t2)) in cs[..=j].iter().enumerate() {
                let Constraint::Range(op, v) = c2 else {
                    continue;
                };
                if a2 != attr {
                    continue;
                }
                let tighter_lo = |cur: Bound, nv: (Decimal, bool)| match cur {
                    Some((c, ci)) if c > nv.0 || (c == nv.0 && !ci) => Some((c, ci)),
                    _ => Some(nv),
                };
                let tighter_hi = |cur: Bound, nv: (Decimal, bool)| match cur {
                    Some((c, ci)) if c < nv.0 || (c == nv.0 && !ci) => Some((c, ci)),
                    _ => Some(nv),
                };
                match op {
                    CmpOp::Eq => {
                        lo = tighter_lo(lo, (*v, true));
                        hi = tighter_hi(hi, (*v, true));
                    }
                    CmpOp::Ne => ne.push(*v),
                    CmpOp::Lt => hi = tighter_hi(hi, (*v, false)),
                    CmpOp::Le => hi = tighter_hi(hi, (*v, true)),
                    CmpOp::Gt => lo = tighter_lo(lo, (*v, false)),
                    CmpOp::Ge => lo = tighter_lo(lo, (*v, true)),
                }
                if first.is_none() && k < j {
                    first = Some(t2);
                }
            }
            let pinned =
                matches!((lo, hi), (Some((l, true)), Some((h, true))) if l == h && ne.contains(&l));
            if !range_ok(lo, hi) || pinned {
                let other = first.unwrap_or("the other bounds");
                return refuse(*span, text, other, " (no value satisfies every bound)");
            }
        }
    }
    Ok(())
}
