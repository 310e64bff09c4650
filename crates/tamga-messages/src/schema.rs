//! The XSD layer: the published DEC-DMS schemas, checked by a validator of
//! the XSD subset they use.
//!
//! No pure-Rust XSD validator complete enough was available, so this module
//! reads the shipped `.xsd` files (`schemas/declaration`, as published by
//! HMRC for CDS, Apache-2.0) and validates an instance against them. It
//! supports what those files use, and only that:
//! - global and local `xs:element` (name, type or anonymous complex type,
//!   `minOccurs`/`maxOccurs`), `elementFormDefault="qualified"`;
//! - `xs:sequence`, `xs:choice`, `xs:group ref`, `xs:any namespace=… processContents="strict"`
//!   (the child is validated against the global element of its name),
//!   `xs:element ref` (a global element, by local name);
//! - `xs:complexType` with element content, or `xs:simpleContent` by
//!   `xs:restriction`/`xs:extension` of a base, with `xs:attribute`
//!   (`use="required"`, the attribute's simple type);
//! - `xs:simpleType` restrictions; facets `length`, `minLength`,
//!   `maxLength`, `pattern` (patterns of one step OR-ed, steps AND-ed),
//!   `enumeration`, `totalDigits`, `fractionDigits`; built-ins `string`,
//!   `token`, `decimal`, `boolean`, `anyURI`, `language` (with `token`'s
//!   whitespace collapsing).
//!
//! Not supported (the DEC-DMS files do not use them): `xs:all`, mixed
//! content, substitution groups, identity constraints, `xs:any` with lax or
//! skip processing, `xs:redefine`, `xs:include`. Types are resolved by
//! their local name (the loader checks that no two shipped types share
//! one). Content models are matched greedily, which is exact for
//! deterministic models (XSD's unique particle attribution rule).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::error::MessageError;
use crate::xml::{self, Element, Limits, XSI};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// The shipped schema files, by the path their `schemaLocation` names.
const FILES: &[(&str, &str)] = &[
    (
        "DocumentMetaData_2_DMS.xsd",
        include_str!("../schemas/declaration/DocumentMetaData_2_DMS.xsd"),
    ),
    (
        "WCO_DEC_2_DMS.xsd",
        include_str!("../schemas/declaration/WCO_DEC_2_DMS.xsd"),
    ),
    (
        "WCO_DS/WCO_DEC_DS_2_DMS.xsd",
        include_str!("../schemas/declaration/WCO_DS/WCO_DEC_DS_2_DMS.xsd"),
    ),
    (
        "WCO_DS/WCO_METADATA_2_DMS.xsd",
        include_str!("../schemas/declaration/WCO_DS/WCO_METADATA_2_DMS.xsd"),
    ),
    (
        "UNECE/UnqualifiedDataType_6_DMS.xsd",
        include_str!("../schemas/declaration/UNECE/UnqualifiedDataType_6_DMS.xsd"),
    ),
    (
        "UNECE/ISO_ISO3AlphaCurrencyCode_2012-08-31.xsd",
        include_str!("../schemas/declaration/UNECE/ISO_ISO3AlphaCurrencyCode_2012-08-31.xsd"),
    ),
    (
        "UNECE/UNECE_AgencyIdentificationCode_D12B.xsd",
        include_str!("../schemas/declaration/UNECE/UNECE_AgencyIdentificationCode_D12B.xsd"),
    ),
];

/// Occurrence bounds.
#[derive(Debug, Clone, Copy)]
struct Occurs {
    min: u32,
    max: u32,
}

/// A type or group named in the schema, found once every file is loaded
/// (`to`: its index), so validating never looks a name up.
#[derive(Debug)]
struct Link {
    /// The qualified name as written (`ds:CodeType`).
    name: String,
    /// The index of the named type (or group); None for a built-in type
    /// (or a name the files do not define).
    to: Option<usize>,
}

impl Link {
    fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            to: None,
        }
    }

    fn resolve(&mut self, names: &HashMap<String, usize>) {
        self.to = names.get(local(&self.name)).copied();
    }
}

