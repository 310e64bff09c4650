//! The HS classification assistant's model as a resource of this process:
//! built on a thread of its own, never on a runtime worker, and never
//! waited for; rebuilt when officers have confirmed new classifications
//! ([`super::learning`]), the new model replacing the old one only once
//! it is built.
//!
//! The model is a function of data compiled into the binary (the
//! nomenclature and labelled descriptions: [`Recipe::shipped`]) and of
//! the classifications officers confirmed, which live in the database: so
//! every instance builds the same model from the same labels, and nothing
//! here is shared between instances. Who starts the first build: the
//! service at start ([`crate::Settings::hs_build_at_start`], with the
//! confirmed labels), or the first request to the assistant's page or API
//! (shipped data only, until the next relearning). Lodging never starts
//! it and never waits for it: until it is built, the goods check records
//! its absence (`not_ready`).

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use tamga_hs::{Classifier, Example, HsError, Params};

/// Why the model cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelState {
    /// Being built (or not started).
    NotReady,
    /// Could not be built (the shipped data is broken: a defect, logged).
    Failed,
}

/// The built model, cheap to clone and to hold across a ranking: a model
/// being replaced stays alive for whoever still holds it.
#[derive(Debug, Clone)]
pub struct ModelRef(Arc<Classifier>);

impl Deref for ModelRef {
    type Target = Classifier;
    fn deref(&self) -> &Classifier {
        &self.0
    }
}

/// What a model is built from besides the confirmed classifications.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// The nomenclature CSV (`section,hscode,description,parent,level`).
    pub nomenclature: &'static str,
    /// The labelled descriptions shipped with tamga.
    pub examples: fn() -> Result<Vec<Example>, HsError>,
    pub params: Params,
}

impl Recipe {
    /// The HS 2022 nomenclature and the labelled descriptions shipped.
    pub fn shipped() -> Self {
        Recipe {
            nomenclature: tamga_hs::nomenclature::SHIPPED_HS2022,
            examples: tamga_hs::corpus::shipped_examples,
            params: Params::default(),
        }
    }

    /// Builds with `confirmed` added to the shipped examples.
    fn build(&self, confirmed: Vec<Example>) -> Result<Classifier, HsError> {
        let mut examples = (self.examples)()?;
        examples.extend(confirmed);
        Classifier::build(self.nomenclature, examples, self.params)
    }
}

#[derive(Debug)]
enum Slot {
    NotReady,
    Failed,
    Ready(ModelRef),
}

/// The model of this process (see the module doc).
#[derive(Debug)]
pub struct HsModel {
    recipe: Recipe,
    started: AtomicBool,
    slot: Arc<RwLock<Slot>>,
    /// Bumped each time a model is installed (the goods check's kept
    /// assessments belong to one generation).
    generation: Arc<AtomicU64>,
    /// Confirmed classifications the installed model learned from.
    confirmed: Arc<AtomicU64>,
}

impl Default for HsModel {
    fn default() -> Self {
        HsModel::new(Recipe::shipped())
    }
}

impl HsModel {
    /// A model to build from `recipe` (not started).
    pub fn new(recipe: Recipe) -> Self {
        HsModel {
            recipe,
            started: AtomicBool::new(false),
            slot: Arc::new(RwLock::new(Slot::NotReady)),
            generation: Arc::new(AtomicU64::new(0)),
            confirmed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Starts building the model from the recipe alone on its own thread
    /// (once, and only if no build was started; later calls do nothing).
    pub fn start(&self) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        drop(self.spawn_build(Vec::new()));
    }

    /// Marks the build as started by whoever will call [`Self::rebuild`]
    /// (so that [`Self::classifier`] does not start another meanwhile).
    pub fn claim_build(&self) {
        self.started.store(true, Ordering::Release);
    }

    /// Builds a model from the recipe and `confirmed` on its own thread
    /// and installs it once built, replacing the current one; resolves
    /// when it is installed (`true`) or could not be built (`false`: the
    /// current model stays, the failure is logged).
    pub async fn rebuild(&self, confirmed: Vec<Example>) -> bool {
        self.claim_build();
        match self.spawn_build(confirmed) {
            Some(done) => done.await.unwrap_or(false),
            None => false,
        }
    }

    fn spawn_build(&self, confirmed: Vec<Example>) -> Option<tokio::sync::oneshot::Receiver<bool>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (recipe, slot) = (self.recipe.clone(), self.slot.clone());
        let (generation, learned) = (self.generation.clone(), self.confirmed.clone());
        let spawned = std::thread::Builder::new()
            .name("tamga-hs-build".into())
            .spawn(move || {
                let at = Instant::now();
                let n = confirmed.len() as u64;
                let built = std::panic::catch_unwind(|| recipe.build(confirmed));
                let mut slot = slot.write().unwrap_or_else(|p| p.into_inner());
                let ok = match built {
                    Ok(Ok(c)) => {
                        // The goods check's lists, compiled here rather
                        // than in the first lodging that needs them.
                        let _ = tamga_hs::VagueList::shipped();
                        let _ = tamga_hs::ControlledList::shipped();
                        *slot = Slot::Ready(ModelRef(Arc::new(c)));
                        learned.store(n, Ordering::Release);
                        generation.fetch_add(1, Ordering::AcqRel);
                        tracing::info!(
                            seconds = at.elapsed().as_secs_f64(),
                            confirmed = n,
                            "the HS classification assistant is ready"
                        );
                        true
                    }
                    Ok(Err(e)) => {
                        tracing::error!(code = e.code(), error = %e, "the HS classification assistant cannot be built");
                        if matches!(*slot, Slot::NotReady) {
                            *slot = Slot::Failed;
                        }
                        false
                    }
                    Err(_) => {
                        tracing::error!("building the HS classification assistant panicked");
                        if matches!(*slot, Slot::NotReady) {
                            *slot = Slot::Failed;
                        }
                        false
                    }
                };
                let _ = tx.send(ok);
            });
        match spawned {
            Ok(_) => Some(rx),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the HS classification assistant's build");
                let mut slot = self.slot.write().unwrap_or_else(|p| p.into_inner());
                if matches!(*slot, Slot::NotReady) {
                    *slot = Slot::Failed;
                }
                None
            }
        }
    }

    /// A model already built (tests, tools that build their own).
    pub fn with(classifier: Classifier) -> Self {
        let m = HsModel::default();
        m.started.store(true, Ordering::Release);
        *m.slot.write().unwrap_or_else(|p| p.into_inner()) =
            Slot::Ready(ModelRef(Arc::new(classifier)));
        m.generation.store(1, Ordering::Release);
        m
    }

    /// The model if it is built, without starting its build.
    pub fn built(&self) -> Result<ModelRef, ModelState> {
        match &*self.slot.read().unwrap_or_else(|p| p.into_inner()) {
            Slot::Ready(c) => Ok(c.clone()),
            Slot::Failed => Err(ModelState::Failed),
            Slot::NotReady => Err(ModelState::NotReady),
        }
    }

    /// The model if it is built, starting its build if nobody has.
    pub fn classifier(&self) -> Result<ModelRef, ModelState> {
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

    /// How many models were installed (0 before the first).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Confirmed classifications the installed model learned from.
    pub fn confirmed(&self) -> u64 {
        self.confirmed.load(Ordering::Acquire)
    }
}
