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

#[derive(Debug)]
enum Particle {
    Element(Occurs, ElementDecl),
    Sequence(Occurs, Vec<Particle>),
    Choice(Occurs, Vec<Particle>),
    Group(Occurs, String),
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
    Named(String),
    Anonymous(Box<TypeDef>),
}

#[derive(Debug)]
enum TypeDef {
    /// Element content with attributes.
    Complex(Option<Particle>, Vec<AttrDecl>),
    /// Text content: base type, this step's facets, attributes.
    Simple {
        base: String,
        facets: Facets,
        attributes: Vec<AttrDecl>,
    },
}

#[derive(Debug)]
struct AttrDecl {
    name: String,
    ty: String,
    required: bool,
}

#[derive(Debug, Default)]
struct Facets {
    length: Option<usize>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    patterns: Vec<Regex>,
    enumeration: Vec<String>,
    total_digits: Option<usize>,
    fraction_digits: Option<usize>,
}

/// A compiled schema set.
#[derive(Debug)]
pub struct Schema {
    globals: HashMap<(String, String), ElementDecl>,
    types: HashMap<String, TypeDef>,
    groups: HashMap<String, Particle>,
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

fn xs_children(e: &Element) -> impl Iterator<Item = &Element> {
    e.children
        .iter()
        .filter(|c| c.ns.as_deref() == Some(XS) && c.name != "annotation")
}

impl Schema {
    /// Compiles a schema set from `(location, text)` pairs.
    pub fn load(files: &[(&str, &str)]) -> Result<Self, String> {
        let mut s = Schema {
            globals: HashMap::new(),
            types: HashMap::new(),
            groups: HashMap::new(),
        };
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
                match top.name.as_str() {
                    "element" => {
                        let decl = element_decl(top, &tns)?;
                        s.globals.insert((tns.clone(), n), decl);
                    }
                    "complexType" | "simpleType" => {
                        let t = type_def(top, &tns)?;
                        if s.types.insert(n.clone(), t).is_some() {
                            return Err(format!("{name}: type {n} defined twice"));
                        }
                    }
                    "group" => {
                        let p = xs_children(top)
                            .next()
                            .ok_or_else(|| format!("{name}: empty group {n}"))?;
                        s.groups.insert(n, particle(p, &tns)?);
                    }
                    _ => {}
                }
            }
        }
        Ok(s)
    }

    /// Every schema error of `root`, with the byte offset of its element.
    pub fn validate(&self, root: &Element) -> Vec<(usize, MessageError)> {
        let mut errs = Vec::new();
        let key = (root.ns.clone().unwrap_or_default(), root.name.clone());
        match self.globals.get(&key) {
            Some(decl) => self.element(decl, root, &mut errs),
            None => errs.push((
                root.offset,
                MessageError::new(
                    "SCHEMA-UNEXPECTED",
                    root.path.clone(),
                    format!(
                        "root element {} in {:?} is not declared by the schema",
                        root.name, key.0
                    ),
                ),
            )),
        }
        errs
    }

    fn type_of<'a>(&'a self, t: &'a TypeRef) -> Option<&'a TypeDef> {
        match t {
            TypeRef::Named(n) => self.types.get(local(n)),
            TypeRef::Anonymous(t) => Some(t),
        }
    }

    fn element(&self, decl: &ElementDecl, e: &Element, errs: &mut Vec<(usize, MessageError)>) {
        let Some(ty) = self.type_of(&decl.ty) else {
            // A built-in simple type on an element.
            if let TypeRef::Named(n) = &decl.ty {
                self.value(local(n), e.text.as_str(), e, None, errs);
            }
            return;
        };
        match ty {
            TypeDef::Complex(content, attributes) => {
                self.attributes(attributes, e, errs);
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
                let kids: Vec<&Element> = e.children.iter().collect();
                let pos = match content {
                    Some(p) => self.particle(p, &kids, 0, e, errs),
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
                let mut attrs = Vec::new();
                self.simple_chain(ty, &mut attrs, &mut Vec::new());
                let attrs: Vec<&AttrDecl> = attrs;
                self.attribute_list(&attrs, e, errs);
                self.check_simple(ty, &e.text, e, None, errs);
            }
        }
    }

    /// Collects the attributes along a simple-content derivation chain.
    fn simple_chain<'a>(
        &'a self,
        ty: &'a TypeDef,
        attrs: &mut Vec<&'a AttrDecl>,
        seen: &mut Vec<&'a str>,
    ) {
        if let TypeDef::Simple {
            base, attributes, ..
        } = ty
        {
            attrs.extend(attributes.iter());
            let b = local(base);
            if seen.contains(&b) {
                return;
            }
            seen.push(b);
            if let Some(t) = self.types.get(b) {
                self.simple_chain(t, attrs, seen);
            }
        }
    }

    fn attributes(&self, decls: &[AttrDecl], e: &Element, errs: &mut Vec<(usize, MessageError)>) {
        let refs: Vec<&AttrDecl> = decls.iter().collect();
        self.attribute_list(&refs, e, errs);
    }

    fn attribute_list(
        &self,
        decls: &[&AttrDecl],
        e: &Element,
        errs: &mut Vec<(usize, MessageError)>,
    ) {
        for a in &e.attributes {
            if a.ns.as_deref() == Some(XSI) {
                continue;
            }
            match decls.iter().find(|d| a.ns.is_none() && d.name == a.name) {
                Some(d) => match self.types.get(local(&d.ty)) {
                    Some(t) => self.check_simple(t, &a.value, e, Some(&a.name), errs),
                    None => self.value(local(&d.ty), &a.value, e, Some(&a.name), errs),
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
        for d in decls.iter().filter(|d| d.required) {
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
        let mut steps = Vec::new();
        let mut here = ty;
        let mut builtin = "string";
        for _ in 0..16 {
            let TypeDef::Simple { base, facets, .. } = here else {
                break;
            };
            steps.push(facets);
            let b = local(base);
            match self.types.get(b) {
                Some(next) => here = next,
                None => {
                    builtin = b;
                    break;
                }
            }
        }
        let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let v = if builtin == "string" {
            raw
        } else {
            collapsed.as_str()
        };
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
        for f in steps {
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
        let t = TypeDef::Simple {
            base: builtin.to_owned(),
            facets: Facets::default(),
            attributes: Vec::new(),
        };
        self.check_simple(&t, raw, e, attr, errs);
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
        kids: &[&Element],
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
        kids: &[&Element],
        pos: usize,
        parent: &Element,
        errs: &mut Vec<(usize, MessageError)>,
    ) -> usize {
        match p {
            Particle::Element(_, d) => {
                self.element(d, kids[pos], errs);
                pos + 1
            }
            Particle::Sequence(_, items) => {
                let mut at = pos;
                for item in items {
                    at = self.particle(item, kids, at, parent, errs);
                }
                at
            }
            Particle::Choice(_, items) => match items.iter().find(|i| self.starts(i, kids[pos])) {
                Some(i) => self.particle(i, kids, pos, parent, errs),
                None => pos,
            },
            Particle::Group(_, name) => match self.groups.get(local(name)) {
                Some(g) => self.particle(g, kids, pos, parent, errs),
                None => pos,
            },
            Particle::Any(..) | Particle::Ref(..) => {
                let k = kids[pos];
                let key = (k.ns.clone().unwrap_or_default(), k.name.clone());
                match self.globals.get(&key) {
                    Some(d) => self.element(d, k, errs),
                    None => errs.push((
                        k.offset,
                        MessageError::new(
                            "SCHEMA-UNEXPECTED",
                            k.path.clone(),
                            format!("{} is not declared in {:?}", k.name, key.0),
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
            Particle::Group(_, n) => self.groups.get(local(n)).is_some_and(|g| self.starts(g, k)),
            Particle::Any(_, ns) => k.ns.as_deref() == Some(ns.as_str()),
            Particle::Ref(_, name) => {
                *name == k.name
                    && self
                        .globals
                        .contains_key(&(k.ns.clone().unwrap_or_default(), k.name.clone()))
            }
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
            Particle::Group(_, n) => self.groups.get(local(n)).is_some_and(|g| self.nullable(g)),
        }
    }

    fn describe(&self, p: &Particle) -> String {
        match p {
            Particle::Element(_, d) => d.name.clone(),
            Particle::Sequence(_, items) | Particle::Choice(_, items) => {
                let names: Vec<String> = items.iter().map(|i| self.describe(i)).collect();
                format!("one of ({})", names.join(", "))
            }
            Particle::Group(_, n) => format!("group {n}"),
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
        Some(t) => TypeRef::Named(t.to_owned()),
        None => match xs_children(e).find(|c| c.name == "complexType" || c.name == "simpleType") {
            Some(t) => TypeRef::Anonymous(Box::new(type_def(t, tns)?)),
            None => TypeRef::Named("string".to_owned()),
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
    Ok(match e.name.as_str() {
        "element" => match e.attribute("ref") {
            Some(r) => Particle::Ref(o, local(r).to_owned()),
            None => Particle::Element(o, element_decl(e, tns)?),
        },
        "sequence" => Particle::Sequence(o, particles(e, tns)?),
        "choice" => Particle::Choice(o, particles(e, tns)?),
        "group" => Particle::Group(
            o,
            e.attribute("ref")
                .ok_or_else(|| format!("{}: group without ref", e.path))?
                .to_owned(),
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
        match c.name.as_str() {
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
    let base = r
        .attribute("base")
        .ok_or_else(|| format!("{}: no base", r.path))?
        .to_owned();
    let mut f = Facets::default();
    for c in xs_children(r) {
        let v = c.attribute("value").unwrap_or("").to_owned();
        let n = || {
            v.parse::<usize>()
                .map_err(|_| format!("{}: bad facet value {v:?}", c.path))
        };
        match c.name.as_str() {
            "length" => f.length = Some(n()?),
            "minLength" => f.min_length = Some(n()?),
            "maxLength" => f.max_length = Some(n()?),
            "totalDigits" => f.total_digits = Some(n()?),
            "fractionDigits" => f.fraction_digits = Some(n()?),
            "enumeration" => f.enumeration.push(v.clone()),
            "pattern" => f.patterns.push(
                Regex::new(&format!("^(?:{v})$"))
                    .map_err(|e| format!("{}: pattern {v:?}: {e}", c.path))?,
            ),
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
        ty: a.attribute("type").unwrap_or("string").to_owned(),
        required: a.attribute("use") == Some("required"),
    })
}