#[derive(Debug)]
enum Particle {
    Element(Occurs, ElementDecl),
    Sequence(Occurs, Vec<Particle>),
    Choice(Occurs, Vec<Particle>),
    Group(Occurs, Link),
    Any(Occurs, String),
    /// `xs:element ref=`: a global element, by its local name (resolved
    /// when validating; one the loaded files do not declare matches
    /// nothing, so its element is refused).
    Ref(Occurs, String),
}

#[derive(Debug)]
struct ElementDecl {
    ns: String,
    name: String,
    ty: TypeRef,
}

#[derive(Debug)]
enum TypeRef {
    Named(Link),
    Anonymous(Box<TypeDef>),
}

#[derive(Debug)]
enum TypeDef {
    /// Element content with attributes.
    Complex(Option<Particle>, Vec<AttrDecl>),
    /// Text content: base type, this step's facets, attributes.
    Simple {
        base: Link,
        facets: Facets,
        attributes: Vec<AttrDecl>,
    },
}

#[derive(Debug)]
struct AttrDecl {
    name: String,
    ty: Link,
    required: bool,
}

#[derive(Debug, Default)]
struct Facets {
    length: Option<usize>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    patterns: Vec<Pattern>,
    enumeration: Vec<String>,
    total_digits: Option<usize>,
    fraction_digits: Option<usize>,
}

/// A `pattern` facet: the DEC-DMS schemas' frequent ones as plain tests
/// (each the same as its regular expression, which is kept for the rest).
#[derive(Debug)]
enum Pattern {
    /// `.*[^\s].*`: one line with something not blank (as the regular
    /// expression: `.` is anything but a line feed, `\s` is Unicode's
    /// White_Space).
    NotBlank,
    /// `([0-9])*`
    Digits,
    /// `([a-zA-Z])*`
    Letters,
    Regex(Regex),
}

impl Pattern {
    fn new(xsd: &str) -> Result<Self, regex::Error> {
        Ok(match xsd {
            r".*[^\s].*" => Pattern::NotBlank,
            "([0-9])*" => Pattern::Digits,
            "([a-zA-Z])*" => Pattern::Letters,
            _ => Pattern::Regex(Regex::new(&format!("^(?:{xsd})$"))?),
        })
    }

    fn is_match(&self, v: &str) -> bool {
        match self {
            Pattern::NotBlank => !v.contains('\n') && v.chars().any(|c| !c.is_whitespace()),
            Pattern::Digits => v.bytes().all(|b| b.is_ascii_digit()),
            Pattern::Letters => v.bytes().all(|b| b.is_ascii_alphabetic()),
            Pattern::Regex(r) => r.is_match(v),
        }
    }
}

/// A compiled schema set.
#[derive(Debug)]
pub struct Schema {
    /// Global elements by namespace, then local name.
    globals: HashMap<String, HashMap<String, ElementDecl>>,
    /// Named types and groups; every [`Link`] holds its index here.
    types: Vec<TypeDef>,
    groups: Vec<Particle>,
}

/// The DEC-DMS schema set (MetaData envelope and Declaration), compiled
/// once.
pub fn dec_dms() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::load(FILES).expect("the shipped DEC-DMS schemas compile"))
}

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

fn occurs(e: &Element) -> Result<Occurs, String> {
    let num = |name: &str| -> Result<u32, String> {
        match e.attribute(name) {
            None => Ok(1),
            Some("unbounded") => Ok(u32::MAX),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{}: bad {name} {v:?}", e.path)),
        }
    };
    Ok(Occurs {
        min: num("minOccurs")?,
        max: num("maxOccurs")?,
    })
}

fn xs_children<'a, 'm>(e: &'a Element<'m>) -> impl Iterator<Item = &'a Element<'m>> {
    e.children
        .iter()
        .filter(|c| c.ns.as_deref() == Some(XS) && c.name != "annotation")
}

