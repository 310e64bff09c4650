//! The single personal account as a double-entry ledger: pure types and
//! posting rules (no IO; the store applies them, see `tamga-store`).
//!
//! Amounts are `i64` **minor units** of the account's currency (UZS: tiyin,
//! 2 decimals), converted from and to exact `Decimal` only at the edges
//! with [`to_minor`] (which refuses more decimals than the currency has)
//! and [`from_minor`].
//!
//! Accounts. A trader (operator) has a [`AccountKind::Cash`] account (the
//! single personal account: advance funds any office can debit) and may
//! have a [`AccountKind::Guarantee`] account (a limit securing duties
//! without funds). Each currency has internal accounts: bank clearing,
//! customs revenue, refunds pending, guarantee commitments and deferred
//! duties. Every account has two buckets, `available` and `reserved`.
//!
//! Entries. Every movement is a transaction of [`Posting`]s whose signed
//! amounts (credit `+`, debit `-`) sum to zero. Each account kind has a
//! normal side: its balance is what the postings add on that side
//! ([`Posting::delta`]), so every balance is `>= 0` and the never-negative
//! rule is the same check everywhere.
//!
//! | operation | debit | credit |
//! |---|---|---|
//! | deposit | bank clearing | cash.available |
//! | reserve | X.available | X.reserved |
//! | debit at release | X.reserved | revenue (cash) / deferred duties (guarantee) |
//! | release reservation | X.reserved | X.available |
//! | refund request | cash.available | refunds pending |
//! | refund approved | refunds pending | bank clearing |
//! | refund rejected | refunds pending | cash.available |
//! | guarantee granted | guarantee commitments | guarantee.available |

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::{CurrencyCode, Eori, Mrn};

pub type AccountId = i64;
pub type TxnId = i64;
pub type RefundId = i64;

/// Which side of the ledger an account's balance lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountKind {
    /// A trader's single personal account: advance funds.
    Cash,
    /// A trader's guarantee: a limit that secures duties without funds.
    Guarantee,
    /// Internal: money received through the bank (an asset, debit side).
    BankClearing,
    /// Internal: duties debited from cash accounts.
    Revenue,
    /// Internal: refunds requested and not yet decided.
    RefundsPending,
    /// Internal: guarantee limits granted (debit side).
    GuaranteeCommitments,
    /// Internal: duties secured by a guarantee and debited at release.
    DeferredDuties,
}

