//! Building tamga's wire JSON by JSON pointer, remembering for each value
//! which XML element it came from, so that control's JSON pointers can be
//! answered with the XPath of the element the trader wrote.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::xml::Element;

/// A JSON document under construction and its sources.
#[derive(Debug, Default)]
pub struct JsonDoc {
    pub value: Value,
    /// JSON pointer → XPath of the element it was mapped from (empty when
    /// not tracked).
    pub sources: BTreeMap<String, String>,
    track: bool,
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
        }
    }

    /// Sets `pointer` (e.g. `/items/0/hsCode`) to `v`, creating objects
    /// and arrays on the way (a numeric token makes an array), and records
    /// `from` as its source.
    pub fn put(&mut self, pointer: &str, v: Value, from: &Element) {
        set(&mut self.value, pointer, v);
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
        self.value.pointer(pointer)
    }
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
