//! A statement a page at a time ([`Accounts::statement_page`]): the
//! period's opening and closing balances and its number of movements from
//! SQL sums, and one page of movements with the balances after each,
//! read by the store after or before a cursor
//! ([`tamga_store::StatementStore`]). The portal's account page and
//! printable statement show these; the API's statement and CSV stay
//! whole-period ([`Accounts::statement`]).

use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::ledger::{AccountKind, Balances};
pub use tamga_store::statement_sql::StatementCursor;

use super::{AccountError, AccountView, Accounts, BalanceView, MovementView};

/// The most movements a page holds.
pub const MAX_PAGE: u32 = 500;

/// One page of a statement of `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPageView {
    pub account: AccountView,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub opening: BalanceView,
    pub closing: BalanceView,
    /// Movements in the whole period.
    pub movements: i64,
    /// Oldest first (time, then entry), each with the balances after it.
    pub rows: Vec<MovementView>,
    /// Whether the period has movements before the first row, and after
    /// the last.
    pub earlier: bool,
    pub later: bool,
}

impl Accounts {
    /// A page of at most `limit` (1 to [`MAX_PAGE`]) movements of the
    /// operator's account of `kind` in `[from, to)`; `None` when the
    /// cursor is not an entry of this account.
    pub async fn statement_page(
        &self,
        owner: &Eori,
        kind: AccountKind,
        from: OffsetDateTime,
        to: OffsetDateTime,
        cursor: StatementCursor,
        limit: u32,
    ) -> Result<Option<StatementPageView>, AccountError> {
        if from >= to {
            return Err(AccountError::BadPeriod);
        }
        let account = self.account(owner, kind).await?;
        let Some(page) = self
            .store
            .statement_page(account.id, from, to, cursor, limit.clamp(1, MAX_PAGE))
            .await?
        else {
            return Ok(None);
        };
        let mut running: Balances = page.start;
        let rows = page
            .rows
            .iter()
            .map(|m| {
                running.apply(m.bucket, m.delta);
                MovementView {
                    entry: m.entry,
                    txn: m.txn,
                    at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(m.at_nanos))
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                    kind: m.kind,
                    bucket: m.bucket,
                    amount: self.decimal(m.delta),
                    balance_after: self.balance_view(running),
                    mrn: m.mrn.clone(),
                    reference: m.reference.clone(),
                }
            })
            .collect();
        Ok(Some(StatementPageView {
            account: self.view(account),
            from,
            to,
            opening: self.balance_view(page.opening),
            closing: self.balance_view(page.closing),
            movements: page.movements,
            rows,
            earlier: page.earlier,
            later: page.later,
        }))
    }
}
