//! 10,000 seeded mutations of the sample messages: the reader, the schema
//! layer and the mapping never panic (a panic fails this test), and every
//! refusal has a stable code. `examples/fuzz.rs` runs 100,000.

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tamga_messages::error::CODES;
use tamga_messages::{read_wco, to_declaration, Limits};

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
