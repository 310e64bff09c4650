//! Seeded mutations of UN/EDIFACT interchanges for the no-panic property:
//! the byte-level mutations of [`super::mutate`] and EDIFACT's own (service
//! characters, release characters, counts, a different UNA, segments
//! duplicated or dropped, huge values).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

const TOKENS: &[&[u8]] = &[
    b"?",
    b"??",
    b"?'",
    b"'",
    b"+",
    b":",
    b"'UNH+2+CUSDEC:D:96B:UN'",
    b"'UNT+1+1'",
    b"'UNZ+9+X'",
    b"'UNS+D'",
    b"'UNS+S'",
    b"'CST+1+84713000'",
    b"'BGM+929+X+9'",
    b"'DOC+N705+R'DTM+182:2026:102'",
    b"'NAD+DT+X'",
    b"'MOA+38:1:EUR'",
    b"'MEA+WT+G+LBR:1'",
    b"UNA",
    b"UNA;*,#^~",
    b"\r\n",
    b"\n",
    b"\xFF\xFE",
    b"\xC3",
    b"\0",
    b"99999999999999999999999999999999",
    b"-1",
    b"1,5",
];

/// One mutation of `input`.
pub fn mutate(input: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    if rng.gen_bool(0.3) {
        return super::mutate::mutate(input, rng);
    }
    let mut out = input.to_vec();
    for _ in 0..rng.gen_range(1..=3) {
        let len = out.len().max(1);
        let at = rng.gen_range(0..len).min(out.len());
        match rng.gen_range(0..6) {
            0 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            1 => {
                // Drop or duplicate a whole segment.
                let segs: Vec<usize> = (0..out.len()).filter(|&i| out[i] == b'\'').collect();
                if segs.len() > 2 {
                    let k = rng.gen_range(1..segs.len());
                    let (a, b) = (segs[k - 1] + 1, segs[k] + 1);
                    if rng.gen_bool(0.5) {
                        out.drain(a..b);
                    } else {
                        let piece = out[a..b].to_vec();
                        out.splice(b..b, piece);
                    }
                }
            }
            2 => {
                // A digit changed: counts, references, positions.
                let digits: Vec<usize> = (0..out.len())
                    .filter(|&i| out[i].is_ascii_digit())
                    .collect();
                if !digits.is_empty() {
                    let i = digits[rng.gen_range(0..digits.len())];
                    out[i] = b'0' + rng.gen_range(0..10);
                }
            }
            3 => out.truncate(at),
            4 => {
                // A long value.
                let n = rng.gen_range(1..20_000);
                out.splice(at..at, std::iter::repeat_n(b'9', n));
            }
            _ => {
                // A service character replaced by another.
                let service = [b'?', b'\'', b'+', b':'];
                let here: Vec<usize> = (0..out.len())
                    .filter(|&i| service.contains(&out[i]))
                    .collect();
                if !here.is_empty() {
                    let i = here[rng.gen_range(0..here.len())];
                    out[i] = service[rng.gen_range(0..service.len())];
                }
            }
        }
    }
    out
}
