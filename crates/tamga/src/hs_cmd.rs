//! `tamga hs suggest|predict|evaluate`: the HS classification assistant
//! (`tamga_hs`) from the command line. Reading files and printing live
//! here; the model is built once per run from the data compiled into the
//! binary (nothing is read from disk or the network for it).

use std::io::Write;
use std::path::{Path, PathBuf};

use tamga_hs::{Classifier, HsError, Tally, MAX_TOP};

#[derive(clap::Subcommand, Debug)]
pub enum HsCommand {
    /// The most likely HS subheadings for a goods description, with reasons.
    Suggest {
        /// The goods description (English).
        text: String,
        /// How many candidates (1 to 50).
        #[arg(long, default_value_t = 5)]
        top: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Rank candidates for every row of a CSV file with a `description`
    /// column: writes `row,rank,code,score` (row 1 = the first data row).
    Predict {
        #[arg(long)]
        csv: PathBuf,
        /// Candidates per row (1 to 50).
        #[arg(long, default_value_t = 5)]
        top: usize,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Heading and subheading top-1/top-5 accuracy on a CSV file with
    /// columns `description,hs_code` (codes of 6 or more digits).
    Evaluate {
        #[arg(long)]
        csv: PathBuf,
        /// Print exactly the JSON document (no text).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: HsCommand) -> Result<(), String> {
    match cmd {
        HsCommand::Suggest { text, top, json } => suggest(&text, top, json),
        HsCommand::Predict { csv, top, out } => predict(&csv, top, out.as_deref()),
        HsCommand::Evaluate { csv, json } => evaluate(&csv, json),
    }
}

fn check_top(top: usize) -> Result<usize, String> {
    if (1..=MAX_TOP).contains(&top) {
        Ok(top)
    } else {
        Err(format!("--top must be 1 to {MAX_TOP}, not {top}"))
    }
}

fn classifier() -> Result<&'static Classifier, String> {
    Classifier::shipped().map_err(|e| format!("cannot build the HS model: {e} [{}]", e.code()))
}

fn hs_error(e: &HsError) -> String {
    format!("{e} [{}]", e.code())
}

fn suggest(text: &str, top: usize, json: bool) -> Result<(), String> {
    let top = check_top(top)?;
    let suggestions = classifier()?
        .suggest(text, top)
        .map_err(|e| format!("description: {}", hs_error(&e)))?;
    if json {
        let doc = serde_json::json!({ "suggestions": suggestions });
        return crate::out(doc);
    }
    for (i, s) in suggestions.iter().enumerate() {
        crate::out(format!(
            "{}. {} ({:.3}) {}\n   heading {} {}; chapter {} {}",
            i + 1,
            s.code,
            s.score,
            s.path.subheading.text,
            s.path.heading.code,
            s.path.heading.text,
            s.path.chapter.code,
            s.path.chapter.text
        ))?;
        if !s.matching_terms.is_empty() {
            crate::out(format!(
                "   matching terms: {}",
                s.matching_terms.join(", ")
            ))?;
        }
        for n in &s.nearest_examples {
            crate::out(format!("   like {:?} ({:.2})", n.description, n.similarity))?;
        }
    }
    Ok(())
}

/// A CSV file's rows with the named columns, each as (line, text…), read
/// one at a time; errors name the file, line and column.
struct Rows {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    columns: Vec<usize>,
    names: &'static [&'static str],
    record: csv::ByteRecord,
}

impl Rows {
    fn open(path: &Path, names: &'static [&'static str]) -> Result<Self, String> {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
        let headers = reader
            .byte_headers()
            .map_err(|e| format!("{}: {}", path.display(), csv_error(&e)))?
            .clone();
        let mut columns = Vec::new();
        for name in names {
            let found = headers.iter().position(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(name)
            });
            let Some(i) = found else {
                return Err(format!(
                    "{} line 1: no `{name}` column (the header must name the columns {})",
                    path.display(),
                    names.join(", ")
                ));
            };
            columns.push(i);
        }
        Ok(Rows {
            path: path.to_owned(),
            reader,
            columns,
            names,
            record: csv::ByteRecord::new(),
        })
    }

    fn at(&self, line: u64, column: usize, message: &str) -> String {
        format!(
            "{} line {line}, column {} ({}): {message}",
            self.path.display(),
            self.columns[column] + 1,
            self.names[column]
        )
    }

    /// The next row: its line and its fields (in the order of `names`).
    fn next(&mut self) -> Result<Option<(u64, Vec<String>)>, String> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(format!("{}: {}", self.path.display(), csv_error(&e))),
        }
        let line = self.record.position().map_or(0, |p| p.line());
        let mut fields = Vec::with_capacity(self.columns.len());
        for (k, &i) in self.columns.iter().enumerate() {
            let bytes = self.record.get(i).unwrap_or_default();
            let text = std::str::from_utf8(bytes).map_err(|e| {
                self.at(
                    line,
                    k,
                    &format!(
                        "not UTF-8 text (at byte {}) [hs.description_not_text]",
                        e.valid_up_to()
                    ),
                )
            })?;
            fields.push(text.to_owned());
        }
        Ok(Some((line, fields)))
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields where the header has {expected_len}",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        },
    }
}

