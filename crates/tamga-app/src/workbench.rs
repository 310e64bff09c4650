//! The officer workbench and the subject-oriented side of risk (issue 4):
//! the trader digital twin and its category, inspectors and their
//! competences, automatic dispatching of controlled declarations, and
//! inspection tasks with their findings (labels for the learning model).

use std::sync::Arc;

use crate::error::AppError;
use crate::Clearance;

pub struct Workbench {
    #[allow(dead_code)]
    clearance: Arc<Clearance>,
}

impl Workbench {
    /// Starts the service and whatever runs in the background.
    pub async fn start(clearance: Arc<Clearance>) -> Result<Arc<Workbench>, AppError> {
        Ok(Arc::new(Workbench { clearance }))
    }
}