impl Schema {
    /// Compiles a schema set from `(location, text)` pairs.
    pub fn load(files: &[(&str, &str)]) -> Result<Self, String> {
        let mut s = Schema {
            globals: HashMap::new(),
            types: Vec::new(),
            groups: Vec::new(),
        };
        let mut type_names: HashMap<String, usize> = HashMap::new();
        let mut group_names: HashMap<String, usize> = HashMap::new();
        let limits = Limits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 256,
            max_elements: 2_000_000,
        };
        for (name, text) in files {
            let root = xml::parse(text.as_bytes(), &limits).map_err(|e| format!("{name}: {e}"))?;
            let tns = root.attribute("targetNamespace").unwrap_or("").to_owned();
            for top in xs_children(&root) {
                let Some(n) = top.attribute("name").map(str::to_owned) else {
                    continue;
                };
                match top.name {
                    "element" => {
                        let decl = element_decl(top, &tns)?;
                        s.globals.entry(tns.clone()).or_default().insert(n, decl);
                    }
                    "complexType" | "simpleType" => {
                        let t = type_def(top, &tns)?;
                        if type_names.insert(n.clone(), s.types.len()).is_some() {
                            return Err(format!("{name}: type {n} defined twice"));
                        }
                        s.types.push(t);
                    }
                    "group" => {
                        let p = xs_children(top)
                            .next()
                            .ok_or_else(|| format!("{name}: empty group {n}"))?;
                        let g = particle(p, &tns)?;
                        match group_names.get(&n) {
                            Some(&i) => s.groups[i] = g,
                            None => {
                                group_names.insert(n, s.groups.len());
                                s.groups.push(g);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // Every name to its index, once: validating follows indices.
        for t in &mut s.types {
            link_type(t, &type_names, &group_names);
        }
        for g in &mut s.groups {
            link_particle(g, &type_names, &group_names);
        }
        for d in s.globals.values_mut().flat_map(HashMap::values_mut) {
            link_element(d, &type_names, &group_names);
        }
        Ok(s)
    }

    /// Every schema error of `root`, with the byte offset of its element.
    pub fn validate(&self, root: &Element) -> Vec<(usize, MessageError)> {
        let mut errs = Vec::new();
        match self.global(root) {
            Some(decl) => self.element(decl, root, &mut errs),
            None => errs.push((
                root.offset,
                MessageError::new(
                    "SCHEMA-UNEXPECTED",
                    root.path.clone(),
                    format!(
                        "root element {} in {:?} is not declared by the schema",
                        root.name,
                        root.ns.as_deref().unwrap_or("")
                    ),
                ),
            )),
        }
        errs
    }

    /// The global element declared for `e`'s namespace and name.
    fn global(&self, e: &Element) -> Option<&ElementDecl> {
        self.globals
            .get(e.ns.as_deref().unwrap_or(""))
            .and_then(|m| m.get(e.name))
    }

    fn type_of<'a>(&'a self, t: &'a TypeRef) -> Option<&'a TypeDef> {
        match t {
            TypeRef::Named(n) => n.to.map(|i| &self.types[i]),
            TypeRef::Anonymous(t) => Some(t),
        }
    }

    fn element(&self, decl: &ElementDecl, e: &Element, errs: &mut Vec<(usize, MessageError)>) {
        let Some(ty) = self.type_of(&decl.ty) else {
            // A built-in simple type on an element.
            if let TypeRef::Named(n) = &decl.ty {
                self.value(local(&n.name), e.text.as_ref(), e, None, errs);
            }
            return;
        };
        match ty {
            TypeDef::Complex(content, _) => {
                self.attribute_list(ty, e, errs);
                if !e.text.trim().is_empty() {
                    errs.push((
                        e.offset,
                        MessageError::new(
                            "SCHEMA-TEXT",
                            e.path.clone(),
                            format!("{} may only contain elements, not text", e.name),
                        ),
                    ));
                }
                let kids = e.children.as_slice();
                let pos = match content {
                    Some(p) => self.particle(p, kids, 0, e, errs),
                    None => 0,
                };
                if let Some(extra) = kids.get(pos) {
                    errs.push((
                        extra.offset,
                        MessageError::new(
                            "SCHEMA-UNEXPECTED",
                            extra.path.clone(),
                            format!(
                                "{} is not allowed here (unknown in {}, or out of order)",
                                extra.name, e.name
                            ),
                        ),
                    ));
                }
            }
            TypeDef::Simple { .. } => {
                if let Some(c) = e.children.first() {
                    errs.push((
                        c.offset,
                        MessageError::new(
                            "SCHEMA-UNEXPECTED",
                            c.path.clone(),
                            format!("{} holds a value, not elements", e.name),
                        ),
                    ));
                }
                self.attribute_list(ty, e, errs);
                self.check_simple(ty, &e.text, e, None, errs);
            }
        }
    }

    /// The steps of a simple(-content) type's derivation, from the type
    /// itself down to the last one the schema defines (at most 16).
    fn chain<'a>(&'a self, ty: &'a TypeDef) -> impl Iterator<Item = &'a TypeDef> + 'a {
        std::iter::successors(Some(ty), move |t| match t {
            TypeDef::Simple { base, .. } => base.to.map(|i| &self.types[i]),
            TypeDef::Complex(..) => None,
        })
        .take(16)
    }

    /// The attributes a type declares: a complex type's own, or every step
    /// of a simple-content derivation's.
    fn attribute_decls<'a>(&'a self, ty: &'a TypeDef) -> impl Iterator<Item = &'a AttrDecl> + 'a {
        let own: &'a [AttrDecl] = match ty {
            TypeDef::Complex(_, attributes) => attributes,
            TypeDef::Simple { .. } => &[],
        };
        let simple = match ty {
            TypeDef::Simple { .. } => Some(self.chain(ty)),
            TypeDef::Complex(..) => None,
        };
        own.iter()
            .chain(simple.into_iter().flatten().flat_map(|t| match t {
                TypeDef::Simple { attributes, .. } => attributes.as_slice(),
                TypeDef::Complex(..) => &[],
            }))
    }

    fn attribute_list(&self, ty: &TypeDef, e: &Element, errs: &mut Vec<(usize, MessageError)>) {
        for a in &e.attributes {
            if a.ns.as_deref() == Some(XSI) {
                continue;
            }
            let decl = self
                .attribute_decls(ty)
                .find(|d| a.ns.is_none() && d.name == a.name);
            match decl {
                Some(d) => match d.ty.to {
                    Some(i) => self.check_simple(&self.types[i], &a.value, e, Some(&a.name), errs),
                    None => self.value(local(&d.ty.name), &a.value, e, Some(&a.name), errs),
                },
                None => errs.push((
                    e.offset,
                    MessageError::new(
                        "SCHEMA-ATTRIBUTE",
                        format!("{}/@{}", e.path, a.name),
                        format!("attribute {} is not allowed on {}", a.name, e.name),
                    ),
                )),
            }
        }
        for d in self.attribute_decls(ty).filter(|d| d.required) {
            if !e
                .attributes
                .iter()
                .any(|a| a.ns.is_none() && a.name == d.name)
            {
                errs.push((
                    e.offset,
                    MessageError::new(
                        "SCHEMA-ATTRIBUTE",
                        format!("{}/@{}", e.path, d.name),
                        format!("attribute {} is required on {}", d.name, e.name),
                    ),
                ));
            }
        }
    }

    /// Checks a value against a simple(-content) type: the built-in at the
    /// bottom of the derivation (its whitespace rule and lexical form),
    /// then every step's facets.
    fn check_simple(
        &self,
        ty: &TypeDef,
        raw: &str,
        e: &Element,
        attr: Option<&str>,
        errs: &mut Vec<(usize, MessageError)>,
    ) {
        let builtin = self.chain(ty).last().map_or("string", |t| match t {
            TypeDef::Simple { base, .. } => local(&base.name),
            TypeDef::Complex(..) => "string",
        });
        let facets = self.chain(ty).filter_map(|t| match t {
            TypeDef::Simple { facets, .. } => Some(facets),
            TypeDef::Complex(..) => None,
        });
        self.check_builtin(builtin, facets, raw, e, attr, errs);
    }

    /// A value of a built-in type (its whitespace rule and lexical form),
    /// then the facets of each derivation step.
    fn check_builtin<'f>(
        &self,
        builtin: &str,
        facets: impl Iterator<Item = &'f Facets>,
        raw: &str,
        e: &Element,
        attr: Option<&str>,
        errs: &mut Vec<(usize, MessageError)>,
    ) {
        // Every built-in but `string` collapses whitespace; most values
        // need no collapsing, and then nothing is copied.
        let v: std::borrow::Cow<'_, str> = if builtin == "string" || !needs_collapse(raw) {
            raw.into()
        } else {
            raw.split_whitespace().collect::<Vec<_>>().join(" ").into()
        };
        let v = v.as_ref();
        let ok = match builtin {
            "decimal" => decimal_re().is_match(v),
            "boolean" => matches!(v, "true" | "false" | "1" | "0"),
            _ => true,
        };
        if !ok {
            errs.push(value_error(
                e,
                attr,
                format!("{v:?} is not a valid {builtin}"),
            ));
            return;
        }
        for f in facets {
            self.facets(f, v, e, attr, errs);
        }
    }

