//! Profiles, their compiled form, evaluation with explanations, and the
//! indexed engine.
//!
//! The index: every profile's *anchor* is one required condition (a leaf of
//! the top-level conjunction, or the profile's office scope) of the form
//! `attr == v`, `attr in [..]` or `attr starts_with p` on a discrete
//! attribute. The most selective anchor is chosen (HS subheading over HS
//! chapter over origin over office...). Evaluating a subject looks up its
//! attribute values (and, for prefix keys, every prefix of them) and
//! evaluates only the profiles found plus the unanchored ones, so the cost
//! follows the number of *relevant* profiles, not of all profiles.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::schema::{self, Attr, Cond, Node};
use super::subject::{value, ItemSubject, RiskSubject, Val};
use super::syntax::{self, CmpOp, Span};
use super::ProfileError;
use crate::codes::OfficeCode;
use crate::lifecycle::Channel;

/// The control a profile requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Control {
    DocumentaryCheck,
    PhysicalInspection,
    NonIntrusiveScan,
    LaboratorySample,
    /// Post-release audit ("blue"): the goods are released, the
    /// declaration is selected for a later audit.
    PostReleaseAudit,
}

impl Control {
    pub fn as_str(self) -> &'static str {
        match self {
            Control::DocumentaryCheck => "documentary_check",
            Control::PhysicalInspection => "physical_inspection",
            Control::NonIntrusiveScan => "non_intrusive_scan",
            Control::LaboratorySample => "laboratory_sample",
            Control::PostReleaseAudit => "post_release_audit",
        }
    }

    pub const ALL: [Control; 5] = [
        Control::DocumentaryCheck,
        Control::PhysicalInspection,
        Control::NonIntrusiveScan,
        Control::LaboratorySample,
        Control::PostReleaseAudit,
    ];

    pub fn parse(s: &str) -> Option<Control> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A risk profile as analysts write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub id: String,
    pub version: u32,
    pub rationale: String,
    /// Source in the profile language.
    pub expression: String,
    /// First day the profile applies.
    pub valid_from: Date,
    /// Last day it applies (inclusive); none = open-ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Offices it applies at; empty = all.
    #[serde(default)]
    pub offices: Vec<OfficeCode>,
    /// Higher first in the hit list.
    pub priority: i32,
    pub control: Control,
    /// Yellow or red; green only for a post-release audit (blue) profile.
    pub channel: Channel,
}

/// Why a profile hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileHit {
    pub profile_id: String,
    pub version: u32,
    /// Sequence number (DE 1/6) of the first goods item it hit; none for a
    /// profile over declaration attributes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    pub priority: i32,
    pub channel: Channel,
    pub control: Control,
    /// Which conditions held, with the actual values, e.g.
    /// `origin == "CN" (was CN), value_per_kg < 2.5 (was 1.93)`.
    pub explanation: String,
    /// The deciding conditions with the actual values, as data (empty on
    /// hits recorded before: their `explanation` is all there is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldCondition>,
    /// The office the hit was at, for a profile scoped to offices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
}

/// A deciding condition of a profile hit: its source in the profile
/// language and the actual values of the attributes it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldCondition {
    /// `origin == "CN"`, `not (trader.aeo or trader.first_time)`.
    pub condition: String,
    pub values: Vec<AttrValue>,
}

/// An attribute and its actual value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrValue {
    pub attr: String,
    pub value: String,
}

/// The discrete key a profile is filed under.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Anchor {
    attr: Attr,
    prefix: bool,
    values: Vec<Box<str>>,
}

/// A profile checked and compiled, ready for the engine.
#[derive(Debug, Clone)]
pub struct CompiledProfile {
    pub profile: Profile,
    node: Node,
    uses_items: bool,
    anchor: Option<Anchor>,
    /// The top-level conjuncts split for the indexed path: those over
    /// declaration attributes only (checked once per declaration) and
    /// those reading items (checked per item).
    guards: Vec<Node>,
    per_item: Vec<Node>,
}

fn profile_error(code: &'static str, message: impl Into<String>) -> ProfileError {
    Span { line: 0, column: 0 }.error(code, message)
}

