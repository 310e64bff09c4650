//! tamga's domain core: codes, money, declarations, reference data,
//! format-logical control, the lifecycle and the decision pipeline.
//!
//! Invariant: nothing in this crate does IO (no files, network, clock or
//! database). Time and randomness come in as arguments.

pub mod appeal;
pub mod channel;
pub mod codes;
pub mod control;
pub mod declaration;
pub mod dispatch;
pub mod event_view;
pub mod goods_check;
pub mod hash;
pub mod ledger;
pub mod lifecycle;
pub mod mandate;
pub mod model_risk;
pub mod money;
pub mod office_hours;
pub mod pipeline;
pub mod prearrival;
pub mod profiles;
pub mod reference;
pub mod risk;
pub mod signature;
pub mod tariff;
pub mod traders;
pub mod value_control;
