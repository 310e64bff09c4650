//! A safe XML reader: the message bytes into a small element tree.
//!
//! Built on `quick-xml`, which never expands DTD entities; on top of that a
//! document type declaration is refused outright (`XML-DOCTYPE`), so no
//! "billion laughs" and no external entity can ever be defined, let alone
//! read. The only references accepted are XML's five predefined entities
//! and character references; anything else is `XML-ENTITY`. Size, depth
//! and element count are limited before anything is allocated per element.
//! Only UTF-8 is read (`XML-ENCODING` otherwise).
//!
//! Every element and attribute remembers whether the mapping used it, so
//! whatever tamga does not model can be listed (see [`Element::unused`]).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::MessageError;

/// Bounds on what the reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most elements in one message.
    pub max_elements: usize,
}

impl Default for Limits {
    /// 8 MiB, depth 32, 250,000 elements: a 999-item CDS declaration is
    /// about 3 MiB, depth 9.
    fn default() -> Self {
        Self {
            max_bytes: 8 * 1024 * 1024,
            max_depth: 32,
            max_elements: 250_000,
        }
    }
}

/// An attribute (namespace declarations are not kept: they are syntax).
#[derive(Debug)]
pub struct Attribute {
    /// Namespace URI, when the attribute is prefixed.
    pub ns: Option<Arc<str>>,
    /// Local name.
    pub name: String,
    pub value: String,
    used: Cell<bool>,
}

/// An element with its children, text and source position, borrowing
/// from the message it was read from (`'a`): its name always, its text
/// unless an entity or a comment made it differ from the bytes written.
#[derive(Debug)]
pub struct Element<'a> {
    /// Namespace URI (None when in no namespace), shared by every element
    /// of the message in it.
    pub ns: Option<Arc<str>>,
    /// Local name.
    pub name: &'a str,
    pub attributes: Vec<Attribute>,
    /// The element's own text (character data and CDATA, entities
    /// resolved), as written.
    pub text: Cow<'a, str>,
    pub children: Vec<Element<'a>>,
    /// XPath-like pointer, e.g. `/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]`
    /// (the position only where a parent has several children of the name).
    pub path: String,
    /// Byte offset of the start tag in the message.
    pub offset: usize,
    used: Cell<bool>,
}

impl<'a> Element<'a> {
    /// The first child of that local name.
    pub fn child(&self, name: &str) -> Option<&Element<'a>> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child of that local name, in order.
    pub fn children_named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s Element<'a>> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Marks the element used and returns its text, trimmed.
    pub fn take_text(&self) -> &str {
        self.used.set(true);
        self.text.trim()
    }

    /// Marks the element itself used (a container whose meaning is its
    /// presence, or one whose children are read one by one).
    pub fn mark_used(&self) {
        self.used.set(true);
    }

    /// The attribute's value (marked used), if present.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|a| a.name == name).map(|a| {
            a.used.set(true);
            a.value.as_str()
        })
    }

    /// Whether this element or anything below it was used.
    pub fn any_used(&self) -> bool {
        self.used.get() || self.children.iter().any(Element::any_used)
    }

    /// Pointers to what the mapping did not use: the highest element of an
    /// unused subtree (its whole content is meant), unused attributes as
    /// `path/@name`, and the text of a used container as `path/text()`.
    /// Schema plumbing (`xsi:*`) is not data and never listed.
    pub fn unused(&self, out: &mut Vec<String>) {
        if !self.any_used() {
            out.push(self.path.clone());
            return;
        }
        for a in &self.attributes {
            if !a.used.get() && a.ns.as_deref() != Some(XSI) {
                out.push(format!("{}/@{}", self.path, a.name));
            }
        }
        if !self.children.is_empty() && !self.text.trim().is_empty() && !self.used.get() {
            out.push(format!("{}/text()", self.path));
        }
        if self.children.is_empty() && !self.used.get() && !self.text.trim().is_empty() {
            out.push(format!("{}/text()", self.path));
        }
        for c in &self.children {
            c.unused(out);
        }
    }

    /// Number of elements in this subtree.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Element::count).sum::<usize>()
    }
}

/// The XML Schema instance namespace (`xsi:schemaLocation`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Reads `bytes` into a tree, or the first reason it cannot.
pub fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Element<'a>, MessageError> {
    let mut root = parse_unplaced(bytes, limits)?;
    place(&mut root);
    Ok(root)
}