/// Parses and type-checks an expression alone (for editors: the error has
/// line and column).
pub fn check_expression(src: &str) -> Result<(), ProfileError> {
    schema::check(&syntax::parse(src)?).map(|_| ())
}

impl CompiledProfile {
    /// Checks and compiles. Expression errors carry line and column;
    /// errors in the other fields have line 0.
    pub fn compile(profile: Profile) -> Result<Self, ProfileError> {
        if profile.id.trim().is_empty() || profile.id.len() > 64 {
            return Err(profile_error("PROFILE_ID", "id must be 1 to 64 characters"));
        }
        // Blue: a post-release audit profile releases (channel green) and
        // selects for a later audit; every other profile selects for
        // control before release (yellow or red).
        if (profile.control == Control::PostReleaseAudit) != (profile.channel == Channel::Green) {
            return Err(profile_error(
                "PROFILE_CHANNEL",
                if profile.control == Control::PostReleaseAudit {
                    "a post_release_audit profile has channel green (blue selection after release)"
                } else {
                    "a profile selects for control: channel yellow or red"
                },
            ));
        }
        if profile.valid_to.is_some_and(|t| t < profile.valid_from) {
            return Err(profile_error(
                "PROFILE_VALIDITY",
                "validTo is before validFrom",
            ));
        }
        let node = schema::check(&syntax::parse(&profile.expression)?)?;
        let uses_items = node.uses_items();
        let anchor = choose_anchor(&node, &profile.offices);
        let conjuncts = match &node {
            Node::And(v) => v.clone(),
            other => vec![other.clone()],
        };
        let (per_item, guards) = conjuncts.into_iter().partition(Node::uses_items);
        Ok(Self {
            profile,
            node,
            uses_items,
            anchor,
            guards,
            per_item,
        })
    }

    pub fn is_valid_on(&self, day: Date) -> bool {
        self.profile.valid_from <= day && self.profile.valid_to.is_none_or(|t| day <= t)
    }

    fn in_scope(&self, s: &RiskSubject) -> bool {
        self.profile.offices.is_empty()
            || s.office
                .as_deref()
                .is_some_and(|o| self.profile.offices.iter().any(|p| p.as_str() == o))
    }

    /// Whether the profile is filed under an index key (else it is
    /// evaluated for every declaration).
    pub fn is_indexed(&self) -> bool {
        self.anchor.is_some()
    }