    /// A value of a built-in type without a derivation of its own.
    fn value(
        &self,
        builtin: &str,
        raw: &str,
        e: &Element,
        attr: Option<&str>,
        errs: &mut Vec<(usize, MessageError)>,
    ) {
        self.check_builtin(builtin, std::iter::empty(), raw, e, attr, errs);
    }

    fn facets(
        &self,
        f: &Facets,
        v: &str,
        e: &Element,
        attr: Option<&str>,
        errs: &mut Vec<(usize, MessageError)>,
    ) {
        let n = v.chars().count();
        let mut problem = None;
        if f.length.is_some_and(|l| n != l) {
            problem = Some(format!("length {n}, must be {}", f.length.unwrap_or(0)));
        } else if f.min_length.is_some_and(|l| n < l) {
            problem = Some(format!(
                "length {n}, at least {}",
                f.min_length.unwrap_or(0)
            ));
        } else if f.max_length.is_some_and(|l| n > l) {
            problem = Some(format!("length {n}, at most {}", f.max_length.unwrap_or(0)));
        } else if !f.patterns.is_empty() && !f.patterns.iter().any(|p| p.is_match(v)) {
            problem = Some(format!("{v:?} does not match the schema's pattern"));
        } else if !f.enumeration.is_empty() && !f.enumeration.iter().any(|x| x == v) {
            problem = Some(format!("{v:?} is not one of {:?}", f.enumeration));
        } else if f.total_digits.is_some() || f.fraction_digits.is_some() {
            let digits = v.trim_start_matches(['+', '-']);
            let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
            let frac = frac.trim_end_matches('0');
            let int = int.trim_start_matches('0');
            if f.fraction_digits.is_some_and(|d| frac.len() > d) {
                problem = Some(format!(
                    "{v:?} has more than {} decimal places",
                    f.fraction_digits.unwrap_or(0)
                ));
            } else if f.total_digits.is_some_and(|d| int.len() + frac.len() > d) {
                problem = Some(format!(
                    "{v:?} has more than {} digits",
                    f.total_digits.unwrap_or(0)
                ));
            }
        }
        if let Some(p) = problem {
            errs.push(value_error(e, attr, p));
        }
    }