/// Gives every element of the tree its pointer ([`Element::path`]): once
/// the tree is read, in one pass.
pub fn place(root: &mut Element) {
    let mut path = String::with_capacity(root.name.len() + 1);
    path.push('/');
    path.push_str(root.name);
    root.path = path;
    assign_paths(root);
}

/// [`parse`] without the pointers (every [`Element::path`] empty): for a
/// reader that needs them only when something is wrong, and then calls
/// [`place`]. Errors of the reading itself carry their pointer.
pub fn parse_unplaced<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Element<'a>, MessageError> {
    if bytes.len() > limits.max_bytes {
        return Err(MessageError::new(
            "XML-TOO-LARGE",
            "",
            format!(
                "the message has {} bytes; at most {} are accepted",
                bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - body.len();
    if body.starts_with(b"\xFE\xFF") || body.starts_with(b"\xFF\xFE") || body.starts_with(b"\0") {
        return Err(MessageError::new(
            "XML-ENCODING",
            "",
            "the message is UTF-16 or UTF-32; only UTF-8 is accepted",
        )
        .at(bytes, 0));
    }
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            return Err(MessageError::new(
                "XML-ENCODING",
                "",
                format!(
                    "the message is not valid UTF-8 (byte {} is not part of a UTF-8 character); only UTF-8 is accepted",
                    bom + e.valid_up_to()
                ),
            )
            .at(bytes, bom + e.valid_up_to()))
        }
    };
    Reader::new(text, bytes, bom, *limits).run()
}

struct Open<'a> {
    element: Element<'a>,
    /// Blank text read while the element has neither text nor children
    /// yet, as a byte range of the message: indentation before a first
    /// child (dropped when it comes) or a blank value (the text of an
    /// element that ends without children). Kept aside so that
    /// indentation is never decoded or allocated.
    blank: Option<(usize, usize)>,
}

/// The blank bytes of `range` (ASCII whitespace, so UTF-8) as text.
fn blank_text(source: &[u8], range: (usize, usize)) -> &str {
    std::str::from_utf8(&source[range.0..range.1]).unwrap_or_default()
}

struct Reader<'a> {
    xml: NsReader<&'a [u8]>,
    /// The message after its byte-order mark: what names and text borrow.
    body: &'a str,
    source: &'a [u8],
    bom: usize,
    limits: Limits,
    stack: Vec<Open<'a>>,
    elements: usize,
    root: Option<Element<'a>>,
    /// The message's namespaces, each allocated once.
    namespaces: Vec<Arc<str>>,
}

impl<'a> Reader<'a> {
    fn new(body: &'a str, source: &'a [u8], bom: usize, limits: Limits) -> Self {
        let mut xml = NsReader::from_reader(body.as_bytes());
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        Self {
            xml,
            body,
            source,
            bom,
            limits,
            stack: Vec::new(),
            elements: 0,
            root: None,
            namespaces: Vec::new(),
        }
    }

    fn position(&self) -> usize {
        self.bom + usize::try_from(self.xml.buffer_position()).unwrap_or(usize::MAX)
    }

    /// The pointer of the innermost open element, its position among its
    /// parent's children of the name so far (`[1]` for the first): built
    /// only for an error, so reading builds no pointer.
    fn here(&self) -> String {
        let mut path = String::new();
        for (depth, open) in self.stack.iter().enumerate() {
            let name = &open.element.name;
            path.push('/');
            path.push_str(name);
            if depth > 0 {
                let before = self.stack[depth - 1]
                    .element
                    .children
                    .iter()
                    .filter(|c| c.name == *name)
                    .count();
                push_index(&mut path, before + 1);
            }
        }
        path
    }

    fn err(&self, code: &'static str, message: impl Into<String>) -> MessageError {
        MessageError::new(code, self.here(), message).at(self.source, self.position())
    }