fn predict(path: &Path, top: usize, out: Option<&Path>) -> Result<(), String> {
    let top = check_top(top)?;
    let mut rows = Rows::open(path, &["description"])?;
    let sink: Box<dyn Write> = match out {
        Some(p) => Box::new(
            std::fs::File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(sink));
    let io = |e: csv::Error| format!("cannot write: {e}");
    w.write_record(["row", "rank", "code", "score"])
        .map_err(io)?;
    let mut row = 0usize;
    while let Some((line, fields)) = rows.next()? {
        row += 1;
        tamga_hs::error::check_description(&fields[0])
            .map_err(|e| rows.at(line, 0, &hs_error(&e)))?;
        let ranking = classifier()?
            .rank(&fields[0])
            .map_err(|e| rows.at(line, 0, &hs_error(&e)))?;
        for (rank, (code, score)) in ranking.top_codes(top).into_iter().enumerate() {
            w.write_record([
                row.to_string(),
                (rank + 1).to_string(),
                code.to_owned(),
                score.to_string(),
            ])
            .map_err(io)?;
        }
    }
    match w.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write: {e}")),
        _ => Ok(()),
    }
}

fn evaluate(path: &Path, json: bool) -> Result<(), String> {
    let mut rows = Rows::open(path, &["description", "hs_code"])?;
    let mut tally = Tally::default();
    while let Some((line, fields)) = rows.next()? {
        let code = fields[1].trim();
        if code.len() < 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(rows.at(
                line,
                1,
                &format!("{code:?} is not an HS code of 6 or more digits [hs.code_invalid]"),
            ));
        }
        tamga_hs::error::check_description(&fields[0])
            .map_err(|e| rows.at(line, 0, &hs_error(&e)))?;
        tally.add(classifier()?, &fields[0], code).map_err(|e| {
            let column = usize::from(matches!(e, HsError::BadCode { .. }));
            rows.at(line, column, &hs_error(&e))
        })?;
    }
    if tally.unknown_codes > 0 {
        eprintln!(
            "note: {} row(s) have a subheading that is not in HS 2022 (counted as misses)",
            tally.unknown_codes
        );
    }
    let a = tally.accuracy();
    if json {
        // Exactly the documented document, keys in this order.
        let n = |x: f64| serde_json::Value::from(x).to_string();
        return crate::out(format!(
            "{{\"rows\": {}, \"heading\": {{\"top1\": {}, \"top5\": {}}}, \"subheading\": {{\"top1\": {}, \"top5\": {}}}}}",
            a.rows,
            n(a.heading.top1),
            n(a.heading.top5),
            n(a.subheading.top1),
            n(a.subheading.top5)
        ));
    }
    crate::out(format!(
        "{} rows: heading top-1 {:.3}, top-5 {:.3}; subheading top-1 {:.3}, top-5 {:.3}",
        a.rows, a.heading.top1, a.heading.top5, a.subheading.top1, a.subheading.top5
    ))
}
