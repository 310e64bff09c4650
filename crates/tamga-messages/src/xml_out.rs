//! An indented XML writer for the messages tamga writes (DEC-DMS
//! declarations, DMS notifications): elements opened and closed one per
//! line, leaves with their text (and at most one attribute) escaped.

use std::fmt::Write as _;

use quick_xml::escape::escape;

/// The document being written, `depth` levels in.
pub(crate) struct XmlWriter {
    pub(crate) out: String,
    pub(crate) depth: usize,
    /// One level of indentation (a tab, two spaces …).
    unit: &'static str,
}

impl XmlWriter {
    /// Writes after `out`, `depth` levels in, each indented by `unit`.
    pub(crate) fn new(out: String, depth: usize, unit: &'static str) -> Self {
        Self { out, depth, unit }
    }

    pub(crate) fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str(self.unit);
        }
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}>");
        self.depth += 1;
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    pub(crate) fn leaf(&mut self, name: &str, value: &str) {
        self.leaf_attr(name, None, value);
    }

    pub(crate) fn leaf_attr(&mut self, name: &str, attr: Option<(&str, &str)>, value: &str) {
        self.indent();
        let _ = match attr {
            Some((k, v)) => writeln!(
                self.out,
                "<{name} {k}=\"{}\">{}</{name}>",
                escape(v),
                escape(value)
            ),
            None => writeln!(self.out, "<{name}>{}</{name}>", escape(value)),
        };
    }

    /// A leaf when there is a value.
    pub(crate) fn opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.leaf(name, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::XmlWriter;

    #[test]
    fn writes_indented_escaped_elements() {
        let mut w = XmlWriter::new(String::new(), 1, "  ");
        w.open("A");
        w.leaf_attr("B", Some(("unit", "a&b")), "1 < 2");
        w.opt("C", None);
        w.opt("D", Some("x"));
        w.close("A");
        assert_eq!(
            w.out,
            "  <A>\n    <B unit=\"a&amp;b\">1 &lt; 2</B>\n    <D>x</D>\n  </A>\n"
        );
    }
}