    /// Matches one particle (with its occurrences) from `pos`; returns the
    /// position after it.
    fn particle(
        &self,
        p: &Particle,
        kids: &[Element],
        mut pos: usize,
        parent: &Element,
        errs: &mut Vec<(usize, MessageError)>,
    ) -> usize {
        let o = occurs_of(p);
        let mut count = 0u32;
        while count < o.max {
            match kids.get(pos) {
                Some(k) if self.starts(p, k) => {
                    pos = self.once(p, kids, pos, parent, errs);
                    count += 1;
                }
                _ => break,
            }
        }
        if count == o.max && o.max > 0 {
            if let (Some(k), Particle::Element(_, d)) = (kids.get(pos), p) {
                if self.starts(p, k) {
                    errs.push((
                        k.offset,
                        MessageError::new(
                            "SCHEMA-TOO-MANY",
                            k.path.clone(),
                            format!("{} may occur at most {} time(s) here", d.name, o.max),
                        ),
                    ));
                    while kids.get(pos).is_some_and(|k| self.starts(p, k)) {
                        pos += 1;
                    }
                }
            }
        }
        if count < o.min && !self.nullable(p) {
            let at = kids.get(pos).map_or(parent.offset, |k| k.offset);
            errs.push((
                at,
                MessageError::new(
                    "SCHEMA-MISSING",
                    parent.path.clone(),
                    format!(
                        "{} requires {} here{}",
                        parent.name,
                        self.describe(p),
                        kids.get(pos)
                            .map(|k| format!(" (before {})", k.name))
                            .unwrap_or_default()
                    ),
                ),
            ));
        }
        pos
    }

