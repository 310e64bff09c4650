//! Building tamga's wire JSON by JSON pointer, remembering for each value
//! which XML element it came from, so that control's JSON pointers can be
//! answered with the XPath of the element the trader wrote.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::xml::Element;

/// A JSON document under construction and its sources.
#[derive(Debug)]
pub struct JsonDoc {
    /// Read through [`JsonDoc::get`] and taken with [`JsonDoc::finish`]
    /// (an entered object is not in it until left).
    value: Value,
    /// JSON pointer → XPath of the element it was mapped from (empty when
    /// not tracked).
    sources: BTreeMap<String, String>,
    track: bool,
    /// The container being filled ([`JsonDoc::enter`]): its pointer and
    /// its value, set into `value` when left. Values put below it are set
    /// from there, not walked to from the root each time.
    scope: Option<(String, Value)>,
}

impl Default for JsonDoc {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonDoc {
    pub fn new() -> Self {
        Self::tracking(true)
    }

    /// A document that records its sources (`track`) or not (they are
    /// only needed when something is wrong with it, and cost a pointer
    /// and a path per value).
    pub fn tracking(track: bool) -> Self {
        Self {
            value: Value::Object(Map::new()),
            sources: BTreeMap::new(),
            track,
            scope: None,
        }
    }

    /// Fills the object at `pointer` (an item) until [`JsonDoc::leave`]:
    /// what is put below it goes straight into it.
    pub fn enter(&mut self, pointer: &str) {
        self.leave();
        self.scope = Some((pointer.to_owned(), Value::Object(Map::new())));
    }

    /// Sets the entered object into the document (unless nothing was put
    /// into it: a container nothing was mapped to is not created).
    pub fn leave(&mut self) {
        if let Some((pointer, v)) = self.scope.take() {
            if v.as_object().is_some_and(|o| !o.is_empty()) {
                set(&mut self.value, &pointer, v);
            }
        }
    }

    /// The document, the entered object set into it.
    pub fn finish(mut self) -> (Value, BTreeMap<String, String>) {
        self.leave();
        (self.value, self.sources)
    }

    /// `pointer` below the entered object: the object and the rest.
    fn scoped<'p>(&mut self, pointer: &'p str) -> Option<(&mut Value, &'p str)> {
        let (base, v) = self.scope.as_mut()?;
        Some((v, below(base, pointer)?))
    }

    /// Sets `pointer` (e.g. `/items/0/hsCode`) to `v`, creating objects
    /// and arrays on the way (a numeric token makes an array), and records
    /// `from` as its source.
    pub fn put(&mut self, pointer: &str, v: Value, from: &Element) {
        match self.scoped(pointer) {
            Some((here, rest)) => set(here, rest, v),
            None => set(&mut self.value, pointer, v),
        }
        if self.track {
            self.sources.insert(pointer.to_owned(), from.path.clone());
        }
    }

    /// Records a source for a container (an item, a party) without a value.
    pub fn source(&mut self, pointer: &str, from: &Element) {
        if self.track {
            self.sources
                .entry(pointer.to_owned())
                .or_insert_with(|| from.path.clone());
        }
    }

    pub fn get(&self, pointer: &str) -> Option<&Value> {
        if let Some((base, v)) = &self.scope {
            if let Some(rest) = below(base, pointer) {
                return v.pointer(rest);
            }
        }
        self.value.pointer(pointer)
    }
}

/// The rest of `pointer` below `base` (`/items/1/hsCode` below `/items/1`
/// is `/hsCode`; `/items10` is not below `/items/1`).
fn below<'p>(base: &str, pointer: &'p str) -> Option<&'p str> {
    pointer
        .strip_prefix(base)
        .filter(|rest| rest.starts_with('/'))
}

/// Sets `pointer` in `root` to `v`, creating objects and arrays on the way.
pub fn set(root: &mut Value, pointer: &str, v: Value) {
    let mut tokens = pointer.split('/').skip(1).peekable();
    let mut here = root;
    while let Some(token) = tokens.next() {
        let next = tokens.peek();
        let fresh = || match next {
            Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => Value::Array(Vec::new()),
            _ => Value::Object(Map::new()),
        };
        if let Ok(index) = token.parse::<usize>() {
            let Value::Array(items) = here else { return };
            while items.len() <= index {
                items.push(Value::Null);
            }
            if next.is_none() {
                items[index] = v;
                return;
            }
            if items[index].is_null() {
                items[index] = fresh();
            }
            here = &mut items[index];
        } else {
            let Value::Object(map) = here else { return };
            if next.is_none() {
                map.insert(token.to_owned(), v);
                return;
            }
            if !map.contains_key(token) {
                map.insert(token.to_owned(), fresh());
            }
            match map.get_mut(token) {
                Some(h) => here = h,
                None => return,
            }
        }
    }
}

/// The XPath for a JSON pointer: its own source, else the nearest
/// ancestor's (a missing field points at the element that should hold it).
pub fn xpath_for(sources: &BTreeMap<String, String>, pointer: &str) -> Option<String> {
    let mut p = pointer;
    loop {
        if let Some(x) = sources.get(p) {
            return Some(x.clone());
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::xml::{parse, Limits};

    #[test]
    fn an_entered_object_is_filled_in_place_and_set_when_left() {
        let root = parse(b"<a><b>1</b></a>", &Limits::default()).unwrap();
        let e = &root.children[0];
        let mut doc = JsonDoc::new();
        doc.put("/invoice/currency", json!("EUR"), e);
        doc.enter("/items/1");
        doc.put("/items/1/hsCode", json!("0101"), e);
        doc.put("/items/1/packages/count", json!(2), e);
        // Outside the entered object: the root, at once.
        doc.put("/items10/x", json!(true), e);
        doc.put("/procedure", json!("4000"), e);
        assert_eq!(doc.get("/items/1/hsCode"), Some(&json!("0101")));
        assert_eq!(doc.get("/procedure"), Some(&json!("4000")));
        assert_eq!(doc.get("/items"), None, "not set before it is left");
        doc.leave();
        // Entered and left with nothing put: nothing is created.
        doc.enter("/items/2");
        doc.leave();
        doc.enter("/items/0");
        doc.put("/items/0/hsCode", json!("0202"), e);
        let (value, sources) = doc.finish();
        assert_eq!(
            value,
            json!({
                "invoice": {"currency": "EUR"},
                "items": [{"hsCode": "0202"}, {"hsCode": "0101", "packages": {"count": 2}}],
                "items10": {"x": true},
                "procedure": "4000",
            })
        );
        assert_eq!(
            sources.get("/items/1/packages/count").map(String::as_str),
            Some("/a/b")
        );
    }
}
