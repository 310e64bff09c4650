//! Seeded mutations of XML messages for the no-panic property (shared by
//! `tests/fuzz.rs` and `examples/fuzz.rs`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Fragments that tend to reach the reader's and schema's corner cases.
const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&amp;",
    b"&#x0;",
    b"&#1114112;",
    b"&lol;",
    b"<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?pi x?>",
    b"\"",
    b"'",
    b"=",
    b"xmlns:p=\"\"",
    b"p:",
    b"\xFF",
    b"\xC3",
    b"\xEF\xBB\xBF",
    b"\0",
    b"\n",
    b"<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\">",
    b"<GovernmentAgencyGoodsItem>",
    b"<DateTimeString formatCode=\"304\">",
    b"99999999999999999999999999",
    b"-1",
    b"1e9",
    b".",
];

/// One mutation of `input`.
pub fn mutate(input: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = rng.gen_range(1..=4);
    for _ in 0..rounds {
        let len = out.len().max(1);
        let at = rng.gen_range(0..len).min(out.len());
        match rng.gen_range(0..7) {
            0 => {
                if at < out.len() {
                    out[at] = rng.gen();
                }
            }
            1 => {
                let end = (at + rng.gen_range(1..64)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.gen_range(1..256)).min(out.len());
                let piece = out[at..end].to_vec();
                let to = rng.gen_range(0..=out.len());
                out.splice(to..to, piece);
            }
            3 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            4 => out.truncate(at),
            5 => {
                // Swap two slices: elements out of order.
                let a = rng.gen_range(0..len).min(out.len());
                let b = rng.gen_range(0..len).min(out.len());
                let (a, b) = (a.min(b), a.max(b));
                let n = rng.gen_range(1..40).min(b - a);
                if n > 0 && b + n <= out.len() {
                    let first = out[a..a + n].to_vec();
                    let second = out[b..b + n].to_vec();
                    out.splice(b..b + n, first);
                    out.splice(a..a + n, second);
                }
            }
            _ => {
                // Replace a text value between > and < with a token.
                if let Some(gt) = out[at..].iter().position(|&c| c == b'>') {
                    let start = at + gt + 1;
                    if let Some(lt) = out[start..].iter().position(|&c| c == b'<') {
                        let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                        out.splice(start..start + lt, t.iter().copied());
                    }
                }
            }
        }
    }
    out
}
