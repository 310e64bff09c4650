//! The ledger's and the tariff's [`crate::Store`] methods, once for both
//! backends: each takes its connection or transaction from the store and
//! calls the backend's `ledger_impl` (the `ledger_backend!` instance in
//! `sqlite.rs` and `postgres.rs`) or [`super::apply`].
//!
//! The `ledger_store!` macro gives each backend a module of functions
//! over its store (`sqlite`, `pg`); `sqlite.rs` and `postgres.rs`
//! implement the [`crate::Store`] methods by calling them. Writes run in
//! the store's write transaction; a statement and the full check read in
//! one transaction that `$snapshot` prepares (repeatable read on
//! PostgreSQL, see `statement_sql.rs`).

use time::OffsetDateTime;

use tamga_core::codes::{CurrencyCode, Eori, Mrn};
use tamga_core::ledger::{AccountId, AccountKind, LedgerOp, LedgerOutcome, RefundId};

use crate::codec::nanos;
use crate::ledger_sql::{self, sqlx_value::V};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::statement_sql::{pg_begin, sqlite_begin};
use crate::{
    LedgerAccount, LedgerCheck, QuotaDrawRecord, Refund, Reservation, Result, StatementData,
    StoreError, StoredTariff,
};

macro_rules! ledger_store {
    ($mod:ident, $store:ty, $backend:ident, $read:ident, $snapshot:path) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;
            use crate::$backend::ledger_impl;

            pub(crate) async fn put_tariff(
                s: &$store,
                name: &str,
                body: &str,
                at: OffsetDateTime,
            ) -> Result<(i64, bool)> {
                let mut tx = s.begin().await?;
                let out = ledger_impl::put_tariff(&mut tx, name, body, nanos(at)?).await?;
                tx.commit().await?;
                Ok(out)
            }

            pub(crate) async fn quota_drawn(s: &$store) -> Result<Vec<QuotaDrawRecord>> {
                ledger_impl::quota_drawn(&mut *s.$read.acquire().await?).await
            }

            pub(crate) async fn tariff(s: &$store) -> Result<Option<StoredTariff>> {
                ledger_impl::tariff(&mut *s.$read.acquire().await?).await
            }

            pub(crate) async fn ensure_ledger_account(
                s: &$store,
                owner: &Eori,
                kind: AccountKind,
                currency: &CurrencyCode,
                at: OffsetDateTime,
            ) -> Result<LedgerAccount> {
                if kind.is_internal() {
                    return Err(StoreError::Corrupt(format!(
                        "{kind:?} accounts are internal and created with the ledger"
                    )));
                }
                {
                    let mut c = s.$read.acquire().await?;
                    if let Some(a) =
                        ledger_impl::account_by_key(&mut c, owner.as_str(), kind, currency.as_str())
                            .await?
                    {
                        return Ok(a);
                    }
                }
                let mut tx = s.begin().await?;
                ledger_impl::ensure_account(&mut tx, owner, kind, currency, nanos(at)?).await?;
                let a =
                    ledger_impl::account_by_key(&mut tx, owner.as_str(), kind, currency.as_str())
                        .await?
                        .ok_or_else(|| StoreError::Corrupt("account not created".into()))?;
                tx.commit().await?;
                Ok(a)
            }

            pub(crate) async fn ledger_account(
                s: &$store,
                id: AccountId,
            ) -> Result<Option<LedgerAccount>> {
                let mut c = s.$read.acquire().await?;
                Ok(ledger_impl::account_by(&mut c, "id", V::I(id)).await?.pop())
            }

            pub(crate) async fn ledger_accounts(
                s: &$store,
                owner: Option<&Eori>,
            ) -> Result<Vec<LedgerAccount>> {
                let mut c = s.$read.acquire().await?;
                ledger_impl::account_by(&mut c, "owner", V::S(owner.map_or("", |o| o.as_str())))
                    .await
            }

            pub(crate) async fn ledger_account_by_payment_reference(
                s: &$store,
                payment_reference: &str,
            ) -> Result<Option<LedgerAccount>> {
                let mut c = s.$read.acquire().await?;
                Ok(
                    ledger_impl::account_by(&mut c, "payment_reference", V::S(payment_reference))
                        .await?
                        .pop(),
                )
            }

            pub(crate) async fn ledger(
                s: &$store,
                ops: &[LedgerOp],
                at: OffsetDateTime,
            ) -> Result<Vec<LedgerOutcome>> {
                if ops.is_empty() {
                    return Ok(Vec::new());
                }
                let at = nanos(at)?;
                let mut tx = s.begin().await?;
                let out =
                    ledger_sql::apply(&mut ledger_impl::LedgerConn(&mut tx), &s.meta, ops, at)
                        .await?;
                tx.commit().await?;
                Ok(out)
            }

            pub(crate) async fn reservation(s: &$store, mrn: &Mrn) -> Result<Option<Reservation>> {
                let mut c = s.$read.acquire().await?;
                ledger_impl::reservation(&mut c, mrn).await
            }

            pub(crate) async fn refund(s: &$store, id: RefundId) -> Result<Option<Refund>> {
                let mut c = s.$read.acquire().await?;
                Ok(ledger_impl::refunds(&mut c, "id", id).await?.pop())
            }

            pub(crate) async fn refunds(s: &$store, account: AccountId) -> Result<Vec<Refund>> {
                let mut c = s.$read.acquire().await?;
                ledger_impl::refunds(&mut c, "account", account).await
            }

            pub(crate) async fn statement(
                s: &$store,
                account: AccountId,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Option<StatementData>> {
                let (from, to) = (nanos(from)?, nanos(to)?);
                let mut c = s.$read.begin().await?;
                $snapshot(&mut c).await?;
                let st = ledger_impl::statement(&mut c, account, from, to).await?;
                c.commit().await?;
                Ok(st)
            }

            pub(crate) async fn ledger_check(s: &$store) -> Result<LedgerCheck> {
                let mut c = s.$read.begin().await?;
                $snapshot(&mut c).await?;
                let r = ledger_impl::check(&mut c).await?;
                c.commit().await?;
                Ok(r)
            }
        }
    };
}

ledger_store!(sqlite, SqliteStore, sqlite, reader, sqlite_begin);
ledger_store!(pg, PgStore, postgres, pool, pg_begin);