    /// `bytes`, a part of the message (as every event of a reader over a
    /// slice borrows), as the message's own text: no copy, no second
    /// UTF-8 check.
    fn borrow(&self, bytes: &[u8]) -> Option<&'a str> {
        let at = (bytes.as_ptr() as usize).checked_sub(self.body.as_ptr() as usize)?;
        self.body.get(at..at.checked_add(bytes.len())?)
    }

    /// Raw event bytes as text, borrowed from the message when they are
    /// part of it.
    fn decode(&self, raw: Cow<'a, [u8]>) -> Cow<'a, str> {
        match raw {
            Cow::Borrowed(b) => match self.borrow(b) {
                Some(t) => Cow::Borrowed(t),
                None => String::from_utf8_lossy(b),
            },
            Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
        }
    }

    fn run(mut self) -> Result<Element<'a>, MessageError> {
        loop {
            let start = self.position();
            let event = match self.xml.read_resolved_event() {
                Ok(e) => e,
                Err(e) => {
                    let at =
                        self.bom + usize::try_from(self.xml.error_position()).unwrap_or(usize::MAX);
                    let code = if matches!(e, quick_xml::Error::Escape(_)) {
                        "XML-ENTITY"
                    } else {
                        "XML-SYNTAX"
                    };
                    return Err(MessageError::new(
                        code,
                        self.here(),
                        format!("not well-formed XML: {e}"),
                    )
                    .at(self.source, at));
                }
            };
            match event {
                (ns, Event::Start(e)) => {
                    let ns = match ns {
                        ResolveResult::Bound(n) => {
                            Ok(Some(intern(&mut self.namespaces, n.as_ref())))
                        }
                        ResolveResult::Unbound => Ok(None),
                        ResolveResult::Unknown(p) => Err(p),
                    };
                    if self.root.is_some() {
                        return Err(self.err("XML-SYNTAX", "a second root element"));
                    }
                    self.elements += 1;
                    if self.elements > self.limits.max_elements {
                        return Err(self.err(
                            "XML-TOO-MANY-ELEMENTS",
                            format!("more than {} elements", self.limits.max_elements),
                        ));
                    }
                    if self.stack.len() + 1 > self.limits.max_depth {
                        return Err(self.err(
                            "XML-TOO-DEEP",
                            format!("elements nested deeper than {}", self.limits.max_depth),
                        ));
                    }
                    let ns = ns.map_err(|p| {
                        self.err(
                            "XML-NAMESPACE",
                            format!(
                                "element prefix {:?} is not declared",
                                String::from_utf8_lossy(&p)
                            ),
                        )
                    })?;
                    let mut attributes = Vec::new();
                    for a in e.attributes() {
                        let a =
                            a.map_err(|e| self.err("XML-SYNTAX", format!("bad attribute: {e}")))?;
                        let key = a.key.as_ref();
                        if key == b"xmlns" || key.starts_with(b"xmlns:") {
                            continue;
                        }
                        let (ans, local) = self.xml.resolve_attribute(a.key);
                        let ans = match ans {
                            ResolveResult::Bound(n) => {
                                Some(intern(&mut self.namespaces, n.as_ref()))
                            }
                            ResolveResult::Unbound => None,
                            ResolveResult::Unknown(p) => {
                                return Err(self.err(
                                    "XML-NAMESPACE",
                                    format!(
                                        "attribute prefix {:?} is not declared",
                                        String::from_utf8_lossy(&p)
                                    ),
                                ))
                            }
                        };
                        let local = String::from_utf8_lossy(local.as_ref()).into_owned();
                        let value = a.unescape_value().map_err(|e| {
                            self.err("XML-ENTITY", format!("attribute {local}: {e}"))
                        })?;
                        attributes.push(Attribute {
                            ns: ans,
                            name: local,
                            value: value.into_owned(),
                            used: Cell::new(false),
                        });
                    }
                    // The local name, borrowed from the message.
                    let Some(name) = self.borrow(e.local_name().into_inner()) else {
                        return Err(self.err("XML-SYNTAX", "an element name that cannot be read"));
                    };
                    if let Some(parent) = self.stack.last_mut() {
                        // Indentation before a child: not content.
                        parent.blank = None;
                    }
                    self.stack.push(Open {
                        blank: None,
                        element: Element {
                            ns,
                            name,
                            attributes,
                            text: Cow::Borrowed(""),
                            children: Vec::new(),
                            path: String::new(),
                            offset: start,
                            used: Cell::new(false),
                        },
                    });
                }
                (_, Event::End(_)) => {
                    let Some(mut done) = self.stack.pop() else {
                        return Err(self.err("XML-SYNTAX", "an end tag without a start tag"));
                    };
                    if let Some(range) = done.blank.take() {
                        // A blank value, as written.
                        append(&mut done.element.text, blank_text(self.source, range));
                    }
                    // Indentation between child elements is not content.
                    if !done.element.children.is_empty()
                        && done.element.text.bytes().all(|b| b.is_ascii_whitespace())
                    {
                        done.element.text = Cow::Borrowed("");
                    }
                    match self.stack.last_mut() {
                        Some(parent) => parent.element.children.push(done.element),
                        None => self.root = Some(done.element),
                    }
                }
                (_, Event::Text(t)) => {
                    let source = self.source;
                    let blank = t.iter().all(|b| b.is_ascii_whitespace());
                    match self.stack.last_mut() {
                        // Indentation, never decoded: after a child element
                        // it is not kept; before one (or a blank value) it
                        // is set aside.
                        Some(open) if blank && open.element.text.is_empty() => {
                            if open.element.children.is_empty() {
                                let end = start + t.len();
                                open.blank = match open.blank {
                                    None => Some((start, end)),
                                    Some((a, b)) if b == start => Some((a, end)),
                                    // Not contiguous (a comment between):
                                    // the earlier part is text so far.
                                    Some(earlier) => {
                                        append(&mut open.element.text, blank_text(source, earlier));
                                        Some((start, end))
                                    }
                                };
                            }
                        }
                        Some(_) => {
                            let raw = self.decode(t.into_inner());
                            // Only text with a reference differs from the
                            // bytes written (and is then owned).
                            let text = if raw.contains('&') {
                                match quick_xml::escape::unescape(&raw) {
                                    Ok(t) => Cow::Owned(t.into_owned()),
                                    Err(e) => return Err(self.err("XML-ENTITY", format!("{e}"))),
                                }
                            } else {
                                raw
                            };
                            if let Some(open) = self.stack.last_mut() {
                                if let Some(range) = open.blank.take() {
                                    append(&mut open.element.text, blank_text(source, range));
                                }
                                append(&mut open.element.text, text);
                            }
                        }
                        None if blank => {}
                        None => return Err(self.err("XML-SYNTAX", "text outside the root element")),
                    }
                }
                (_, Event::CData(c)) => {
                    let text = self.decode(c.into_inner());
                    let source = self.source;
                    match self.stack.last_mut() {
                        Some(open) => {
                            if let Some(range) = open.blank.take() {
                                append(&mut open.element.text, blank_text(source, range));
                            }
                            append(&mut open.element.text, text);
                        }
                        None => {
                            return Err(self.err("XML-SYNTAX", "CDATA outside the root element"))
                        }
                    }
                }
                (_, Event::DocType(_)) => {
                    return Err(MessageError::new(
                        "XML-DOCTYPE",
                        "",
                        "a document type declaration (<!DOCTYPE ...>) is not accepted: no DTD, internal or external entity is ever read",
                    )
                    .at(self.source, start));
                }
                (_, Event::Decl(d)) => {
                    if let Some(Ok(enc)) = d.encoding() {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                        if enc != "utf-8" && enc != "utf8" {
                            return Err(MessageError::new(
                                "XML-ENCODING",
                                "",
                                format!(
                                    "the message declares encoding {enc:?}; only UTF-8 is accepted"
                                ),
                            )
                            .at(self.source, start));
                        }
                    }
                }
                (_, Event::Comment(_) | Event::PI(_)) => {}
                // Never produced: empty elements are expanded into Start and End.
                (_, Event::Empty(_)) => {
                    return Err(self.err("XML-SYNTAX", "unexpected empty-element event"));
                }
                (_, Event::Eof) => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(self.err(
                "XML-TRUNCATED",
                format!(
                    "the message ends with {} element(s) still open",
                    self.stack.len()
                ),
            ));
        }
        self.root
            .ok_or_else(|| MessageError::new("XML-EMPTY", "", "the message has no root element"))
    }
}

