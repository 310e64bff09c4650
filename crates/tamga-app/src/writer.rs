//! Group commit: one task owns all declaration writes. Requests queue on a
//! channel; the task takes everything waiting (up to a batch limit), commits
//! it in one durable transaction and answers each request. Under load many
//! declarations share one fsync; alone, a request is committed at once.
//!
//! Invariant: a caller is answered only after its write is durable (or has
//! definitely failed), so an acknowledged declaration survives `kill -9`.
//!
//! On SQLite the commit loop runs on a thread of its own (`tamga-writer`,
//! with a single-threaded runtime), not among the runtime's workers: the loop is
//! the serial part of lodging, and on a worker it would wait behind the
//! lodgings' CPU-heavy control, signature and duty work every time a
//! statement's answer woke it. Its own thread is scheduled by the OS as
//! soon as it is woken. (On PostgreSQL it stays a task: a connection's
//! socket belongs to the runtime that opened it.) Committed writes are
//! dropped on the runtime's blocking pool, off that serial path.

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
        let runtime = tokio::runtime::Handle::current();
        let own_thread = store.connections_on_own_threads();
        let commit_loop = async move {
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
                // Freeing a batch (declarations, duty explanations) is
                // not the serial path's work.
                let done = std::mem::replace(&mut writes, Vec::with_capacity(max_batch));
                runtime.spawn_blocking(move || drop(done));
            }
        };
        // Only a store whose connections run on threads of their own can be
        // driven from a runtime of its own. A PostgreSQL connection's socket
        // belongs to the runtime that opened it: there the loop stays on the
        // main runtime, or connections it opened would be served only when
        // the writer is idle, and break if it stops.
        if !own_thread {
            tokio::spawn(commit_loop);
            return Writer { tx };
        }
        let started = std::thread::Builder::new()
            .name("tamga-writer".into())
            .spawn(|| {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(commit_loop),
                    // Dropping the loop drops the receiver: every write
                    // is answered "writer stopped".
                    Err(e) => tracing::error!(error = %e, "cannot start the writer runtime"),
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the writer thread");
        }
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
