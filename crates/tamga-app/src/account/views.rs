//! What the account service answers with: balances, accounts, payment
//! instructions, deposit receipts, reservations, settlements, refunds and
//! statement movements, serialized for the API.

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use tamga_core::codes::{CurrencyCode, Eori, Mrn};
use tamga_core::ledger::{
    AccountId, AccountKind, Bucket, RefundId, RefundStatus, ReservationStatus, TxnId, TxnKind,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceView {
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub available: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub reserved: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    pub id: AccountId,
    pub owner: Option<Eori>,
    pub kind: AccountKind,
    pub currency: CurrencyCode,
    #[serde(flatten)]
    pub balances: BalanceView,
    pub payment_reference: Option<String>,
}

/// What a trader quotes on a bank transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentInstructions {
    pub payment_reference: String,
    pub qr_payload: String,
    pub currency: CurrencyCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositReceipt {
    pub txn: TxnId,
    pub account: AccountId,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub amount: Decimal,
    /// The bank reference was already booked with the same data.
    pub replay: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReserveResult {
    Reserved {
        txn: TxnId,
        replay: bool,
    },
    /// Nothing was reserved; the declaration waits for payment.
    Insufficient {
        #[serde(with = "rust_decimal::serde::str")]
        available: Decimal,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    pub mrn: Mrn,
    pub status: ReservationStatus,
    pub txn: TxnId,
    pub account: AccountId,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub replay: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundView {
    pub id: RefundId,
    pub account: AccountId,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub amount: Decimal,
    pub status: RefundStatus,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovementView {
    pub entry: i64,
    pub txn: TxnId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: TxnKind,
    pub bucket: Bucket,
    /// Signed change of the bucket.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub amount: Decimal,
    /// The account's balances after this movement.
    #[serde(flatten)]
    pub balance_after: BalanceView,
    pub mrn: Option<Mrn>,
    pub reference: Option<String>,
}
