//! The no-panic property at scale: N (default 100,000) seeded mutations of
//! the messages in a folder (default: this crate's `tests/data`).
//!
//! `cargo run --release -p tamga-messages --example fuzz -- [N] [DIR]`

#[path = "../tests/common/mutate.rs"]
mod mutate;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tamga_messages::{read_wco, to_declaration, Limits};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(100_000, |a| a.parse().expect("a count"));
    let dir = args
        .next()
        .unwrap_or_else(|| format!("{}/tests/data", env!("CARGO_MANIFEST_DIR")));
    let mut samples = Vec::new();
    for e in std::fs::read_dir(&dir).expect("a folder").flatten() {
        if e.path()
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("xml"))
        {
            samples.push(std::fs::read(e.path()).expect("read"));
        }
    }
    samples.sort();
    let mut rng = ChaCha8Rng::seed_from_u64(0x19);
    let (mut mapped, mut refused) = (0u64, 0u64);
    let started = std::time::Instant::now();
    for _ in 0..n {
        let base = &samples[rng.gen_range(0..samples.len())];
        let bytes = mutate::mutate(base, &mut rng);
        match read_wco(&bytes, &Limits::default()) {
            Ok(m) => {
                mapped += 1;
                let _ = to_declaration(&m);
            }
            Err(_) => refused += 1,
        }
    }
    println!(
        "{n} mutations of {} messages: {mapped} mapped, {refused} refused, no panic ({:.1} s)",
        samples.len(),
        started.elapsed().as_secs_f64()
    );
}