impl AccountKind {
    pub const ALL: [AccountKind; 7] = [
        AccountKind::Cash,
        AccountKind::Guarantee,
        AccountKind::BankClearing,
        AccountKind::Revenue,
        AccountKind::RefundsPending,
        AccountKind::GuaranteeCommitments,
        AccountKind::DeferredDuties,
    ];
    /// The internal accounts every currency has, in lock order.
    pub const INTERNAL: [AccountKind; 5] = [
        AccountKind::BankClearing,
        AccountKind::Revenue,
        AccountKind::RefundsPending,
        AccountKind::GuaranteeCommitments,
        AccountKind::DeferredDuties,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Cash => "cash",
            AccountKind::Guarantee => "guarantee",
            AccountKind::BankClearing => "bank_clearing",
            AccountKind::Revenue => "revenue",
            AccountKind::RefundsPending => "refunds_pending",
            AccountKind::GuaranteeCommitments => "guarantee_commitments",
            AccountKind::DeferredDuties => "deferred_duties",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn is_internal(self) -> bool {
        !matches!(self, AccountKind::Cash | AccountKind::Guarantee)
    }

    /// Accounts a declaration's duties can be reserved on.
    pub fn can_secure(self) -> bool {
        matches!(self, AccountKind::Cash | AccountKind::Guarantee)
    }

    pub fn normal_side(self) -> Side {
        match self {
            AccountKind::BankClearing | AccountKind::GuaranteeCommitments => Side::Debit,
            _ => Side::Credit,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Bucket {
    Available,
    Reserved,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Available => "available",
            Bucket::Reserved => "reserved",
        }
    }
    pub fn parse(s: &str) -> Option<Bucket> {
        [Bucket::Available, Bucket::Reserved]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TxnKind {
    Deposit,
    Reserve,
    Debit,
    Release,
    RefundRequest,
    RefundApprove,
    RefundReject,
    GuaranteeGrant,
}

impl TxnKind {
    pub const ALL: [TxnKind; 8] = [
        TxnKind::Deposit,
        TxnKind::Reserve,
        TxnKind::Debit,
        TxnKind::Release,
        TxnKind::RefundRequest,
        TxnKind::RefundApprove,
        TxnKind::RefundReject,
        TxnKind::GuaranteeGrant,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TxnKind::Deposit => "deposit",
            TxnKind::Reserve => "reserve",
            TxnKind::Debit => "debit",
            TxnKind::Release => "release",
            TxnKind::RefundRequest => "refund_request",
            TxnKind::RefundApprove => "refund_approve",
            TxnKind::RefundReject => "refund_reject",
            TxnKind::GuaranteeGrant => "guarantee_grant",
        }
    }
    pub fn parse(s: &str) -> Option<TxnKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry: a signed amount (credit `+`, debit `-`) on an account bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: AccountId,
    pub kind: AccountKind,
    pub bucket: Bucket,
    pub amount: i64,
}

impl Posting {
    /// The change to the account's (normal-side) balance.
    pub fn delta(&self) -> i64 {
        match self.kind.normal_side() {
            Side::Credit => self.amount,
            Side::Debit => -self.amount,
        }
    }
}

/// Debits equal credits.
pub fn is_balanced(postings: &[Posting]) -> bool {
    postings.iter().map(|p| i128::from(p.amount)).sum::<i128>() == 0
}

/// An account reference for the posting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acct {
    pub id: AccountId,
    pub kind: AccountKind,
}

fn post(a: Acct, bucket: Bucket, amount: i64) -> Posting {
    Posting {
        account: a.id,
        kind: a.kind,
        bucket,
        amount,
    }
}

/// Debit `from`, credit `to`, both by `x` (> 0).
fn transfer(from: (Acct, Bucket), to: (Acct, Bucket), x: i64) -> [Posting; 2] {
    // A debit on a credit-normal account lowers it, and vice versa.
    [post(from.0, from.1, -x), post(to.0, to.1, x)]
}

/// The posting rules (see the module table).
pub mod rules {
    use super::*;

    pub fn deposit(cash: Acct, clearing: Acct, x: i64) -> [Posting; 2] {
        transfer((clearing, Bucket::Available), (cash, Bucket::Available), x)
    }
    pub fn reserve(acct: Acct, x: i64) -> [Posting; 2] {
        transfer((acct, Bucket::Available), (acct, Bucket::Reserved), x)
    }
    /// `sink` is revenue for cash, deferred duties for a guarantee.
    pub fn debit(acct: Acct, sink: Acct, x: i64) -> [Posting; 2] {
        transfer((acct, Bucket::Reserved), (sink, Bucket::Available), x)
    }
    pub fn release(acct: Acct, x: i64) -> [Posting; 2] {
        transfer((acct, Bucket::Reserved), (acct, Bucket::Available), x)
    }
    pub fn refund_request(cash: Acct, pending: Acct, x: i64) -> [Posting; 2] {
        transfer((cash, Bucket::Available), (pending, Bucket::Available), x)
    }
    pub fn refund_approve(pending: Acct, clearing: Acct, x: i64) -> [Posting; 2] {
        transfer(
            (pending, Bucket::Available),
            (clearing, Bucket::Available),
            x,
        )
    }
    pub fn refund_reject(pending: Acct, cash: Acct, x: i64) -> [Posting; 2] {
        transfer((pending, Bucket::Available), (cash, Bucket::Available), x)
    }
    pub fn guarantee_grant(guarantee: Acct, commitments: Acct, x: i64) -> [Posting; 2] {
        transfer(
            (commitments, Bucket::Available),
            (guarantee, Bucket::Available),
            x,
        )
    }
}

/// The kind of internal account a debit at release credits.
pub fn debit_sink(kind: AccountKind) -> AccountKind {
    match kind {
        AccountKind::Guarantee => AccountKind::DeferredDuties,
        _ => AccountKind::Revenue,
    }
}

// --- operations and outcomes ------------------------------------------------------

/// One ledger operation; the store applies a batch of them in one
/// transaction, each with its own [`LedgerOutcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerOp {
    /// Money arrived at the bank quoting a trader's `payment_reference`;
    /// idempotent by the bank's own `bank_reference`.
    Deposit {
        payment_reference: String,
        bank_reference: String,
        amount: i64,
    },
    /// Secure a declaration's duties (available → reserved).
    Reserve {
        account: AccountId,
        mrn: Mrn,
        amount: i64,
    },
    /// At release: reserved → revenue (or deferred duties).
    Debit { mrn: Mrn },
    /// At invalidation or refusal: reserved → available.
    Release { mrn: Mrn },
    /// By the trader: available → refunds pending.
    RequestRefund { account: AccountId, amount: i64 },
    /// By an officer: pending → bank (approved) or back (rejected).
    DecideRefund {
        refund: RefundId,
        approve: bool,
        officer: String,
    },
    /// A guarantee limit raised by `amount`.
    GrantGuarantee { account: AccountId, amount: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerOutcome {
    /// `replay`: the bank reference was known with the same data; `txn` is
    /// the original transaction.
    Deposited {
        txn: TxnId,
        account: AccountId,
        amount: i64,
        replay: bool,
    },
    /// `replay`: the MRN already had this very reservation.
    Reserved {
        txn: TxnId,
        replay: bool,
    },
    /// Not enough available; nothing was changed.
    Insufficient {
        available: i64,
    },
    Debited {
        txn: TxnId,
        account: AccountId,
        amount: i64,
        replay: bool,
    },
    Released {
        txn: TxnId,
        account: AccountId,
        amount: i64,
        replay: bool,
    },
    RefundRequested {
        refund: RefundId,
        txn: TxnId,
    },
    RefundDecided {
        refund: RefundId,
        txn: TxnId,
        approved: bool,
    },
    GuaranteeGranted {
        txn: TxnId,
    },
    /// Refused with a stable code; nothing was changed.
    Refused(LedgerError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Reserved,
    Debited,
    Released,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "reserved",
            ReservationStatus::Debited => "debited",
            ReservationStatus::Released => "released",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Reserved, Self::Debited, Self::Released]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RefundStatus {
    Pending,
    Approved,
    Rejected,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Approved => "approved",
            RefundStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

// --- errors ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amount {amount} has {scale} decimal places; {currency} allows {allowed}")]
    TooManyDecimals {
        amount: Decimal,
        currency: CurrencyCode,
        scale: u32,
        allowed: u32,
    },
    #[error("amount {0} must be greater than zero")]
    NotPositive(Decimal),
    #[error("amount {0} is too large")]
    TooLarge(Decimal),
    #[error("currency {got} is not the ledger currency {expected}")]
    CurrencyMismatch {
        expected: CurrencyCode,
        got: CurrencyCode,
    },
    #[error("no account {0}")]
    UnknownAccount(AccountId),
    #[error("{0:?} is not a valid payment reference (RF creditor reference with check digits)")]
    BadPaymentReference(String),
    #[error("no account has payment reference {0}")]
    UnknownPaymentReference(String),
    #[error("bank payment {0} was already booked with a different account or amount")]
    DuplicatePayment(String),
    #[error("account {account} is a {} account; {operation} needs {needs}", .kind.as_str())]
    WrongAccountKind {
        account: AccountId,
        kind: AccountKind,
        operation: &'static str,
        needs: &'static str,
    },
    #[error("declaration {0} has no reservation")]
    NoReservation(Mrn),
    #[error("declaration {0} already has a different reservation")]
    ReservationConflict(Mrn),
    #[error("the reservation of declaration {mrn} was already {}", .status.as_str())]
    ReservationSettled { mrn: Mrn, status: ReservationStatus },
    #[error("no refund {0}")]
    UnknownRefund(RefundId),
    #[error("refund {0} was already decided")]
    RefundDecided(RefundId),
}

impl LedgerError {
    /// Stable code, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::TooManyDecimals { .. } => "LEDGER-TOO-MANY-DECIMALS",
            LedgerError::NotPositive(_) => "LEDGER-AMOUNT-NOT-POSITIVE",
            LedgerError::TooLarge(_) => "LEDGER-AMOUNT-TOO-LARGE",
            LedgerError::CurrencyMismatch { .. } => "LEDGER-CURRENCY-MISMATCH",
            LedgerError::UnknownAccount(_) => "LEDGER-UNKNOWN-ACCOUNT",
            LedgerError::BadPaymentReference(_) => "LEDGER-BAD-PAYMENT-REFERENCE",
            LedgerError::UnknownPaymentReference(_) => "LEDGER-UNKNOWN-PAYMENT-REFERENCE",
            LedgerError::DuplicatePayment(_) => "LEDGER-DUPLICATE-PAYMENT",
            LedgerError::WrongAccountKind { .. } => "LEDGER-WRONG-ACCOUNT-KIND",
            LedgerError::NoReservation(_) => "LEDGER-NO-RESERVATION",
            LedgerError::ReservationConflict(_) => "LEDGER-RESERVATION-CONFLICT",
            LedgerError::ReservationSettled { .. } => "LEDGER-RESERVATION-SETTLED",
            LedgerError::UnknownRefund(_) => "LEDGER-UNKNOWN-REFUND",
            LedgerError::RefundDecided(_) => "LEDGER-REFUND-DECIDED",
        }
    }
}

// --- amounts -----------------------------------------------------------------------

/// Largest amount accepted: 10^15 minor units (10 trillion UZS), far
/// below `i64::MAX` so sums of many amounts cannot overflow.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// An exact positive amount in minor units. Refuses more decimals than
/// the currency has (`10.250` is fine for 2 minor units, `10.251` is not).
pub fn to_minor(
    amount: Decimal,
    currency: &CurrencyCode,
    minor_units: u32,
) -> Result<i64, LedgerError> {
    let n = amount.normalize();
    if n.scale() > minor_units {
        return Err(LedgerError::TooManyDecimals {
            amount,
            currency: currency.clone(),
            scale: n.scale(),
            allowed: minor_units,
        });
    }
    if n <= Decimal::ZERO {
        return Err(LedgerError::NotPositive(amount));
    }
    let scaled = Decimal::from(10u64.pow(minor_units))
        .checked_mul(n)
        .ok_or(LedgerError::TooLarge(amount))?;
    let minor = i64::try_from(scaled).map_err(|_| LedgerError::TooLarge(amount))?;
    if minor > MAX_MINOR {
        return Err(LedgerError::TooLarge(amount));
    }
    Ok(minor)
}

/// The exact decimal of `minor` minor units, with exactly `minor_units`
/// decimals (`12345`, 2 → `123.45`).
pub fn from_minor(minor: i64, minor_units: u32) -> Decimal {
    Decimal::new(minor, minor_units)
}

// --- payment references ------------------------------------------------------------

fn mod97(s: &str) -> Option<u32> {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    Some(r)
}

/// The trader's payment reference to quote on bank transfers: an ISO 11649
/// structured creditor reference (`RF`, two MOD 97-10 check digits, then
/// the operator id), e.g. `RF47UZ000000000101`.
pub fn payment_reference(owner: &Eori) -> String {
    let body = owner.as_str();
    let r = mod97(&format!("{body}RF00")).expect("operator ids are alphanumeric");
    format!("RF{:02}{body}", 98 - r)
}

/// Checks a payment reference's form and check digits; returns it
/// normalized (upper case, no spaces).
pub fn parse_payment_reference(s: &str) -> Result<String, LedgerError> {
    let norm: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bad = || LedgerError::BadPaymentReference(s.to_owned());
    if !(5..=25).contains(&norm.len())
        || !norm.starts_with("RF")
        || !norm[2..4].bytes().all(|b| b.is_ascii_digit())
        || !norm.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(bad());
    }
    let rotated = format!("{}{}", &norm[4..], &norm[..4]);
    match mod97(&rotated) {
        Some(1) => Ok(norm),
        _ => Err(bad()),
    }
}

/// The string a trader's QR code carries for a bank transfer: a URI with
/// the payment reference, the currency and the payee.
pub fn qr_payload(payment_reference: &str, currency: &CurrencyCode) -> String {
    format!(
        "tamga:pay?ref={payment_reference}&cur={}&payee=CUSTOMS",
        currency.as_str()
    )
}

// --- statements --------------------------------------------------------------------

/// Balances of one account, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub available: i64,
    pub reserved: i64,
}