    /// One occurrence of a particle whose start matched.
    fn once(
        &self,
        p: &Particle,
        kids: &[Element],
        pos: usize,
        parent: &Element,
        errs: &mut Vec<(usize, MessageError)>,
    ) -> usize {
        match p {
            Particle::Element(_, d) => {
                self.element(d, &kids[pos], errs);
                pos + 1
            }
            Particle::Sequence(_, items) => {
                let mut at = pos;
                for item in items {
                    at = self.particle(item, kids, at, parent, errs);
                }
                at
            }
            Particle::Choice(_, items) => match items.iter().find(|i| self.starts(i, &kids[pos])) {
                Some(i) => self.particle(i, kids, pos, parent, errs),
                None => pos,
            },
            Particle::Group(_, name) => match name.to {
                Some(g) => self.particle(&self.groups[g], kids, pos, parent, errs),
                None => pos,
            },
            Particle::Any(..) | Particle::Ref(..) => {
                let k = &kids[pos];
                match self.global(k) {
                    Some(d) => self.element(d, k, errs),
                    None => errs.push((
                        k.offset,
                        MessageError::new(
                            "SCHEMA-UNEXPECTED",
                            k.path.clone(),
                            format!(
                                "{} is not declared in {:?}",
                                k.name,
                                k.ns.as_deref().unwrap_or("")
                            ),
                        ),
                    )),
                }
                pos + 1
            }
        }
    }

    /// Whether `k` can begin an occurrence of `p`.
    fn starts(&self, p: &Particle, k: &Element) -> bool {
        match p {
            Particle::Element(_, d) => d.name == k.name && Some(d.ns.as_str()) == k.ns.as_deref(),
            Particle::Sequence(_, items) => {
                for i in items {
                    if self.starts(i, k) {
                        return true;
                    }
                    if !self.nullable(i) {
                        return false;
                    }
                }
                false
            }
            Particle::Choice(_, items) => items.iter().any(|i| self.starts(i, k)),
            Particle::Group(_, n) => n.to.is_some_and(|g| self.starts(&self.groups[g], k)),
            Particle::Any(_, ns) => k.ns.as_deref() == Some(ns.as_str()),
            Particle::Ref(_, name) => *name == k.name && self.global(k).is_some(),
        }
    }

    /// Whether `p` may match nothing.
    fn nullable(&self, p: &Particle) -> bool {
        if occurs_of(p).min == 0 {
            return true;
        }
        match p {
            Particle::Element(..) | Particle::Any(..) | Particle::Ref(..) => false,
            Particle::Sequence(_, items) => items.iter().all(|i| self.nullable(i)),
            Particle::Choice(_, items) => items.iter().any(|i| self.nullable(i)),
            Particle::Group(_, n) => n.to.is_some_and(|g| self.nullable(&self.groups[g])),
        }
    }

    fn describe(&self, p: &Particle) -> String {
        match p {
            Particle::Element(_, d) => d.name.clone(),
            Particle::Sequence(_, items) | Particle::Choice(_, items) => {
                let names: Vec<String> = items.iter().map(|i| self.describe(i)).collect();
                format!("one of ({})", names.join(", "))
            }
            Particle::Group(_, n) => format!("group {}", n.name),
            Particle::Any(_, ns) => format!("an element of {ns}"),
            Particle::Ref(_, name) => name.clone(),
        }
    }
}

