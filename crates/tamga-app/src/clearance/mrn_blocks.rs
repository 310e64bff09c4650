//! MRN numbers: sequence numbers reserved from the store in blocks and
//! handed out from memory.
//!
//! Invariants: an MRN is never given twice, across blocks, restarts and
//! instances (each block is reserved in the store before use); the next
//! block is reserved in the background half-way through the current one,
//! so lodgings do not wait for the writer connection.

use time::OffsetDateTime;

use tamga_core::codes::{Mrn, MrnCategory};
use tamga_core::declaration::DeclarationType;

use super::Clearance;
use crate::error::AppError;

/// How many sequence numbers one reservation takes.
pub(super) const MRN_BLOCK: u64 = 1000;

/// MRN sequence numbers held in memory: the current block and, reserved in
/// the background before it runs out, the next one.
#[derive(Debug, Default)]
pub(super) struct MrnBlocks {
    pub(super) next: u64,
    pub(super) end: u64,
    pub(super) spare: Option<u64>,
    refilling: bool,
}

impl Clearance {
    /// The next MRN for a declaration of type `t` lodged at `now`.
    pub(super) async fn next_mrn(
        &self,
        t: DeclarationType,
        now: OffsetDateTime,
    ) -> Result<Mrn, AppError> {
        let seq = {
            let mut g = self.mrns.lock().await;
            if g.next >= g.end {
                match g.spare.take() {
                    Some(start) => (g.next, g.end) = (start, start + MRN_BLOCK),
                    None => {
                        let start = self.store.reserve_sequence("mrn", MRN_BLOCK).await?;
                        (g.next, g.end) = (start, start + MRN_BLOCK);
                    }
                }
            }
            let seq = g.next;
            g.next += 1;
            // Half-way through a block, reserve the next one in the
            // background: reserving waits for the writer connection, and
            // every lodging would wait with it.
            if g.end - g.next == MRN_BLOCK / 2 && g.spare.is_none() && !g.refilling {
                g.refilling = true;
                let (store, blocks) = (self.store.clone(), self.mrns.clone());
                tokio::spawn(async move {
                    let reserved = store.reserve_sequence("mrn", MRN_BLOCK).await;
                    let mut g = blocks.lock().await;
                    g.refilling = false;
                    match reserved {
                        Ok(start) => g.spare = Some(start),
                        // The block's end reserves synchronously instead.
                        Err(e) => tracing::warn!(error = %e, "cannot reserve the next MRN block"),
                    }
                });
            }
            seq
        };
        let category = match t {
            DeclarationType::IM => MrnCategory::Import,
            DeclarationType::EX => MrnCategory::Export,
            DeclarationType::CO => MrnCategory::Status,
        };
        Mrn::generate(now.year(), &self.settings.country, seq, category)
            .map_err(|e| AppError::Unavailable(e.to_string()))
    }
}
