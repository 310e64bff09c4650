//! Parses EDIFACT interchanges with the syntax layer and prints, per file,
//! its messages and segments or every error.
//!
//! `cargo run -p tamga-messages --example edifact -- FILE...`

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read");
        match tamga_messages::edifact::parse(&bytes, 8 << 20) {
            Ok(i) => println!(
                "{path}: {} message(s), {} segment(s)",
                i.messages,
                i.segments.len()
            ),
            Err(errors) => {
                for e in errors {
                    println!("{path}: {e}");
                }
            }
        }
    }
}