fn occurs_of(p: &Particle) -> Occurs {
    match p {
        Particle::Element(o, _)
        | Particle::Sequence(o, _)
        | Particle::Choice(o, _)
        | Particle::Group(o, _)
        | Particle::Any(o, _)
        | Particle::Ref(o, _) => *o,
    }
}

fn value_error(e: &Element, attr: Option<&str>, problem: String) -> (usize, MessageError) {
    let pointer = match attr {
        Some(a) => format!("{}/@{a}", e.path),
        None => e.path.clone(),
    };
    (
        e.offset,
        MessageError::new("SCHEMA-VALUE", pointer, problem),
    )
}

/// Whether collapsing XSD whitespace would change `v`: a blank at either
/// end, or one that is not a single space.
fn needs_collapse(v: &str) -> bool {
    if !v.is_ascii() {
        return true;
    }
    let b = v.as_bytes();
    let blank = |c: &u8| c.is_ascii_whitespace();
    b.first().is_some_and(blank)
        || b.last().is_some_and(blank)
        || b.iter().any(|c| blank(c) && *c != b' ')
        || v.contains("  ")
}

fn decimal_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$").expect("decimal pattern"))
}

fn element_decl(e: &Element, tns: &str) -> Result<ElementDecl, String> {
    let name = e
        .attribute("name")
        .ok_or_else(|| format!("{}: element without a name", e.path))?
        .to_owned();
    let ty = match e.attribute("type") {
        Some(t) => TypeRef::Named(Link::new(t)),
        None => match xs_children(e).find(|c| c.name == "complexType" || c.name == "simpleType") {
            Some(t) => TypeRef::Anonymous(Box::new(type_def(t, tns)?)),
            None => TypeRef::Named(Link::new("string")),
        },
    };
    Ok(ElementDecl {
        ns: tns.to_owned(),
        name,
        ty,
    })
}

fn particle(e: &Element, tns: &str) -> Result<Particle, String> {
    let o = occurs(e)?;
    Ok(match e.name {
        "element" => match e.attribute("ref") {
            Some(r) => Particle::Ref(o, local(r).to_owned()),
            None => Particle::Element(o, element_decl(e, tns)?),
        },
        "sequence" => Particle::Sequence(o, particles(e, tns)?),
        "choice" => Particle::Choice(o, particles(e, tns)?),
        "group" => Particle::Group(
            o,
            Link::new(
                e.attribute("ref")
                    .ok_or_else(|| format!("{}: group without ref", e.path))?,
            ),
        ),
        "any" => {
            if e.attribute("processContents").unwrap_or("strict") != "strict" {
                return Err(format!("{}: only strict xs:any is supported", e.path));
            }
            Particle::Any(o, e.attribute("namespace").unwrap_or("").to_owned())
        }
        other => return Err(format!("{}: xs:{other} is not supported", e.path)),
    })
}

fn particles(e: &Element, tns: &str) -> Result<Vec<Particle>, String> {
    xs_children(e).map(|c| particle(c, tns)).collect()
}

fn type_def(e: &Element, tns: &str) -> Result<TypeDef, String> {
    if e.name == "simpleType" {
        let r = xs_children(e)
            .find(|c| c.name == "restriction")
            .ok_or_else(|| format!("{}: only restriction simple types are supported", e.path))?;
        return restriction(r, Vec::new());
    }
    let mut content = None;
    let mut attributes = Vec::new();
    for c in xs_children(e) {
        match c.name {
            "sequence" | "choice" | "group" => content = Some(particle(c, tns)?),
            "attribute" => attributes.push(attr_decl(c)?),
            "simpleContent" => {
                let step = xs_children(c)
                    .next()
                    .ok_or_else(|| format!("{}: empty simpleContent", c.path))?;
                let attrs = xs_children(step)
                    .filter(|a| a.name == "attribute")
                    .map(attr_decl)
                    .collect::<Result<Vec<_>, _>>()?;
                return restriction(step, attrs);
            }
            other => return Err(format!("{}: xs:{other} is not supported", c.path)),
        }
    }
    Ok(TypeDef::Complex(content, attributes))
}

