//! Hostile and broken XML: every one gets a clear error with a stable code
//! and a pointer, never a panic, never an entity expansion, never a read of
//! a local file.

use tamga_messages::{read_wco, Limits, MessageError};

fn sample() -> String {
    let path = format!(
        "{}/tests/data/lodgement_IM117a.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

fn first(bytes: &[u8]) -> MessageError {
    let errors = read_wco(bytes, &Limits::default()).expect_err("refused");
    errors.into_iter().next().expect("at least one error")
}

#[test]
fn a_truncated_message_is_refused_where_it_ends() {
    let xml = sample();
    let cut = &xml.as_bytes()[..xml.len() / 2];
    let e = first(cut);
    assert!(matches!(e.code, "XML-TRUNCATED" | "XML-SYNTAX"), "{e}");
    assert!(e.pointer.starts_with("/MetaData/Declaration"), "{e}");
    assert!(e.line.is_some());
    // Cut at every tenth byte: never a panic, always an error.
    for n in (0..xml.len() - 20).step_by(10) {
        assert!(
            read_wco(&xml.as_bytes()[..n], &Limits::default()).is_err(),
            "cut at {n} accepted"
        );
    }
}

#[test]
fn a_message_over_the_size_limit_is_refused_before_reading() {
    let limits = Limits {
        max_bytes: 1024,
        ..Limits::default()
    };
    let e = read_wco(sample().as_bytes(), &limits).unwrap_err();
    assert_eq!(e[0].code, "XML-TOO-LARGE");
    // And a really huge one under the default limit.
    let mut huge = String::from("<a>");
    huge.push_str(&"x".repeat(9 * 1024 * 1024));
    huge.push_str("</a>");
    assert_eq!(first(huge.as_bytes()).code, "XML-TOO-LARGE");
}

#[test]
fn deep_nesting_is_refused_at_the_depth_limit() {
    let depth = 100_000;
    let mut xml = "<a>".repeat(depth);
    xml.push_str(&"</a>".repeat(depth));
    let e = first(xml.as_bytes());
    assert_eq!(e.code, "XML-TOO-DEEP");
    assert_eq!(e.pointer.matches("/a").count(), 32, "{}", e.pointer);
}

#[test]
fn too_many_elements_are_refused() {
    let limits = Limits {
        max_elements: 1000,
        ..Limits::default()
    };
    let xml = format!("<a>{}</a>", "<b/>".repeat(5000));
    let e = read_wco(xml.as_bytes(), &limits).unwrap_err();
    assert_eq!(e[0].code, "XML-TOO-MANY-ELEMENTS");
}

#[test]
fn billion_laughs_is_refused_without_expanding_anything() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str("]>\n<lolz>&lol9;</lolz>");
    let started = std::time::Instant::now();
    let e = first(xml.as_bytes());
    assert_eq!(e.code, "XML-DOCTYPE");
    assert_eq!(e.line, Some(2));
    assert!(started.elapsed().as_secs() < 1);
}

#[test]
fn an_external_entity_never_reads_a_local_file() {
    // A file whose content would show up in the answer if it were read.
    let dir = std::env::temp_dir().join(format!("tamga-xxe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file://{}\">]>\n<d>&xxe;</d>",
        secret.display()
    );
    let errors = read_wco(xml.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(errors[0].code, "XML-DOCTYPE");
    let all = format!("{errors:?}");
    assert!(!all.contains("TOP-SECRET-CONTENT"));
    // Without a DOCTYPE the entity is merely undefined.
    let e = first(b"<d>&xxe;</d>");
    assert_eq!(e.code, "XML-ENTITY");
    assert_eq!(e.pointer, "/d");
    // An external DTD subset, a parameter entity: refused the same way.
    let e = first(b"<!DOCTYPE d SYSTEM \"http://127.0.0.1:1/evil.dtd\"><d/>");
    assert_eq!(e.code, "XML-DOCTYPE");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_utf8_is_read() {
    // ISO-8859-1 bytes (é = 0xE9) in an otherwise fine message.
    let mut bytes = sample().into_bytes();
    let at = bytes.windows(5).position(|w| w == b"Starc").unwrap();
    bytes[at] = 0xE9;
    let e = first(&bytes);
    assert_eq!(e.code, "XML-ENCODING");
    assert!(e.line.is_some_and(|l| l > 1));
    // A declared other encoding.
    let e = first(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><d/>");
    assert_eq!(e.code, "XML-ENCODING");
    // UTF-16.
    let e = first(b"\xFF\xFE<\0d\0/\0>\0");
    assert_eq!(e.code, "XML-ENCODING");
    // A UTF-8 byte order mark is fine (and then this is simply no declaration).
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(b"<d/>");
    assert_eq!(first(&bom).code, "WCO-NOT-DECLARATION");
}

#[test]
fn other_malformations_have_their_codes() {
    assert_eq!(first(b"").code, "XML-EMPTY");
    assert_eq!(first(b"   ").code, "XML-EMPTY");
    assert_eq!(first(b"<a></b>").code, "XML-SYNTAX");
    assert_eq!(first(b"<a/><b/>").code, "XML-SYNTAX");
    assert_eq!(first(b"<x:a/>").code, "XML-NAMESPACE");
    assert_eq!(first(b"<a x:y=\"1\"/>").code, "XML-NAMESPACE");
    assert_eq!(first(b"<a><!-- a -- b --></a>").code, "XML-SYNTAX");
    assert_eq!(first(b"<a b=\"1\" b=\"2\"/>").code, "XML-SYNTAX");
}

#[test]
fn the_schema_layer_reports_order_presence_occurrence_and_values() {
    let xml = sample();
    let codes = |xml: &str| -> Vec<(String, String)> {
        read_wco(xml.as_bytes(), &Limits::default())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.code.to_owned(), e.pointer))
            .collect()
    };
    // The sample itself is valid.
    assert!(codes(&xml).is_empty());
    // FunctionCode is required.
    let missing = xml.replace("<FunctionCode>9</FunctionCode>", "");
    assert_eq!(
        codes(&missing)[0],
        (
            "SCHEMA-MISSING".to_owned(),
            "/MetaData/Declaration".to_owned()
        )
    );
    // Out of order: TypeCode before FunctionalReferenceID.
    let swapped = xml
        .replace(
            "<FunctionalReferenceID>U.79274687ENGX</FunctionalReferenceID>",
            "",
        )
        .replace(
            "<TypeCode>IMA</TypeCode>",
            "<TypeCode>IMA</TypeCode><FunctionalReferenceID>U.79274687ENGX</FunctionalReferenceID>",
        );
    assert_eq!(
        codes(&swapped)[0],
        (
            "SCHEMA-UNEXPECTED".to_owned(),
            "/MetaData/Declaration/FunctionalReferenceID".to_owned()
        )
    );
    // An element the schema does not know.
    let unknown = xml.replace("<GoodsItemQuantity>", "<Bogus>1</Bogus><GoodsItemQuantity>");
    assert_eq!(
        codes(&unknown)[0],
        (
            "SCHEMA-UNEXPECTED".to_owned(),
            "/MetaData/Declaration/Bogus".to_owned()
        )
    );
    // Twice what may occur once.
    let twice = xml.replace(
        "<SupervisingOffice>",
        "<SupervisingOffice><ID>GBBEL004</ID></SupervisingOffice><SupervisingOffice>",
    );
    assert_eq!(codes(&twice)[0].0, "SCHEMA-TOO-MANY");
    // Values: too long, not a decimal, too many decimals, a bad enumeration
    // of an attribute, a missing required attribute.
    let long = xml.replace("<TypeCode>IMA</TypeCode>", "<TypeCode>IMAX</TypeCode>");
    assert_eq!(
        codes(&long)[0],
        (
            "SCHEMA-VALUE".to_owned(),
            "/MetaData/Declaration/TypeCode".to_owned()
        )
    );
    let nan = xml.replace(
        "<GrossMassMeasure>2200</GrossMassMeasure>",
        "<GrossMassMeasure>22OO</GrossMassMeasure>",
    );
    assert_eq!(codes(&nan)[0].0, "SCHEMA-VALUE");
    let places = xml.replace(
        "<GrossMassMeasure>2200</GrossMassMeasure>",
        "<GrossMassMeasure>2200.1234567</GrossMassMeasure>",
    );
    assert_eq!(codes(&places)[0].0, "SCHEMA-VALUE");
    let currency = xml.replace(
        "<InvoiceAmount currencyID=\"GBP\">",
        "<InvoiceAmount currencyID=\"pounds\">",
    );
    assert_eq!(
        codes(&currency)[0],
        (
            "SCHEMA-VALUE".to_owned(),
            "/MetaData/Declaration/InvoiceAmount/@currencyID".to_owned()
        )
    );
    let attr = xml.replace(
        "<InvoiceAmount currencyID=\"GBP\">",
        "<InvoiceAmount currency=\"GBP\">",
    );
    assert_eq!(codes(&attr)[0].0, "SCHEMA-ATTRIBUTE");
    let blank = xml.replace("<TypeCode>IMA</TypeCode>", "<TypeCode>   </TypeCode>");
    assert_eq!(codes(&blank)[0].0, "SCHEMA-VALUE");
    let text = xml.replace("<Declarant>", "<Declarant>free text");
    assert_eq!(
        codes(&text)[0],
        (
            "SCHEMA-TEXT".to_owned(),
            "/MetaData/Declaration/Declarant".to_owned()
        )
    );
    // Every error carries its line.
    let e = read_wco(long.as_bytes(), &Limits::default()).unwrap_err();
    assert!(e[0].line.is_some_and(|l| l > 30));
}
