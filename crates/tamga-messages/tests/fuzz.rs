//! 10,000 seeded mutations of the sample messages: the reader, the schema
//! layer and the mapping never panic (a panic fails this test), and every
//! refusal has a stable code. `examples/fuzz.rs` runs 100,000. The same
//! for UN/EDIFACT: 10,000 mutations of the CUSDEC samples and of tamga's
//! own CUSDECs, each answered (CUSRES or CONTRL) without a panic.

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tamga_messages::cusdec_in::is_syntax_error;
use tamga_messages::cusres::{Acceptance, Answering, Refusal};
use tamga_messages::error::CODES;
use tamga_messages::{
    contrl, cusdec_declaration, cusres, edifact, read_cusdec, read_wco, to_declaration,
    write_cusdec, Directory, Limits,
};

fn samples() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "xml"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    out.sort();
    assert!(out.len() >= 5);
    out
}

#[test]
fn ten_thousand_mutated_messages_never_panic() {
    let samples = samples();
    let mut rng = ChaCha8Rng::seed_from_u64(0x19);
    let (mut mapped, mut refused) = (0, 0);
    for _ in 0..10_000 {
        let base = &samples[rng.gen_range(0..samples.len())];
        let bytes = common::mutate::mutate(base, &mut rng);
        match read_wco(&bytes, &Limits::default()) {
            Ok(m) => {
                mapped += 1;
                let _ = to_declaration(&m);
                let _ = serde_json::to_string(&m).unwrap();
            }
            Err(errors) => {
                refused += 1;
                assert!(!errors.is_empty());
                for e in errors {
                    assert!(
                        CODES.iter().any(|(c, _)| *c == e.code),
                        "undocumented code {}",
                        e.code
                    );
                }
            }
        }
    }
    // Both paths were exercised.
    assert!(
        mapped > 100 && refused > 1000,
        "mapped {mapped}, refused {refused}"
    );
}

fn edifact_samples() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/data/edifact", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "edi"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    out.sort();
    assert!(out.len() >= 6);
    // tamga's own CUSDECs, one per directory.
    let bundle =
        tamga_core::reference::ReferenceBundle::from_csv(&tamga_core::reference::SHIPPED).unwrap();
    let mut cfg = tamga_sim::GeneratorConfig::demo(4, time::macros::date!(2026 - 11 - 20), 3);
    cfg.error_share = Some(0.0);
    let mut g = tamga_sim::Generator::new(cfg, &bundle).unwrap();
    let at = time::macros::datetime!(2026-12-07 10:00 UTC);
    for dir in [Directory::D96B, Directory::D99B] {
        let d = serde_json::from_slice(&g.next().body).unwrap();
        out.push(write_cusdec(&d, dir, at).unwrap().into_bytes());
    }
    out
}

