//! Fuzz mutations: malformed variants of a declaration body.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Value;

use crate::profile::HUGE_STRING_BYTES;

/// What [`mutate_with_kind`] did to a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// Cut at a random byte (possibly to nothing).
    Truncate,
    /// One byte's bit flipped (may produce invalid UTF-8).
    FlipByte,
    /// An object member or array element removed.
    DeleteField,
    /// A value replaced by one of another JSON type.
    WrongType,
    /// A value replaced by a 100 KiB string.
    HugeString,
    /// A value replaced by 1000 nested arrays.
    DeepNesting,
    /// A code replaced by a well-formed unknown one of the same shape.
    UnknownCode,
    /// A number or numeric string negated.
    NegativeNumber,
    /// A value replaced by `null`.
    Null,
}

impl Mutation {
    pub const ALL: [Mutation; 9] = [
        Self::Truncate,
        Self::FlipByte,
        Self::DeleteField,
        Self::WrongType,
        Self::HugeString,
        Self::DeepNesting,
        Self::UnknownCode,
        Self::NegativeNumber,
        Self::Null,
    ];
}

/// One random malformed or mutated variant of `body` (usually, not always,
/// a body control must reject: deleting an optional field or flipping a bit
/// in a description can leave it valid).
pub fn mutate(body: &[u8], rng: &mut impl Rng) -> Vec<u8> {
    mutate_with_kind(body, rng).0
}

#[derive(Debug, Clone)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

pub(crate) fn collect_paths(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                collect_paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                out.push(prefix.clone());
                collect_paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

pub(crate) fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Index(i) => v.get_mut(*i),
    })
}

pub(crate) fn at<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get(k.as_str()),
        Seg::Index(i) => v.get(*i),
    })
}

/// A well-formed code of the same shape as `s` that no code list contains.
pub(crate) fn unknown_code_like(s: &str) -> String {
    let b = s.as_bytes();
    let upper = |b: &[u8]| b.iter().all(u8::is_ascii_uppercase);
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    match b.len() {
        2 if upper(b) => "XX".into(),
        3 if upper(b) => "ZZZ".into(),
        3 => "Z99".into(),
        4 if digits(b) => "9999".into(),
        4 => "Z999".into(),
        6 if digits(b) => UNKNOWN_HS6.into(),
        8 if upper(&b[..2]) => format!("{}999999", &s[..2]),
        _ => "UNKNOWN".into(),
    }
}

/// HS chapter 77 is reserved for future use: no code starts with 77.
pub(crate) const UNKNOWN_HS6: &str = "770000";

pub(crate) const DEEP_SENTINEL: &str = "\u{1}tamga-deep-nesting\u{1}";

/// Like [`mutate`], also saying which mutation was applied. Bodies that are
/// not JSON get byte-level mutations only.
pub fn mutate_with_kind(body: &[u8], rng: &mut impl Rng) -> (Vec<u8>, Mutation) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let mut kind = Mutation::ALL[rng.gen_range(0..Mutation::ALL.len())];
    let mut doc = match parsed {
        Some(v) if !matches!(kind, Mutation::Truncate | Mutation::FlipByte) => v,
        _ => {
            if !matches!(kind, Mutation::Truncate | Mutation::FlipByte) {
                kind = if rng.gen_bool(0.5) {
                    Mutation::Truncate
                } else {
                    Mutation::FlipByte
                };
            }
            let mut out = body.to_vec();
            if kind == Mutation::Truncate {
                out.truncate(rng.gen_range(0..body.len().max(1)));
            } else if !out.is_empty() {
                let i = rng.gen_range(0..out.len());
                out[i] ^= 1 << rng.gen_range(0..8);
            }
            return (out, kind);
        }
    };
    let mut paths = Vec::new();
    collect_paths(&doc, &mut Vec::new(), &mut paths);
    if paths.is_empty() {
        return (b"{".to_vec(), Mutation::Truncate);
    }
    let pick = |rng: &mut dyn rand::RngCore, filter: &dyn Fn(&Value) -> bool| -> Option<usize> {
        let candidates: Vec<usize> = (0..paths.len())
            .filter(|&i| at(&doc, &paths[i]).is_some_and(filter))
            .collect();
        candidates.choose(rng).copied()
    };
    let is_code = |v: &Value| {
        v.as_str()
            .is_some_and(|s| unknown_code_like(s) != "UNKNOWN")
    };
    let is_numeric =
        |v: &Value| v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok());
    let target = match kind {
        Mutation::UnknownCode => pick(rng, &is_code),
        Mutation::NegativeNumber => pick(rng, &is_numeric),
        _ => None,
    };
    let (kind, idx) = match (kind, target) {
        (Mutation::UnknownCode | Mutation::NegativeNumber, None) => {
            (Mutation::Null, rng.gen_range(0..paths.len()))
        }
        (k, Some(i)) => (k, i),
        (k, None) => (k, rng.gen_range(0..paths.len())),
    };
    let path = &paths[idx];
    match kind {
        Mutation::DeleteField => {
            let (last, parent) = path.split_last().expect("non-empty path");
            match (at_mut(&mut doc, parent), last) {
                (Some(Value::Object(m)), Seg::Key(k)) => {
                    m.remove(k);
                }
                (Some(Value::Array(a)), Seg::Index(i)) => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
        _ => {
            let v = at_mut(&mut doc, path).expect("collected path exists");
            *v = match kind {
                Mutation::WrongType => match v {
                    Value::String(s) => match s.parse::<f64>() {
                        Ok(x) => {
                            serde_json::Number::from_f64(x).map_or(Value::Bool(true), Value::Number)
                        }
                        Err(_) => Value::from(rng.gen_range(0..1000)),
                    },
                    Value::Number(n) => Value::String(n.to_string()),
                    Value::Bool(b) => Value::String(b.to_string()),
                    Value::Object(_) => Value::Array(vec![Value::from(1)]),
                    Value::Array(_) => Value::Object(serde_json::Map::new()),
                    Value::Null => Value::from(0),
                },
                Mutation::HugeString => Value::String("X".repeat(HUGE_STRING_BYTES)),
                Mutation::DeepNesting => Value::String(DEEP_SENTINEL.to_owned()),
                Mutation::UnknownCode => Value::String(unknown_code_like(v.as_str().unwrap_or(""))),
                Mutation::NegativeNumber => match v {
                    Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                        (Some(i), _) if i != 0 => Value::from(-i),
                        (_, Some(f)) => Value::from(-(f.abs().max(1.0))),
                        _ => Value::from(-1),
                    },
                    Value::String(s) => Value::String(match s.strip_prefix('-') {
                        Some(_) => s.clone(),
                        None => format!("-{s}"),
                    }),
                    _ => Value::from(-1),
                },
                _ => Value::Null,
            };
        }
    }
    let mut out = serde_json::to_vec(&doc).expect("value serializes");
    if kind == Mutation::DeepNesting {
        let quoted = serde_json::to_string(DEEP_SENTINEL).expect("string serializes");
        let nested = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let text = String::from_utf8(out).expect("serde_json writes UTF-8");
        out = text.replacen(&quoted, &nested, 1).into_bytes();
    }
    (out, kind)
}
