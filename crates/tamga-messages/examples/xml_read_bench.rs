//! What reading a DEC-DMS message costs against reading the same
//! declaration as JSON: the XML-only part of an XML lodging.
//!
//! Writes tamga-sim's declarations as DEC-DMS XML, then times, per message
//! and phase, the layers `read_wco` runs (XML reader, schema, mapping) and,
//! for comparison, what the JSON lodging does in their place (parsing the
//! body into a JSON value). The stages after (control, duties, risk,
//! storage) are the same for both and not timed here; `tamga bench
//! pipeline --xml` measures the whole.
//!
//! `cargo run --release -p tamga-messages --example xml_read_bench -- [DECLARATIONS] [ROUNDS]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use tamga_core::reference::{ReferenceBundle, SHIPPED};
use tamga_messages::{schema, wco_in, write_wco, xml, Limits};
use tamga_sim::{Generator, GeneratorConfig};

/// The allocator the `tamga` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(2000, |a| a.parse().expect("DECLARATIONS"));
    let rounds: usize = args.next().map_or(5, |a| a.parse().expect("ROUNDS"));
    let bundle = ReferenceBundle::from_csv(&SHIPPED).expect("shipped reference data");
    let mut cfg = GeneratorConfig::demo(40, time::macros::date!(2026 - 11 - 20), 19);
    cfg.error_share = Some(0.0);
    let mut generator = Generator::new(cfg, &bundle).expect("demo configuration");
    let mut messages = Vec::with_capacity(n);
    for _ in 0..n {
        let s = generator.next();
        let d: tamga_core::declaration::Declaration =
            serde_json::from_slice(&s.body).expect("a declaration");
        let x = write_wco(&d).expect("written as XML");
        messages.push((s.body.clone(), x.into_bytes()));
    }
    let xml_bytes: usize = messages.iter().map(|m| m.1.len()).sum();
    let json_bytes: usize = messages.iter().map(|m| m.0.len()).sum();
    println!(
        "{n} declarations: XML {:.1} KB, JSON {:.1} KB on average",
        xml_bytes as f64 / n as f64 / 1000.0,
        json_bytes as f64 / n as f64 / 1000.0
    );
    let limits = Limits::default();
    let schema = schema::dec_dms();
    for round in 1..=rounds {
        let (mut t_parse, mut t_schema, mut t_map, mut t_json, mut t_events) = (
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
        );
        let (mut t_tree, mut t_quick) = (Duration::ZERO, Duration::ZERO);
        for (json, x) in &messages {
            // The floor: quick-xml's events, namespaces resolved, nothing kept.
            let z = Instant::now();
            let mut reader = quick_xml::NsReader::from_reader(x.as_slice());
            loop {
                match reader.read_resolved_event() {
                    Ok((_, quick_xml::events::Event::Eof)) => break,
                    Ok(e) => {
                        black_box(&e);
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            t_events += z.elapsed();
            let a = Instant::now();
            let root = xml::parse(x, &limits).expect("parsed");
            let b = Instant::now();
            let message = wco_in::unwrap(&root);
            assert!(schema.validate(message).is_empty());
            let c = Instant::now();
            let mapped = wco_in::map(&root).expect("mapped");
            black_box(&mapped);
            let d = Instant::now();
            drop(mapped);
            drop(root);
            let e = Instant::now();
            let v: serde_json::Value = serde_json::from_slice(json).expect("JSON");
            black_box(&v);
            drop(v);
            let f = Instant::now();
            // Whole readings: with every pointer and source (the
            // amendment's and the conformance tools'), and the lodging's.
            let g = Instant::now();
            black_box(tamga_messages::read_wco_tree(x, &limits).expect("read"));
            let h = Instant::now();
            black_box(tamga_messages::read_wco_quick(x, &limits).expect("read"));
            let k = Instant::now();
            t_tree += h - g;
            t_quick += k - h;
            t_parse += b - a;
            t_schema += c - b;
            t_map += d - c;
            t_json += f - e;
        }
        let per = |t: Duration| t.as_secs_f64() * 1e6 / n as f64;
        println!(
            "round {round}: per message µs: quick-xml events {:.1}; parse {:.1}, schema {:.1}, map {:.1}, XML total {:.1}; JSON parse {:.1}",
            per(t_events),
            per(t_parse),
            per(t_schema),
            per(t_map),
            per(t_parse + t_schema + t_map),
            per(t_json)
        );
        println!(
            "round {round}: whole reading µs: read_wco_tree {:.1}, read_wco_quick (lodging) {:.1}",
            per(t_tree),
            per(t_quick)
        );
    }
}