#[test]
fn ten_thousand_mutated_edifact_interchanges_never_panic() {
    let samples = edifact_samples();
    let mut rng = ChaCha8Rng::seed_from_u64(0x1993);
    let at = time::macros::datetime!(2026-12-07 10:00 UTC);
    let (mut mapped, mut syntax, mut mapping) = (0, 0, 0);
    // `TAMGA_FUZZ_EDIFACT=100000` for a longer run.
    let n: usize = std::env::var("TAMGA_FUZZ_EDIFACT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    for _ in 0..n {
        let base = &samples[rng.gen_range(0..samples.len())];
        let bytes = common::mutate_edi::mutate(base, &mut rng);
        let env = edifact::envelope(&bytes);
        let answering = Answering {
            subject: &env,
            tamga: "TAMGA",
            prepared: at,
            reference: "R1",
        };
        match read_cusdec(&bytes) {
            Ok(m) => {
                mapped += 1;
                let refusals: Vec<Refusal> = match cusdec_declaration(&m) {
                    Ok(_) => Vec::new(),
                    Err(v) => v
                        .into_iter()
                        .map(|v| Refusal {
                            at: v.segment.as_deref().and_then(edifact::SegmentRef::parse),
                            code: v.code,
                            message: v.message,
                            pointer: v.pointer,
                        })
                        .collect(),
                };
                let answer = if refusals.is_empty() {
                    cusres::accepted(
                        &answering,
                        &Acceptance {
                            mrn: "M".into(),
                            lrn: "L".into(),
                            registered_at: at,
                            state: "released".into(),
                            channel: "green".into(),
                            not_used: m.not_used.clone(),
                        },
                    )
                } else {
                    cusres::rejected(&answering, "L", &refusals)
                };
                edifact::parse(answer.as_bytes(), 1 << 24)
                    .unwrap_or_else(|e| panic!("CUSRES not readable: {e:?}\n{answer}"));
                let _ = serde_json::to_string(&m).unwrap();
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for e in &errors {
                    assert!(
                        CODES.iter().any(|(c, _)| *c == e.code),
                        "undocumented code {}",
                        e.code
                    );
                    assert!(
                        e.segment.is_some() || matches!(e.code, "EDI-EMPTY" | "EDI-TOO-LARGE"),
                        "no position: {e:?}"
                    );
                }
                if errors.iter().any(is_syntax_error) {
                    syntax += 1;
                    let c = contrl::write(&env, &errors, "TAMGA", at, "C1");
                    edifact::parse(c.as_bytes(), 1 << 24)
                        .unwrap_or_else(|e| panic!("CONTRL not readable: {e:?}\n{c}"));
                } else {
                    mapping += 1;
                    let refusals: Vec<Refusal> = errors
                        .into_iter()
                        .map(|e| Refusal {
                            code: e.code.to_owned(),
                            message: e.message,
                            pointer: String::new(),
                            at: e.segment.map(|b| *b),
                        })
                        .collect();
                    let r = cusres::rejected(&answering, "L", &refusals);
                    edifact::parse(r.as_bytes(), 1 << 24).unwrap();
                }
            }
        }
    }
    eprintln!("EDIFACT: mapped {mapped}, syntax errors {syntax}, mapping errors {mapping}");
    assert!(
        mapped > 500 && syntax > 2000 && mapping > 50,
        "mapped {mapped}, syntax errors {syntax}, mapping errors {mapping}"
    );
}

/// The lodging's quick reading (`read_wco_quick`: no pointers or sources
/// built unless something is wrong) reads every message as the full one
/// does, the samples and 3,000 mutations of them: the same refusals with
/// the same pointers, the same declaration and elements not used; only a
/// lodgement's sources are left out (read again when needed).
#[test]
fn the_quick_reading_agrees_with_the_full_one() {
    use tamga_messages::{read_wco_quick, read_wco_tree, MessageKind};
    let samples = samples();
    let mut rng = ChaCha8Rng::seed_from_u64(0x1901);
    let limits = Limits::default();
    let (mut quick, mut full) = (0, 0);
    let mutated = (0..3_000).map(|_| {
        let base = &samples[rng.gen_range(0..samples.len())];
        common::mutate::mutate(base, &mut rng)
    });
    for bytes in samples.iter().cloned().chain(mutated.collect::<Vec<_>>()) {
        match (
            read_wco_quick(&bytes, &limits),
            read_wco_tree(&bytes, &limits),
        ) {
            (Ok((_, mut q)), Ok((_, t))) => {
                if q.kind == MessageKind::Lodgement && q.sources.is_empty() {
                    quick += 1;
                    q.sources = t.sources.clone();
                } else {
                    full += 1;
                }
                assert_eq!(
                    serde_json::to_value(&q).unwrap(),
                    serde_json::to_value(&t).unwrap()
                );
            }
            (Err(q), Err(t)) => {
                let key = |e: &tamga_messages::MessageError| {
                    (
                        e.code,
                        e.pointer.clone(),
                        e.message.clone(),
                        e.line,
                        e.column,
                    )
                };
                assert_eq!(
                    q.iter().map(key).collect::<Vec<_>>(),
                    t.iter().map(key).collect::<Vec<_>>()
                );
            }
            (q, t) => panic!("quick {:?} / full {:?}", q.is_ok(), t.is_ok()),
        }
    }
    assert!(quick > 0 && full > 0, "quick {quick}, full {full}");
}
