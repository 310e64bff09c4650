//! Group commit: one task owns all declaration writes. Requests queue on a
//! channel; the task takes everything waiting (up to a batch limit), commits
//! it in one durable transaction and answers each request. Under load many
//! declarations share one fsync; alone, a request is committed at once.
//!
//! Invariant: a caller is answered only after its write is durable (or has
//! definitely failed), so an acknowledged declaration survives `kill -9`.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use tamga_store::{Store, Write, WriteOutcome};

use crate::error::AppError;

type Reply = oneshot::Sender<Result<WriteOutcome, AppError>>;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<(Write, Reply)>,
}

impl Writer {
    /// Starts the writer task. `committed` is bumped after every successful
    /// commit, so push delivery can wake up.
    pub fn spawn(store: Arc<dyn Store>, max_batch: usize, committed: watch::Sender<u64>) -> Writer {
        let (tx, mut rx) = mpsc::channel::<(Write, Reply)>(max_batch * 4);
        tokio::spawn(async move {
            let mut writes = Vec::with_capacity(max_batch);
            let mut replies = Vec::with_capacity(max_batch);
            while let Some((w, r)) = rx.recv().await {
                writes.push(w);
                replies.push(r);
                while writes.len() < max_batch {
                    match rx.try_recv() {
                        Ok((w, r)) => {
                            writes.push(w);
                            replies.push(r);
                        }
                        Err(_) => break,
                    }
                }
                match store.commit(&writes).await {
                    Ok(outcomes) => {
                        committed.send_modify(|n| *n += 1);
                        for (reply, outcome) in replies.drain(..).zip(outcomes) {
                            let _ = reply.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, batch = writes.len(), "group commit failed");
                        let msg = e.to_string();
                        for reply in replies.drain(..) {
                            let _ = reply
                                .send(Err(AppError::Unavailable(format!("commit failed: {msg}"))));
                        }
                    }
                }
                writes.clear();
            }
        });
        Writer { tx }
    }

    /// Queues a write and waits until it is durable.
    pub async fn write(&self, w: Write) -> Result<WriteOutcome, AppError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((w, tx))
            .await
            .map_err(|_| AppError::Unavailable("writer stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Unavailable("writer stopped".into()))?
    }
}
