//! The HS assistant learns from tamga's own declarations: every released
//! declaration an officer controlled and recorded a result for is a set of
//! confirmed classifications, one per goods item (its description, and its
//! subheading as declared, or as the officer corrected it in a
//! `misclassification` finding). They are added to the shipped labelled
//! descriptions ([`tamga_hs::Source::Confirmed`]) and the model is rebuilt
//! when new ones arrive.
//!
//! - **What counts.** Released, controlled (yellow or red) and with a
//!   recorded result: the officer looked at the goods or their documents
//!   and let them go, so each item's classification was accepted, or
//!   corrected. A refused declaration teaches nothing, nor does a green
//!   one (nobody looked), nor an item whose correction is not a valid code.
//! - **Several instances.** The labels are rows of the database
//!   (`ops_labels`, the findings), read in their order from a cursor, so
//!   every instance learns the same classifications and builds the same
//!   model; nothing here is shared between instances.
//! - **Cost.** Reading is incremental (only labels after the cursor); a
//!   rebuild costs what the first build does (one core for seconds, on the
//!   build thread, [`super::model`]) and happens at most once per
//!   [`crate::Settings::hs_relearn_every`], only when something new was
//!   confirmed. The newest [`MAX_CONFIRMED`] are kept.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tamga_core::declaration::Declaration;
use tamga_hs::{Example, Source};
use tamga_store::{Store, StoreError};

use super::model::HsModel;

/// Labels read per query.
const PAGE: i64 = 2_000;
/// Most confirmed classifications a model learns from (the newest).
pub const MAX_CONFIRMED: usize = 200_000;

/// The confirmed classifications of one released, controlled declaration:
/// per goods item with a description, its subheading as declared or, for
/// an item the officer corrected (`corrections`: item number → corrected
/// code), as corrected; an item whose correction is not a code of 6 or
/// more digits is left out.
pub fn examples_of(d: &Declaration, corrections: &HashMap<u32, String>) -> Vec<Example> {
    d.items
        .iter()
        .filter_map(|item| {
            let description = item.description.trim();
            if description.is_empty() {
                return None;
            }
            let code = match corrections.get(&item.sequence) {
                Some(c) => six_digits(c)?,
                None => six_digits(item.hs_code.as_str())?,
            };
            Some(Example {
                description: description.to_owned(),
                code,
                source: Source::Confirmed,
            })
        })
        .collect()
}

fn six_digits(code: &str) -> Option<String> {
    let code = code.trim();
    (code.len() >= 6 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code[..6].to_owned())
}

/// The confirmed classifications read so far and the cursor after them.
#[derive(Debug, Default)]
pub struct Confirmed {
    examples: Vec<Example>,
    after: i64,
    /// Every classification read so far, kept or not.
    read: u64,
}

impl Confirmed {
    /// Reads the labels after the cursor; how many classifications were
    /// new. The cursor moves past a label only once it is read, so a
    /// failed read resumes where it stopped, losing nothing.
    pub async fn refresh(&mut self, store: &dyn Store) -> Result<usize, StoreError> {
        let before = self.read;
        let result = self.read_pages(store).await;
        if self.examples.len() > MAX_CONFIRMED {
            let extra = self.examples.len() - MAX_CONFIRMED;
            self.examples.drain(..extra);
        }
        result.map(|()| (self.read - before) as usize)
    }

    async fn read_pages(&mut self, store: &dyn Store) -> Result<(), StoreError> {
        loop {
            let page = store.labelled_declarations(self.after, PAGE).await?;
            if page.is_empty() {
                return Ok(());
            }
            for l in &page {
                if l.released && l.result_recorded {
                    let mut corrections = HashMap::new();
                    if l.findings {
                        for f in store.findings(&l.mrn).await? {
                            let f = f.finding;
                            if let (true, Some(item), Some(code)) =
                                (f.kind == "misclassification", f.item, f.corrected_value)
                            {
                                corrections.insert(item, code);
                            }
                        }
                    }
                    let examples = examples_of(&l.declaration, &corrections);
                    self.read += examples.len() as u64;
                    self.examples.extend(examples);
                }
                self.after = l.id;
            }
        }
    }

    /// Every classification read so far (including any no longer kept).
    pub fn read(&self) -> u64 {
        self.read
    }

    /// The classifications, oldest first.
    pub fn examples(&self) -> &[Example] {
        &self.examples
    }
}

/// Builds the model with the confirmed classifications now, then every
/// `every` rebuilds it if new ones were confirmed (a failed read is
/// logged and tried again at the next turn). Runs until the process ends.
pub fn spawn(
    store: Arc<dyn Store>,
    model: Arc<HsModel>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    // This loop builds the model: a request meanwhile does not start
    // another build.
    model.claim_build();
    tokio::spawn(async move {
        let mut confirmed = Confirmed::default();
        // What the installed model learned from (`read()` when it was
        // built): a build that failed, or a read that failed half way, is
        // made up for at the next turn.
        let mut learned: Option<u64> = None;
        loop {
            if let Err(e) = confirmed.refresh(store.as_ref()).await {
                tracing::warn!(error = %e, "cannot read all confirmed classifications; the HS assistant learns from what was read");
            }
            let read = confirmed.read();
            if learned != Some(read) && model.rebuild(confirmed.examples().to_vec()).await {
                learned = Some(read);
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration() -> Declaration {
        serde_json::from_str(include_str!(
            "../../../tamga-core/src/testdata/declaration.json"
        ))
        .unwrap()
    }

    #[test]
    fn items_are_confirmed_as_declared() {
        let d = declaration();
        let ex = examples_of(&d, &HashMap::new());
        assert_eq!(ex.len(), d.items.len());
        for (e, item) in ex.iter().zip(&d.items) {
            assert_eq!(e.description, item.description.trim());
            assert_eq!(e.code, &item.hs_code.as_str()[..6]);
            assert_eq!(e.source, Source::Confirmed);
        }
    }

    #[test]
    fn a_correction_replaces_the_declared_code_and_a_bad_one_drops_the_item() {
        let d = declaration();
        let first = d.items[0].sequence;
        let ex = examples_of(&d, &HashMap::from([(first, "9503009000".to_owned())]));
        assert_eq!(ex[0].code, "950300");
        assert_eq!(ex.len(), d.items.len());
        let ex = examples_of(&d, &HashMap::from([(first, "toys".to_owned())]));
        assert_eq!(ex.len(), d.items.len() - 1);
        assert!(ex
            .iter()
            .all(|e| e.description != d.items[0].description.trim()
                || d.items
                    .iter()
                    .filter(|i| i.description == d.items[0].description)
                    .count()
                    > 1));
    }

    #[test]
    fn items_without_a_description_teach_nothing() {
        let mut d = declaration();
        d.items[0].description = "   ".into();
        assert_eq!(examples_of(&d, &HashMap::new()).len(), d.items.len() - 1);
    }
}
