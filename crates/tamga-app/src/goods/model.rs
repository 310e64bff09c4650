//! The HS classification assistant's model as a resource of this process:
//! built once, on a thread of its own, never on a runtime worker, and
//! never waited for.
//!
//! The model is built from data compiled into the binary
//! ([`Classifier::shipped`]: seconds of one core), the same on every
//! instance, so nothing here is shared between instances. Who starts the
//! build: the service at start ([`crate::Settings::hs_build_at_start`]), or
//! the first request to the assistant's page or API. Lodging never starts
//! it and never waits for it: until it is built, the goods check records
//! its absence (`not_ready`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tamga_hs::Classifier;

/// Why the model cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelState {
    /// Being built (or not started).
    NotReady,
    /// Could not be built (the shipped data is broken: a defect, logged).
    Failed,
}

/// The model of this process (see the module doc).
#[derive(Debug, Default)]
pub struct HsModel {
    started: AtomicBool,
    /// Set once by the build thread: the model, or `None` if it could not
    /// be built.
    built: Arc<OnceLock<Option<&'static Classifier>>>,
}

impl HsModel {
    /// Starts building the model on its own thread (once; later calls do
    /// nothing).
    pub fn start(&self) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let built = self.built.clone();
        let spawned = std::thread::Builder::new()
            .name("tamga-hs-build".into())
            .spawn(move || {
                let at = Instant::now();
                let classifier = match std::panic::catch_unwind(Classifier::shipped) {
                    Ok(Ok(c)) => {
                        // The goods check's lists, compiled here rather
                        // than in the first lodging that needs them.
                        let _ = tamga_hs::VagueList::shipped();
                        let _ = tamga_hs::ControlledList::shipped();
                        tracing::info!(
                            seconds = at.elapsed().as_secs_f64(),
                            "the HS classification assistant is ready"
                        );
                        Some(c)
                    }
                    Ok(Err(e)) => {
                        tracing::error!(code = e.code(), error = %e, "the HS classification assistant cannot be built");
                        None
                    }
                    Err(_) => {
                        tracing::error!("building the HS classification assistant panicked");
                        None
                    }
                };
                let _ = built.set(classifier);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the HS classification assistant's build");
            let _ = self.built.set(None);
        }
    }

    /// A model already built (tests, tools that build their own).
    pub fn with(classifier: &'static Classifier) -> Self {
        let built = OnceLock::new();
        let _ = built.set(Some(classifier));
        HsModel {
            started: AtomicBool::new(true),
            built: Arc::new(built),
        }
    }

    /// The model if it is built, without starting its build.
    pub fn built(&self) -> Result<&'static Classifier, ModelState> {
        match self.built.get() {
            Some(Some(c)) => Ok(c),
            Some(None) => Err(ModelState::Failed),
            None => Err(ModelState::NotReady),
        }
    }

    /// The model if it is built, starting its build if nobody has.
    pub fn classifier(&self) -> Result<&'static Classifier, ModelState> {
        let r = self.built();
        if matches!(r, Err(ModelState::NotReady)) {
            self.start();
        }
        r
    }

    /// Whether the model is built.
    pub fn is_ready(&self) -> bool {
        self.built().is_ok()
    }
}