fn restriction(r: &Element, attributes: Vec<AttrDecl>) -> Result<TypeDef, String> {
    let base = Link::new(
        r.attribute("base")
            .ok_or_else(|| format!("{}: no base", r.path))?,
    );
    let mut f = Facets::default();
    for c in xs_children(r) {
        let v = c.attribute("value").unwrap_or("").to_owned();
        let n = || {
            v.parse::<usize>()
                .map_err(|_| format!("{}: bad facet value {v:?}", c.path))
        };
        match c.name {
            "length" => f.length = Some(n()?),
            "minLength" => f.min_length = Some(n()?),
            "maxLength" => f.max_length = Some(n()?),
            "totalDigits" => f.total_digits = Some(n()?),
            "fractionDigits" => f.fraction_digits = Some(n()?),
            "enumeration" => f.enumeration.push(v.clone()),
            "pattern" => f
                .patterns
                .push(Pattern::new(&v).map_err(|e| format!("{}: pattern {v:?}: {e}", c.path))?),
            "attribute" => {}
            other => return Err(format!("{}: facet xs:{other} is not supported", c.path)),
        }
    }
    Ok(TypeDef::Simple {
        base,
        facets: f,
        attributes,
    })
}

fn attr_decl(a: &Element) -> Result<AttrDecl, String> {
    Ok(AttrDecl {
        name: a
            .attribute("name")
            .ok_or_else(|| format!("{}: attribute without a name", a.path))?
            .to_owned(),
        ty: Link::new(a.attribute("type").unwrap_or("string")),
        required: a.attribute("use") == Some("required"),
    })
}

type Names = HashMap<String, usize>;

fn link_type(t: &mut TypeDef, types: &Names, groups: &Names) {
    match t {
        TypeDef::Complex(content, attributes) => {
            if let Some(p) = content {
                link_particle(p, types, groups);
            }
            for a in attributes {
                a.ty.resolve(types);
            }
        }
        TypeDef::Simple {
            base, attributes, ..
        } => {
            base.resolve(types);
            for a in attributes {
                a.ty.resolve(types);
            }
        }
    }
}

fn link_element(d: &mut ElementDecl, types: &Names, groups: &Names) {
    match &mut d.ty {
        TypeRef::Named(n) => n.resolve(types),
        TypeRef::Anonymous(t) => link_type(t, types, groups),
    }
}

fn link_particle(p: &mut Particle, types: &Names, groups: &Names) {
    match p {
        Particle::Element(_, d) => link_element(d, types, groups),
        Particle::Sequence(_, items) | Particle::Choice(_, items) => {
            for i in items {
                link_particle(i, types, groups);
            }
        }
        Particle::Group(_, g) => g.resolve(groups),
        Particle::Any(..) | Particle::Ref(..) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain tests answer exactly as the regular expressions they
    /// stand for.
    #[test]
    fn plain_patterns_agree_with_their_regular_expressions() {
        let values = [
            "",
            " ",
            "\t",
            "\n",
            "\r",
            "a",
            " a ",
            "a\nb",
            "a\r",
            "\u{a0}",
            "\u{2003}x",
            "x\u{85}",
            "123",
            "12a",
            "abc",
            "aBc",
            "é",
            "٣",
            "a b",
            "0",
            "Z9",
        ];
        for xsd in [r".*[^\s].*", "([0-9])*", "([a-zA-Z])*"] {
            let plain = Pattern::new(xsd).unwrap();
            assert!(
                !matches!(plain, Pattern::Regex(_)),
                "{xsd} has a plain test"
            );
            let re = Regex::new(&format!("^(?:{xsd})$")).unwrap();
            for v in values {
                assert_eq!(plain.is_match(v), re.is_match(v), "{xsd} on {v:?}");
            }
        }
        assert!(matches!(
            Pattern::new("[A-Z]{3}").unwrap(),
            Pattern::Regex(_)
        ));
    }
}
