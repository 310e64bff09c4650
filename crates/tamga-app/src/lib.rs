//! tamga's application services: the clearance pipeline over the domain
//! core and a [`tamga_store::Store`]. No HTTP here: the HTTP crate and the
//! in-process benchmark both drive [`Clearance`].

pub mod account;
pub mod acts;
pub mod appeals;
pub mod calculator;
pub mod clearance;
pub mod dashboard;
pub mod demo;
pub mod disclosure;
pub mod drafts;
pub mod draw_secrets;
pub mod epochs;
pub mod error;
pub mod goods;
pub mod identity;
pub mod keys;
pub mod mandates;
pub mod reference;
pub mod risk_admin;
pub mod tariff_browser;
pub mod values;
pub mod webhooks;
pub mod workbench;
pub mod writer;

pub use clearance::{Accepted, Caller, Clearance, Settings, Signed};
pub use error::AppError;

use std::sync::Arc;

use tamga_store::{LoadReport, Store};

/// Loads the shipped reference data (idempotent), the demo tariff when no
/// tariff was ever imported, and, on an empty database, the demo set-up. Returns the load report and the demo if it
/// was created now.
pub async fn bootstrap(
    store: &Arc<dyn Store>,
    with_demo: bool,
) -> Result<(LoadReport, Option<demo::Demo>), AppError> {
    let bundle = reference::shipped().map_err(|e| AppError::Unavailable(e.to_string()))?;
    let report = store.load_reference(&bundle).await?;
    if store.tariff().await?.is_none() {
        // First start: the demo tariff shipped in the repository.
        let name = tamga_core::tariff::load(tamga_core::tariff::DEMO_TARIFF_JSON)
            .map_err(|e| AppError::Unavailable(format!("demo tariff: {e:?}")))?
            .name;
        store
            .put_tariff(
                &name,
                tamga_core::tariff::DEMO_TARIFF_JSON,
                time::OffsetDateTime::now_utc(),
            )
            .await?;
    }
    let demo = if with_demo {
        demo::ensure_demo(store.as_ref()).await?
    } else {
        None
    };
    Ok((report, demo))
}