impl Balances {
    pub fn apply(&mut self, bucket: Bucket, delta: i64) {
        match bucket {
            Bucket::Available => self.available += delta,
            Bucket::Reserved => self.reserved += delta,
        }
    }
}

/// One entry on an account, as a statement shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub entry: i64,
    pub txn: TxnId,
    pub at_nanos: i64,
    pub kind: TxnKind,
    pub bucket: Bucket,
    /// Change to the bucket's balance (normal side).
    pub delta: i64,
    pub mrn: Option<Mrn>,
    /// Bank reference (deposits) or refund id (refunds).
    pub reference: Option<String>,
}

/// What happened to one declaration's security in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationBreakdown {
    pub reserved: i64,
    pub debited: i64,
    pub released: i64,
}

/// Per-declaration totals of the movements (available-bucket entries only,
/// so each transaction counts once), in order of first appearance.
pub fn breakdown(movements: &[Movement]) -> Vec<(Mrn, DeclarationBreakdown)> {
    let mut out: Vec<(Mrn, DeclarationBreakdown)> = Vec::new();
    // Where each declaration is in `out` (a period may hold thousands).
    let mut at: std::collections::HashMap<&Mrn, usize> = std::collections::HashMap::new();
    for m in movements {
        let Some(mrn) = &m.mrn else { continue };
        let i = *at.entry(mrn).or_insert_with(|| {
            out.push((mrn.clone(), DeclarationBreakdown::default()));
            out.len() - 1
        });
        let b = &mut out[i].1;
        // Reserve: reserved +x; debit: reserved -x; release: reserved -x.
        if m.bucket == Bucket::Reserved {
            match m.kind {
                TxnKind::Reserve => b.reserved += m.delta,
                TxnKind::Debit => b.debited -= m.delta,
                TxnKind::Release => b.released -= m.delta,
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn uzs() -> CurrencyCode {
        CurrencyCode::parse("UZS").unwrap()
    }

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(to_minor("123.45".parse().unwrap(), &uzs(), 2), Ok(12345));
        assert_eq!(to_minor("10.250".parse().unwrap(), &uzs(), 2), Ok(1025));
        assert_eq!(to_minor("7".parse().unwrap(), &uzs(), 2), Ok(700));
        let e = to_minor("10.251".parse().unwrap(), &uzs(), 2).unwrap_err();
        assert_eq!(e.code(), "LEDGER-TOO-MANY-DECIMALS");
        assert_eq!(
            to_minor(Decimal::ZERO, &uzs(), 2).unwrap_err().code(),
            "LEDGER-AMOUNT-NOT-POSITIVE"
        );
        assert_eq!(
            to_minor("-1".parse().unwrap(), &uzs(), 2)
                .unwrap_err()
                .code(),
            "LEDGER-AMOUNT-NOT-POSITIVE"
        );
        assert_eq!(
            to_minor(Decimal::MAX, &uzs(), 2).unwrap_err().code(),
            "LEDGER-AMOUNT-TOO-LARGE"
        );
        assert_eq!(from_minor(12345, 2).to_string(), "123.45");
        assert_eq!(from_minor(700, 2).to_string(), "7.00");
    }

    #[test]
    fn payment_references_carry_check_digits() {
        let r = payment_reference(&Eori::parse("UZ000000000101").unwrap());
        assert!(r.starts_with("RF"));
        assert_eq!(parse_payment_reference(&r), Ok(r.clone()));
        // The ISO 11649 example.
        assert!(parse_payment_reference("RF18 5390 0754 7034").is_ok());
        let mut bad = r.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'1' { b'2' } else { b'1' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            parse_payment_reference(&bad).unwrap_err().code(),
            "LEDGER-BAD-PAYMENT-REFERENCE"
        );
        assert!(qr_payload(&r, &uzs()).contains(&r));
    }

    #[test]
    fn every_rule_balances_and_keeps_normal_sides() {
        let cash = Acct {
            id: 1,
            kind: AccountKind::Cash,
        };
        let clearing = Acct {
            id: 2,
            kind: AccountKind::BankClearing,
        };
        let d = rules::deposit(cash, clearing, 500);
        assert!(is_balanced(&d));
        // Both balances grow.
        assert!(d.iter().all(|p| p.delta() == 500));
        let r = rules::reserve(cash, 100);
        assert!(is_balanced(&r));
        assert_eq!(r[0].delta(), -100);
        assert_eq!(r[0].bucket, Bucket::Available);
        assert_eq!(r[1].delta(), 100);
        assert_eq!(r[1].bucket, Bucket::Reserved);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn minor_round_trips(minor in 1i64..MAX_MINOR, units in 0u32..4) {
            let d = from_minor(minor, units);
            prop_assert_eq!(to_minor(d, &uzs(), units), Ok(minor));
        }

        #[test]
        fn references_of_any_operator_validate(body in "[A-Z]{2}[A-Z0-9]{1,15}") {
            let r = payment_reference(&Eori::parse(&body).unwrap());
            prop_assert_eq!(parse_payment_reference(&r), Ok(r.clone()));
        }
    }
}