    /// The codes the expression refers to, as (attribute, code), for the
    /// caller to check against reference data before activation.
    pub fn referenced_codes(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        for l in self.node.leaves() {
            let a = l.cond.attr().name();
            match &l.cond {
                Cond::Eq { value, .. } | Cond::Contains { value, .. } => {
                    out.push((a, value.to_string()))
                }
                Cond::In { values, .. } => out.extend(values.iter().map(|v| (a, v.to_string()))),
                Cond::Prefix { prefix, .. } => out.push((a, prefix.to_string())),
                _ => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Evaluates on one subject, ignoring validity dates (but not the
    /// office scope): the first item it hits, with the explanation.
    pub fn hit(&self, s: &RiskSubject) -> Option<ProfileHit> {
        if !self.in_scope(s) {
            return None;
        }
        if self.uses_items {
            s.items
                .iter()
                .find(|i| eval(&self.node, s, Some(i)))
                .map(|i| self.make_hit(s, Some(i)))
        } else if eval(&self.node, s, None) {
            Some(self.make_hit(s, None))
        } else {
            None
        }
    }

    /// The indexed path's evaluation (equivalent to [`hit`](Self::hit)
    /// without explanation): declaration conjuncts once, then item
    /// conjuncts per item. `Some(None)`: hit without item.
    fn hits_at(&self, s: &RiskSubject, day: Date) -> Option<Option<usize>> {
        if !self.is_valid_on(day)
            || !self.in_scope(s)
            || !self.guards.iter().all(|g| eval(g, s, None))
        {
            return None;
        }
        if self.per_item.is_empty() {
            return Some(None);
        }
        s.items
            .iter()
            .position(|i| self.per_item.iter().all(|c| eval(c, s, Some(i))))
            .map(Some)
    }

    /// Whether the profile holds on this item (indexed path).
    fn hits_item(&self, s: &RiskSubject, day: Date, item: &ItemSubject) -> bool {
        self.is_valid_on(day)
            && self.in_scope(s)
            && self.guards.iter().all(|g| eval(g, s, None))
            && self.per_item.iter().all(|c| eval(c, s, Some(item)))
    }

    fn make_hit(&self, s: &RiskSubject, item: Option<&ItemSubject>) -> ProfileHit {
        let mut explanation = String::with_capacity(128);
        if let Some(i) = item {
            let _ = write!(explanation, "item {}: ", i.sequence);
        }
        let start = explanation.len();
        explain(&self.node, s, item, start, &mut explanation);
        if !self.profile.offices.is_empty() {
            let _ = write!(
                explanation,
                ", at office {}",
                s.office.as_deref().unwrap_or("?")
            );
        }
        let mut held = Vec::new();
        collect_held(&self.node, s, item, &mut held);
        ProfileHit {
            held,
            office: (!self.profile.offices.is_empty())
                .then(|| s.office.clone().unwrap_or_else(|| "?".to_owned())),
            profile_id: self.profile.id.clone(),
            version: self.profile.version,
            item: item.map(|i| i.sequence),
            priority: self.profile.priority,
            channel: self.profile.channel,
            control: self.profile.control,
            explanation,
        }
    }
}

// ---------------------------------------------------------------------------
// Evaluation and explanation
// ---------------------------------------------------------------------------

fn cmp(op: CmpOp, a: Decimal, b: Decimal) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

fn eval_cond(c: &Cond, s: &RiskSubject, item: Option<&ItemSubject>) -> bool {
    let v = value(c.attr(), s, item);
    match c {
        Cond::Eq {
            value: want,
            negated,
            ..
        } => (matches!(v, Val::Str(x) if x == want.as_ref())) != *negated,
        Cond::In {
            values, negated, ..
        } => {
            (matches!(v, Val::Str(x) if values.binary_search_by(|p| p.as_ref().cmp(x)).is_ok()))
                != *negated
        }
        Cond::Prefix { prefix, .. } => matches!(v, Val::Str(x) if x.starts_with(prefix.as_ref())),
        Cond::Contains { value: want, .. } => {
            matches!(v, Val::List(l) if l.iter().any(|x| x == want.as_ref()))
        }
        Cond::Num {
            op, value: want, ..
        } => match v {
            Val::Num(x) => cmp(*op, x, *want),
            _ => *op == CmpOp::Ne,
        },
        Cond::Bool { value: want, .. } => matches!(v, Val::Bool(b) if b == *want),
    }
}

fn eval(n: &Node, s: &RiskSubject, item: Option<&ItemSubject>) -> bool {
    match n {
        Node::Leaf(l) => eval_cond(&l.cond, s, item),
        Node::And(v) => v.iter().all(|c| eval(c, s, item)),
        Node::Or(v) => v.iter().any(|c| eval(c, s, item)),
        Node::Not(c) => !eval(c, s, item),
    }
}

/// Appends why `n` (which holds) holds: each deciding condition with the
/// actual value, separated by ", " (after position `start` of `out`).
fn explain(n: &Node, s: &RiskSubject, item: Option<&ItemSubject>, start: usize, out: &mut String) {
    let sep = |out: &mut String| {
        if out.len() > start {
            out.push_str(", ");
        }
    };
    match n {
        Node::Leaf(l) => {
            sep(out);
            let _ = write!(out, "{} (was {})", l.text, value(l.cond.attr(), s, item));
        }
        Node::And(v) => v.iter().for_each(|c| explain(c, s, item, start, out)),
        Node::Or(v) => {
            if let Some(c) = v.iter().find(|c| eval(c, s, item)) {
                explain(c, s, item, start, out);
            }
        }
        Node::Not(c) => {
            sep(out);
            if let Node::Leaf(l) = c.as_ref() {
                let _ = write!(
                    out,
                    "not {} (was {})",
                    l.text,
                    value(l.cond.attr(), s, item)
                );
                return;
            }
            let mut attrs: Vec<Attr> = c.leaves().iter().map(|l| l.cond.attr()).collect();
            attrs.sort();
            attrs.dedup();
            let _ = write!(out, "not ({}) (", render(c));
            for (k, a) in attrs.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{} was {}", a.name(), value(*a, s, item));
            }
            out.push(')');
        }
    }
}

/// The deciding conditions of `n` (which holds), as [`explain`] writes
/// them: each leaf, or a negation with every attribute it reads.
fn collect_held(
    n: &Node,
    s: &RiskSubject,
    item: Option<&ItemSubject>,
    out: &mut Vec<HeldCondition>,
) {
    let of = |a: Attr| AttrValue {
        attr: a.name().to_owned(),
        value: value(a, s, item).to_string(),
    };
    match n {
        Node::Leaf(l) => out.push(HeldCondition {
            condition: l.text.to_string(),
            values: vec![of(l.cond.attr())],
        }),
        Node::And(v) => v.iter().for_each(|c| collect_held(c, s, item, out)),
        Node::Or(v) => {
            if let Some(c) = v.iter().find(|c| eval(c, s, item)) {
                collect_held(c, s, item, out);
            }
        }
        Node::Not(c) => {
            let mut attrs: Vec<Attr> = c.leaves().iter().map(|l| l.cond.attr()).collect();
            attrs.sort();
            attrs.dedup();
            out.push(HeldCondition {
                condition: render(n),
                values: attrs.into_iter().map(of).collect(),
            });
        }
    }
}

/// Canonical source of a node.
pub(crate) fn render(n: &Node) -> String {
    match n {
        Node::Leaf(l) => l.text.to_string(),
        Node::And(v) => v
            .iter()
            .map(|c| match c {
                Node::Or(_) => format!("({})", render(c)),
                _ => render(c),
            })
            .collect::<Vec<_>>()
            .join(" and "),
        Node::Or(v) => v.iter().map(render).collect::<Vec<_>>().join(" or "),
        Node::Not(c) => match c.as_ref() {
            Node::Leaf(_) => format!("not {}", render(c)),
            _ => format!("not ({})", render(c)),
        },
    }
}

// ---------------------------------------------------------------------------
// Anchors and the index
// ---------------------------------------------------------------------------

/// How selective an equality on this attribute is (higher is better);
/// `None` for attributes not worth indexing.
fn selectivity(attr: Attr, prefix: bool, shortest: usize) -> Option<i32> {
    Some(match attr {
        Attr::Hs if !prefix => 100,
        // hs*, or starts_with on any HS attribute: by prefix length.
        Attr::Hs => match shortest {
            0..=1 => 20,
            2..=3 => 60,
            4..=5 => 80,
            _ => 90,
        },
        Attr::Declarant | Attr::Importer | Attr::Representative => {
            if prefix {
                30
            } else {
                75
            }
        }
        Attr::Origin | Attr::PreferentialOrigin => 50,
        Attr::DispatchCountry | Attr::DestinationCountry | Attr::SellerCountry => 45,
        Attr::Office => {
            if prefix {
                15
            } else {
                30
            }
        }
        Attr::Procedure => {
            if prefix {
                10
            } else {
                20
            }
        }
        Attr::TransportMode => 10,
        Attr::DeclarationType | Attr::TraderCategory => 5,
        _ => return None,
    })
}

/// The index attribute of a condition: hs2/hs4/hs6 equalities are HS
/// prefixes.
fn anchor_of(c: &Cond) -> Option<Anchor> {
    let hs_family = |a: Attr| matches!(a, Attr::Hs | Attr::Hs2 | Attr::Hs4 | Attr::Hs6);
    let (attr, prefix, values) = match c {
        Cond::Eq {
            attr,
            value,
            negated: false,
        } => (
            *attr,
            *attr != Attr::Hs && hs_family(*attr),
            vec![value.clone()],
        ),
        Cond::In {
            attr,
            values,
            negated: false,
        } => (*attr, *attr != Attr::Hs && hs_family(*attr), values.clone()),
        Cond::Prefix { attr, prefix } => (*attr, true, vec![prefix.clone()]),
        _ => return None,
    };
    let attr = if hs_family(attr) { Attr::Hs } else { attr };
    Some(Anchor {
        attr,
        prefix,
        values,
    })
}

fn score(a: &Anchor) -> Option<i32> {
    let shortest = a.values.iter().map(|v| v.len()).min().unwrap_or(0);
    let base = selectivity(a.attr, a.prefix, shortest)?;
    // Long lists spread a profile over many keys: prefer short ones.
    Some(base - (a.values.len().min(40) as i32) / 2)
}

fn choose_anchor(node: &Node, offices: &[OfficeCode]) -> Option<Anchor> {
    let mut cands: Vec<Anchor> = node
        .required()
        .into_iter()
        .filter_map(|l| anchor_of(&l.cond))
        .collect();
    if !offices.is_empty() {
        let mut values: Vec<Box<str>> = offices.iter().map(|o| o.as_str().into()).collect();
        values.sort();
        values.dedup();
        cands.push(Anchor {
            attr: Attr::Office,
            prefix: false,
            values,
        });
    }
    cands
        .into_iter()
        .filter_map(|a| score(&a).map(|s| (s, a)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, a)| a)
}

/// FNV-1a: keys are short codes; SipHash's DoS resistance buys nothing for
/// analyst-written keys.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type KeyMap = HashMap<Box<str>, Vec<u32>, BuildHasherDefault<Fnv>>;

#[derive(Default)]
struct AttrIndex {
    exact: KeyMap,
    prefix: KeyMap,
    /// Bit n set: some prefix key has length n.
    prefix_lengths: u32,
}

impl AttrIndex {
    fn lookup(&self, v: &str, mut f: impl FnMut(u32)) {
        if let Some(ps) = self.exact.get(v) {
            ps.iter().for_each(|p| f(*p));
        }
        if self.prefix_lengths != 0 {
            for n in 1..=v.len().min(31) {
                if self.prefix_lengths & (1 << n) != 0 {
                    if let Some(ps) = v.get(..n).and_then(|k| self.prefix.get(k)) {
                        ps.iter().for_each(|p| f(*p));
                    }
                }
            }
        }
    }
}

/// Counts describing an engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineStats {
    pub profiles: usize,
    pub indexed: usize,
    pub unindexed: usize,
    pub keys: usize,
}

/// The compiled, indexed set of active profiles. Immutable: rebuild (cheap)
/// when the active set changes.
pub struct ProfileEngine {
    /// Sorted by priority (highest first), then id: hit order.
    profiles: Vec<CompiledProfile>,
    /// By attribute (`Attr as usize`); only anchor attributes are filled.
    index: Vec<AttrIndex>,
    item_attrs: Vec<Attr>,
    decl_attrs: Vec<Attr>,
    unanchored: Vec<u32>,
}

impl ProfileEngine {
    /// Builds the index. Refuses two profiles with the same id.
    pub fn new(mut profiles: Vec<CompiledProfile>) -> Result<Self, ProfileError> {
        profiles.sort_by(|a, b| {
            b.profile
                .priority
                .cmp(&a.profile.priority)
                .then_with(|| a.profile.id.cmp(&b.profile.id))
        });
        for w in profiles.windows(2) {
            if w[0].profile.id == w[1].profile.id {
                return Err(profile_error(
                    "PROFILE_DUPLICATE_ID",
                    format!("profile {} is given twice", w[0].profile.id),
                ));
            }
        }
        let mut index: Vec<AttrIndex> = Attr::ALL.iter().map(|_| AttrIndex::default()).collect();
        let mut unanchored = Vec::new();
        let (mut item_attrs, mut decl_attrs) = (Vec::new(), Vec::new());
        for (i, p) in profiles.iter().enumerate() {
            let i = i as u32;
            let Some(a) = &p.anchor else {
                unanchored.push(i);
                continue;
            };
            let slot = &mut index[a.attr as usize];
            for v in &a.values {
                let map = if a.prefix {
                    if v.len() < 32 {
                        slot.prefix_lengths |= 1 << v.len();
                    }
                    &mut slot.prefix
                } else {
                    &mut slot.exact
                };
                let list = map.entry(v.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            let attrs = if a.attr.item_level() {
                &mut item_attrs
            } else {
                &mut decl_attrs
            };
            if !attrs.contains(&a.attr) {
                attrs.push(a.attr);
            }
        }
        Ok(Self {
            profiles,
            index,
            item_attrs,
            decl_attrs,
            unanchored,
        })
    }

    /// Compiles and indexes; every profile that fails is reported with its
    /// id, and nothing is built.
    pub fn compile(profiles: Vec<Profile>) -> Result<Self, Vec<(String, ProfileError)>> {
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        for p in profiles {
            let id = p.id.clone();
            match CompiledProfile::compile(p) {
                Ok(c) => ok.push(c),
                Err(e) => errors.push((id, e)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Self::new(ok).map_err(|e| vec![(String::new(), e)])
    }

    pub fn profiles(&self) -> &[CompiledProfile] {
        &self.profiles
    }

    pub fn stats(&self) -> EngineStats {
        EngineStats {
            profiles: self.profiles.len(),
            indexed: self.profiles.len() - self.unanchored.len(),
            unindexed: self.unanchored.len(),
            keys: self
                .index
                .iter()
                .map(|x| x.exact.len() + x.prefix.len())
                .sum(),
        }
    }

    /// Profiles that hit the subject on `day`: valid on that day, in office
    /// scope, expression true (for item profiles: on some item, the first
    /// one reported). Ordered by priority (highest first), then id.
    pub fn evaluate(&self, s: &RiskSubject, day: Date) -> Vec<ProfileHit> {
        self.evaluate_counting(s, day).0
    }

    /// [`evaluate`](Self::evaluate), also returning how many profile
    /// evaluations the index let through (for benchmarks).
    pub fn evaluate_counting(&self, s: &RiskSubject, day: Date) -> (Vec<ProfileHit>, usize) {
        let mut hits: Vec<(u32, Option<usize>)> = Vec::new();
        let mut candidates = 0usize;
        let mut whole = |p: u32, hits: &mut Vec<(u32, Option<usize>)>| {
            candidates += 1;
            if let Some(item) = self.profiles[p as usize].hits_at(s, day) {
                hits.push((p, item));
            }
        };
        for p in &self.unanchored {
            whole(*p, &mut hits);
        }
        for a in &self.decl_attrs {
            if let Val::Str(v) = value(*a, s, None) {
                self.index[*a as usize].lookup(v, |p| whole(p, &mut hits));
            }
        }
        // Item anchors: a profile can only hold on items whose value
        // matches its anchor, so only those items are evaluated. Items go
        // in order; a profile that hit is not evaluated again (bit set).
        let mut done: Vec<u64> = Vec::new();
        for (ii, item) in s.items.iter().enumerate() {
            for a in &self.item_attrs {
                if let Val::Str(v) = value(*a, s, Some(item)) {
                    self.index[*a as usize].lookup(v, |p| {
                        candidates += 1;
                        let (word, bit) = (p as usize / 64, 1u64 << (p % 64));
                        if done.get(word).is_some_and(|w| w & bit != 0) {
                            return;
                        }
                        if self.profiles[p as usize].hits_item(s, day, item) {
                            if done.is_empty() {
                                done = vec![0; self.profiles.len().div_ceil(64)];
                            }
                            done[word] |= bit;
                            hits.push((p, Some(ii)));
                        }
                    });
                }
            }
        }
        hits.sort_unstable_by_key(|(p, _)| *p);
        let out = hits
            .into_iter()
            .map(|(p, i)| self.profiles[p as usize].make_hit(s, i.map(|i| &s.items[i])))
            .collect();
        (out, candidates)
    }

    /// The same result as [`evaluate`](Self::evaluate) by evaluating every
    /// profile: the reference the index is tested against.
    pub fn evaluate_linear(&self, s: &RiskSubject, day: Date) -> Vec<ProfileHit> {
        self.profiles
            .iter()
            .filter(|p| p.is_valid_on(day))
            .filter_map(|p| p.hit(s))
            .collect()
    }
}

/// "What would this profile have hit": evaluates one profile over past
/// subjects (ignoring its validity dates, respecting its offices) and
/// returns the index of each subject it hits with the hit.
pub fn what_would_hit<'a>(
    profile: &CompiledProfile,
    past: impl IntoIterator<Item = &'a RiskSubject>,
) -> Vec<(usize, ProfileHit)> {
    past.into_iter()
        .enumerate()
        .filter_map(|(i, s)| profile.hit(s).map(|h| (i, h)))
        .collect()
}