/// Adds `more` to an element's text: borrowed while it is one piece.
fn append<'a>(text: &mut Cow<'a, str>, more: impl Into<Cow<'a, str>>) {
    let more = more.into();
    if text.is_empty() {
        *text = more;
    } else if !more.is_empty() {
        text.to_mut().push_str(&more);
    }
}

/// The namespace URI, shared: each distinct one of a message is allocated
/// once.
fn intern(namespaces: &mut Vec<Arc<str>>, uri: &[u8]) -> Arc<str> {
    if let Some(n) = namespaces.iter().find(|n| n.as_bytes() == uri) {
        return n.clone();
    }
    let n: Arc<str> = String::from_utf8_lossy(uri).into();
    namespaces.push(n.clone());
    n
}

/// Appends `[n]`.
fn push_index(path: &mut String, n: usize) {
    path.push('[');
    path.push_str(itoa::Buffer::new().format(n));
    path.push(']');
}

/// Gives every element below `e` its final pointer, in one pass once the
/// tree is read: `/Declaration/GoodsShipment/Consignment`, with a position
/// only where the parent has several children of the name
/// (`GovernmentAgencyGoodsItem[2]`). While reading, an element's pointer
/// carries its position so far (`[1]`): errors found then name it so.
fn assign_paths(e: &mut Element) {
    // Per child: its position among the children of its name, and whether
    // the name repeats (only then is the position written). Linear in the
    // number of children (a hash map beyond a few), whatever the message.
    let places: Vec<(usize, bool)> = if e.children.len() <= 16 {
        e.children
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let same = |o: &Element| o.name == c.name;
                let before = e.children[..i].iter().filter(|o| same(o)).count();
                (
                    before + 1,
                    before > 0 || e.children[i + 1..].iter().any(same),
                )
            })
            .collect()
    } else {
        let mut totals: HashMap<&str, usize> = HashMap::new();
        for c in &e.children {
            *totals.entry(c.name).or_default() += 1;
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(totals.len());
        e.children
            .iter()
            .map(|c| {
                let n = seen.entry(c.name).or_default();
                *n += 1;
                (*n, totals.get(c.name).is_some_and(|t| *t > 1))
            })
            .collect()
    };
    let parent = std::mem::take(&mut e.path);
    for (c, (n, repeats)) in e.children.iter_mut().zip(places) {
        let mut path = String::with_capacity(parent.len() + c.name.len() + 6);
        path.push_str(&parent);
        path.push('/');
        path.push_str(c.name);
        if repeats {
            push_index(&mut path, n);
        }
        c.path = path;
        assign_paths(c);
    }
    e.path = parent;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Element<'_> {
        parse(xml.as_bytes(), &Limits::default()).expect("parses")
    }

    #[test]
    fn indentation_is_not_text_but_a_blank_value_is() {
        let root = read("<a>\n  <b>  </b>\n  <c> x &amp; y </c>\n  <d><!-- n -->  </d>\n</a>\n");
        assert_eq!(root.text, "");
        assert_eq!(root.children.len(), 3);
        assert_eq!(root.children[0].text, "  ");
        assert_eq!(root.children[1].text, " x & y ");
        assert_eq!(root.children[2].text, "  ");
        let spaced = read("<d> <!-- n --> </d>");
        assert_eq!(spaced.text, "  ", "both blanks, not the comment");
        let cdata = read("<e> <![CDATA[<z>]]></e>");
        assert_eq!(cdata.text, " <z>");
    }

    #[test]
    fn names_and_plain_text_are_borrowed_from_the_message() {
        let root = read(
            "<a xmlns=\"urn:x\"><p:b xmlns:p=\"urn:y\">v</p:b><c>x &lt; y</c><d>1<!-- -->2</d></a>",
        );
        assert_eq!(root.name, "a");
        assert_eq!(root.children[0].name, "b", "the local name");
        assert_eq!(root.children[0].ns.as_deref(), Some("urn:y"));
        assert!(matches!(root.children[0].text, Cow::Borrowed("v")));
        assert!(matches!(&root.children[1].text, Cow::Owned(t) if t == "x < y"));
        assert!(matches!(&root.children[2].text, Cow::Owned(t) if t == "12"));
    }

    #[test]
    fn mixed_content_keeps_its_text_and_pointers_are_placed() {
        let root = read("<a>\n  <b/>\n  tail\n  <b/>\n</a>");
        assert_eq!(root.text.trim(), "tail");
        assert_eq!(root.children[1].path, "/a/b[2]");
        let unplaced = parse_unplaced(b"<a><b/></a>", &Limits::default()).unwrap();
        assert_eq!(unplaced.children[0].path, "");
    }
}
