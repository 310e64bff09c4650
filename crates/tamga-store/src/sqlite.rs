//! The embedded SQLite store (the default).
//!
//! One file in WAL mode with `synchronous = FULL`: a commit returns only
//! once its WAL frames are fsynced, so an acknowledged commit survives
//! `kill -9` and power loss. Writes go through a pool of exactly one
//! connection (SQLite has one writer at a time anyway; this makes them
//! queue in-process instead of spinning on the busy handler) and every
//! write transaction starts with `BEGIN IMMEDIATE`; reads use a separate
//! pool of several connections, which WAL lets run alongside the writer.
//!
//! Multi-row statements are cut into a few fixed row counts
//! ([`codec::shaped_chunks`]) and stay prepared in sqlx's statement cache
//! (each connection holds up to [`STATEMENT_CACHE`] of them), so a batch
//! does not parse and compile its statements again.
//!
//! What the backends share is written once in the `*_sql.rs` files (and
//! `ledger_sql/`); this file holds what is SQLite's own (opening, the
//! checkpointer, the group commit) and implements [`Store`] by calling
//! the shared families' `sqlite` functions.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection as _, QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

use tamga_core::codes::{CurrencyCode, Eori, Lrn, Mrn};
use tamga_core::ledger::{AccountId, AccountKind, LedgerOp, LedgerOutcome, RefundId};
use tamga_core::lifecycle::Event;
use tamga_core::reference::ReferenceBundle;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};

use crate::codec::{self, nanos, DECLARATION_COLUMNS, SQLITE_MAX_PARAMS};
use crate::group_commit::{self, PreparedKind};
use crate::ledger_sql::{store as ledger_store, MetaCache};
use crate::{
    audit_sql, declaration_sql, party_sql, payment_sql, reference_sql, selectivity_sql, webhook_sql,
};
use crate::{
    AuditEntry, Committed, DeclarationQuery, DeclarationRecord, LedgerAccount, LedgerCheck,
    LoadReport, Notification, Operator, Principal, Refund, Reservation, Result, SigningKeyRecord,
    StatementData, Store, StoreError, StoredTariff, User, Write, WriteOutcome,
};

/// The ledger's SQL on this backend (`ledger_backend!`): used by the
/// group commit here and by the ledger's [`Store`] methods
/// (`ledger_sql/store.rs`).
pub(crate) mod ledger_impl {
    use sqlx::sqlite::SqliteConnection;
    use sqlx::Sqlite;

    use super::codec;

    use crate::placeholders::plain as sql;

    /// SQLite has a single writer: nothing to lock.
    async fn no_lock(_: &mut SqliteConnection, _: &[i64], _: &[i64]) -> crate::Result<()> {
        Ok(())
    }

    /// The single writer holds the write lock: the next ids are after the
    /// largest.
    async fn txn_ids(c: &mut SqliteConnection, n: usize) -> crate::Result<Vec<i64>> {
        let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM ledger_txns")
            .fetch_one(&mut *c)
            .await?;
        Ok((1..=n as i64).map(|i| max + i).collect())
    }

    crate::ledger_sql::ledger_backend!(Sqlite, SqliteConnection, sql, false, no_lock, txn_ids);
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const READERS: u32 = 4;

/// Prepared statements kept per connection: the multi-row statements in
/// up to nine shapes each (a commit uses ten kinds at most), and the
/// single statements.
const STATEMENT_CACHE: usize = 400;

/// How often the background checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// WAL pages after which the writer checkpoints by itself: a backstop for
/// when the background checkpointer cannot keep up (64 MiB of WAL).
const WRITER_CHECKPOINT_PAGES: &str = "16384";

pub struct SqliteStore {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    /// Kind and currency of ledger accounts (immutable), by id.
    pub(crate) meta: MetaCache,
    /// Dropped with the store (or taken by [`SqliteStore::close`]), which
    /// stops the background checkpointer; its task, awaited by `close`.
    checkpointer: std::sync::Mutex<
        Option<(
            tokio::sync::oneshot::Sender<()>,
            tokio::task::JoinHandle<()>,
        )>,
    >,
}

impl SqliteStore {
    /// Opens (creating it and its parent directories if missing) the
    /// database file and runs the migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Db(sqlx::Error::Configuration(
                        format!("cannot create directory {}: {e}", dir.display()).into(),
                    ))
                })?;
            }
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-65536")
            .statement_cache_capacity(STATEMENT_CACHE);
        let writer = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(120))
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(
                base.clone()
                    .create_if_missing(true)
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES),
            )
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(base.clone().pragma("query_only", "ON"))
            .await?;
        let checkpointer = SqliteConnection::connect_with(&base).await?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(checkpoint_in_background(checkpointer, stopped));
        Ok(Self {
            writer,
            reader,
            meta: MetaCache::default(),
            checkpointer: std::sync::Mutex::new(Some((stop, task))),
        })
    }

    /// Closes both pools, waiting for their connections to finish.
    pub async fn close(&self) {
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut c| c.take());
        if let Some((stop, task)) = checkpointer {
            drop(stop);
            // Its connection is closed once the task ends.
            let _ = task.await;
        }
        self.reader.close().await;
        self.writer.close().await;
    }

    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Copies committed WAL frames into the database file off the commit path.
///
/// With the writer's own automatic checkpoint every 1,000 pages, a commit
/// that crosses the threshold also copies and fsyncs the database file
/// while every other lodging waits for it. Here a separate connection runs
/// passive checkpoints (they never block the writer or readers), so the
/// writer's backstop ([`WRITER_CHECKPOINT_PAGES`]) is rarely reached.
/// Durability is unchanged: a commit is durable once its WAL frames are
/// fsynced, whoever checkpoints them later.
async fn checkpoint_in_background(
    mut conn: SqliteConnection,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = tick.tick() => {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await {
                    tracing::warn!(error = %e, "background WAL checkpoint failed");
                }
            }
        }
    }
    let _ = conn.close().await;
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn connections_on_own_threads(&self) -> bool {
        true
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    // --- reference data (reference_sql.rs) -------------------------------

    async fn load_reference(&self, b: &ReferenceBundle) -> Result<LoadReport> {
        reference_sql::sqlite::load_reference(self, b).await
    }

    async fn reference(&self) -> Result<ReferenceBundle> {
        let mut c = self.reader.acquire().await?;
        // One read transaction: a consistent snapshot of all tables.
        sqlx::query("BEGIN").execute(&mut *c).await?;
        let r = reference_sql::sqlite::read_reference(&mut c).await;
        sqlx::query("COMMIT").execute(&mut *c).await?;
        r
    }

    // --- parties and access (party_sql.rs) -------------------------------

    async fn create_operator(&self, op: &Operator) -> Result<()> {
        party_sql::sqlite::create_operator(self, op).await
    }

    async fn operator(&self, id: &Eori) -> Result<Option<Operator>> {
        party_sql::sqlite::operator(self, id).await
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        party_sql::sqlite::create_user(self, user).await
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        party_sql::sqlite::user(self, username).await
    }

    async fn has_parties(&self) -> Result<bool> {
        party_sql::sqlite::has_parties(self).await
    }

    async fn add_token(
        &self,
        token_sha256: &str,
        principal: &Principal,
        label: &str,
    ) -> Result<()> {
        party_sql::sqlite::add_token(self, token_sha256, principal, label).await
    }

    async fn principal_for_token(&self, token_sha256: &str) -> Result<Option<Principal>> {
        party_sql::sqlite::principal_for_token(self, token_sha256).await
    }

    async fn add_signing_key(&self, key: &SigningKeyRecord) -> Result<()> {
        party_sql::sqlite::add_signing_key(self, key).await
    }

    async fn signing_keys(&self, operator: &Eori) -> Result<Vec<SigningKeyRecord>> {
        party_sql::sqlite::signing_keys(self, operator).await
    }

    // --- declarations (declaration_sql.rs; the group commit is here) -----

    async fn reserve_sequence(&self, name: &str, n: u64) -> Result<u64> {
        declaration_sql::sqlite::reserve_sequence(self, name, n).await
    }

    async fn commit_numbered(&self, writes: &[Write]) -> Result<Committed> {
        if writes.is_empty() {
            return Ok(Committed::default());
        }
        let prepared = group_commit::prepare(writes)?;
        let mut tx = self.begin().await?;
        let c = &mut *tx;

        // 1. Which inserts' (declarant, lrn) are taken already?
        let keys: Vec<(&str, &str)> = prepared
            .iter()
            .filter(|p| p.kind == PreparedKind::Insert)
            .filter_map(|p| p.decl.as_ref().map(|d| (d.declarant, d.lrn)))
            .collect();
        let mut existing = HashMap::new();
        for chunk in codec::shaped_chunks(&keys, SQLITE_MAX_PARAMS / 2) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "SELECT declarant, lrn, mrn FROM declarations WHERE (declarant, lrn) IN (VALUES ",
            );
            let mut sep = qb.separated(", ");
            for (d, l) in chunk {
                sep.push("(")
                    .push_bind_unseparated(*d)
                    .push_unseparated(", ");
                sep.push_bind_unseparated(*l).push_unseparated(")");
            }
            qb.push(")");
            for r in qb.build().fetch_all(&mut *c).await? {
                existing.insert(
                    (r.try_get("declarant")?, r.try_get("lrn")?),
                    r.try_get("mrn")?,
                );
            }
        }
        let mut outcomes = group_commit::insert_outcomes(&prepared, existing)?;

        // 1a. Tariff quota draws against what every instance drew.
        crate::ledger_sql::check_quotas(
            &mut ledger_impl::LedgerConn(&mut *c),
            &prepared,
            &mut outcomes,
        )
        .await?;

        // 1b. Money moved with the writes; decides which form is stored.
        payment_sql::settle(
            &mut ledger_impl::LedgerConn(&mut *c),
            &self.meta,
            &prepared,
            &mut outcomes,
            nanos(OffsetDateTime::now_utc())?,
        )
        .await?;
        let chosen = group_commit::chosen(&prepared, &outcomes)?;

        // 2. New declarations.
        let new: Vec<&group_commit::DeclRow<'_>> = chosen
            .iter()
            .flatten()
            .filter(|p| p.kind == PreparedKind::Insert)
            .filter_map(|p| p.decl.as_ref())
            .collect();
        for chunk in codec::shaped_chunks(&new, SQLITE_MAX_PARAMS / 16) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO declarations ({DECLARATION_COLUMNS}) "
            ));
            qb.push_values(chunk, |mut b, d| {
                b.push_bind(d.mrn)
                    .push_bind(d.lrn)
                    .push_bind(d.declarant)
                    .push_bind(d.representative)
                    .push_bind(d.lodged_by)
                    .push_bind(d.office)
                    .push_bind(d.declaration_type)
                    .push_bind(d.state)
                    .push_bind(d.channel)
                    .push_bind(d.version)
                    .push_bind(d.body_sha256)
                    .push_bind(d.registered_at)
                    .push_bind(d.updated_at)
                    .push_bind(d.last_seq)
                    .push_bind(d.last_hash)
                    .push_bind(d.doc.as_str());
            });
            qb.build().execute(&mut *c).await?;
        }

        // 3. Updates, in order, with optimistic locking.
        for (p, o) in chosen.iter().zip(outcomes.iter_mut()) {
            let Some(p) = p else { continue };
            let (PreparedKind::Update, Some(d)) = (p.kind, &p.decl) else {
                continue;
            };
            let n = sqlx::query(
                "UPDATE declarations SET representative = ?, lodged_by = ?, office = ?, declaration_type = ?, \
                 state = ?, channel = ?, version = ?, body_sha256 = ?, updated_at = ?, last_seq = ?, last_hash = ?, doc = ? \
                 WHERE mrn = ? AND last_seq = ?",
            )
            .bind(d.representative)
            .bind(d.lodged_by)
            .bind(d.office)
            .bind(d.declaration_type)
            .bind(d.state)
            .bind(d.channel)
            .bind(d.version)
            .bind(d.body_sha256)
            .bind(d.updated_at)
            .bind(d.last_seq)
            .bind(d.last_hash)
            .bind(d.doc.as_str())
            .bind(d.mrn)
            .bind(p.expected_last_seq)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n == 0 {
                *o = WriteOutcome::Stale;
            }
        }

        // 4. Events and notifications of the committed writes.
        let committed = group_commit::stored(&chosen, &outcomes);
        let events: Vec<&group_commit::EventRow<'_>> =
            committed.iter().flat_map(|p| &p.events).collect();
        // The single writer holds the write lock: the next ids are after
        // the largest, given explicitly so the commit knows them.
        let first_id = if events.is_empty() {
            0
        } else {
            let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
                .fetch_one(&mut *c)
                .await?;
            max + 1
        };
        let ids: Vec<i64> = (first_id..).take(events.len()).collect();
        let numbered: Vec<(i64, &group_commit::EventRow<'_>)> =
            ids.iter().copied().zip(events.iter().copied()).collect();
        for chunk in codec::shaped_chunks(&numbered, SQLITE_MAX_PARAMS / 10) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (id, mrn, seq, actor, at, kind, body, payload_hash, prev_hash, hash) ",
            );
            qb.push_values(chunk, |mut b, (id, e)| {
                b.push_bind(*id)
                    .push_bind(e.mrn)
                    .push_bind(e.seq)
                    .push_bind(e.actor.as_str())
                    .push_bind(e.at)
                    .push_bind(e.kind)
                    .push_bind(&*e.body)
                    .push_bind(e.payload_hash)
                    .push_bind(e.prev_hash)
                    .push_bind(e.hash);
            });
            qb.build().execute(&mut *c).await?;
        }
        let scores = crate::score_rows::score_rows(&events);
        crate::score_rows::insert_sqlite(&mut *c, &scores, SQLITE_MAX_PARAMS).await?;
        let values = crate::value_sql::value_rows(&committed)?;
        if !values.is_empty() {
            crate::value_sql::write_sqlite(&mut *c, &values).await?;
        }
        let notes: Vec<&group_commit::NotificationRow<'_>> =
            committed.iter().flat_map(|p| &p.notifications).collect();
        for chunk in codec::shaped_chunks(&notes, SQLITE_MAX_PARAMS / 6) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO notifications (recipient, kind, mrn, lrn, at, payload) ",
            );
            qb.push_values(chunk, |mut b, n| {
                b.push_bind(n.recipient)
                    .push_bind(n.kind)
                    .push_bind(n.mrn)
                    .push_bind(n.lrn)
                    .push_bind(n.at)
                    .push_bind(n.payload.as_str());
            });
            qb.build().execute(&mut *c).await?;
        }
        let originals = group_commit::original_rows(&prepared, &outcomes);
        if !originals.is_empty() {
            crate::originals_sql::insert_sqlite(&mut *c, &originals, OffsetDateTime::now_utc())
                .await?;
        }
        let quota = group_commit::quota_rows(&prepared, &outcomes);
        if !quota.is_empty() {
            use crate::ledger_sql::LedgerTx as _;
            ledger_impl::LedgerConn(&mut *c)
                .insert_quota(&quota)
                .await?;
        }
        let event_ids = group_commit::event_ids(&chosen, &outcomes, ids)?;
        tx.commit().await?;
        Ok(Committed {
            outcomes,
            event_ids,
        })
    }

    async fn declaration(&self, mrn: &Mrn) -> Result<Option<DeclarationRecord>> {
        declaration_sql::sqlite::declaration(self, mrn).await
    }

    async fn declaration_by_lrn(
        &self,
        declarant: &Eori,
        lrn: &Lrn,
    ) -> Result<Option<DeclarationRecord>> {
        declaration_sql::sqlite::declaration_by_lrn(self, declarant, lrn).await
    }

    async fn declarations(&self, q: &DeclarationQuery) -> Result<Vec<DeclarationRecord>> {
        declaration_sql::sqlite::declarations(self, q).await
    }

    async fn events(&self, mrn: &Mrn) -> Result<Vec<Event>> {
        declaration_sql::sqlite::events(self, mrn).await
    }

    async fn count_declarations(&self) -> Result<u64> {
        declaration_sql::sqlite::count_declarations(self).await
    }

    // --- notifications (webhook_sql.rs) ----------------------------------

    async fn notifications(
        &self,
        recipient: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        webhook_sql::sqlite::notifications(self, recipient, after, limit).await
    }

    async fn set_webhook(&self, operator: &Eori, url: Option<&str>) -> Result<()> {
        webhook_sql::sqlite::set_webhook(self, operator, url).await
    }

    async fn webhooks(&self) -> Result<Vec<(Eori, String, i64)>> {
        webhook_sql::sqlite::webhooks(self).await
    }

    async fn set_signed_webhook(&self, operator: &Eori, url: &str, secret: &str) -> Result<()> {
        webhook_sql::sqlite::set_signed_webhook(self, operator, url, secret).await
    }

    async fn webhook_secret(&self, operator: &Eori) -> Result<Option<String>> {
        webhook_sql::sqlite::webhook_secret(self, operator).await
    }

    async fn set_webhook_cursor(&self, operator: &Eori, delivered_up_to: i64) -> Result<()> {
        webhook_sql::sqlite::set_webhook_cursor(self, operator, delivered_up_to).await
    }

    // --- selectivity (selectivity_sql.rs) and audit (audit_sql.rs) -------

    async fn put_criterion(&self, c: &SelectivityCriterion) -> Result<()> {
        selectivity_sql::sqlite::put_criterion(self, c).await
    }

    async fn criteria(&self) -> Result<Vec<SelectivityCriterion>> {
        selectivity_sql::sqlite::criteria(self).await
    }

    async fn random_selection(&self) -> Result<Option<RandomSelection>> {
        selectivity_sql::sqlite::random_selection(self).await
    }

    async fn set_random_selection(&self, r: &RandomSelection) -> Result<()> {
        selectivity_sql::sqlite::set_random_selection(self, r).await
    }

    async fn append_audit(
        &self,
        actor: &str,
        action: &str,
        at: OffsetDateTime,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        audit_sql::sqlite::append_audit(self, actor, action, at, payload).await
    }

    async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        audit_sql::sqlite::audit_log(self, after, limit).await
    }

    // --- tariff and ledger (ledger_sql/store.rs) -------------------------

    async fn put_tariff(&self, name: &str, body: &str, at: OffsetDateTime) -> Result<(i64, bool)> {
        ledger_store::sqlite::put_tariff(self, name, body, at).await
    }

    async fn quota_drawn(&self) -> Result<Vec<crate::QuotaDrawRecord>> {
        ledger_store::sqlite::quota_drawn(self).await
    }

    async fn tariff(&self) -> Result<Option<StoredTariff>> {
        ledger_store::sqlite::tariff(self).await
    }

    async fn ensure_ledger_account(
        &self,
        owner: &Eori,
        kind: AccountKind,
        currency: &CurrencyCode,
        at: OffsetDateTime,
    ) -> Result<LedgerAccount> {
        ledger_store::sqlite::ensure_ledger_account(self, owner, kind, currency, at).await
    }

    async fn ledger_account(&self, id: AccountId) -> Result<Option<LedgerAccount>> {
        ledger_store::sqlite::ledger_account(self, id).await
    }

    async fn ledger_accounts(&self, owner: Option<&Eori>) -> Result<Vec<LedgerAccount>> {
        ledger_store::sqlite::ledger_accounts(self, owner).await
    }

    async fn ledger_account_by_payment_reference(
        &self,
        payment_reference: &str,
    ) -> Result<Option<LedgerAccount>> {
        ledger_store::sqlite::ledger_account_by_payment_reference(self, payment_reference).await
    }

    async fn ledger(&self, ops: &[LedgerOp], at: OffsetDateTime) -> Result<Vec<LedgerOutcome>> {
        ledger_store::sqlite::ledger(self, ops, at).await
    }

    async fn reservation(&self, mrn: &Mrn) -> Result<Option<Reservation>> {
        ledger_store::sqlite::reservation(self, mrn).await
    }

    async fn refund(&self, id: RefundId) -> Result<Option<Refund>> {
        ledger_store::sqlite::refund(self, id).await
    }

    async fn refunds(&self, account: AccountId) -> Result<Vec<Refund>> {
        ledger_store::sqlite::refunds(self, account).await
    }

    async fn statement(
        &self,
        account: AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Option<StatementData>> {
        ledger_store::sqlite::statement(self, account, from, to).await
    }

    async fn ledger_check(&self) -> Result<LedgerCheck> {
        ledger_store::sqlite::ledger_check(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed counter as the main database file alone holds it
    /// (a copy without the WAL), `None` while it is only in the WAL.
    async fn in_main_file(db: &Path, scratch: &Path) -> Option<i64> {
        let copy = scratch.join("copy.db");
        let _ = std::fs::remove_file(&copy);
        std::fs::copy(db, &copy).ok()?;
        let mut c = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&copy))
            .await
            .ok()?;
        let v = sqlx::query_scalar("SELECT next FROM counters WHERE name = 'ckpt'")
            .fetch_optional(&mut c)
            .await
            .ok()
            .flatten();
        let _ = c.close().await;
        v
    }

    async fn balances(c: &mut SqliteConnection, ids: &[i64]) -> Vec<(i64, i64)> {
        use crate::ledger_sql::LedgerTx as _;
        let mut out = Vec::new();
        for id in ids {
            let b = ledger_impl::LedgerConn(&mut *c).balance(*id).await.unwrap();
            out.push(b.unwrap());
        }
        out
    }

    /// A batch's balance changes in one statement: all applied, or the
    /// caller is told one would make a balance negative.
    #[tokio::test]
    async fn balance_changes_apply_together_or_report_a_negative_balance() {
        use crate::ledger_sql::LedgerTx as _;
        use tamga_core::ledger::AccountKind;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let uzs = tamga_core::codes::CurrencyCode::parse("UZS").unwrap();
        let now = OffsetDateTime::now_utc();
        let mut ids = Vec::new();
        for owner in ["UZ100", "UZ101", "UZ102"] {
            let owner = tamga_core::codes::Eori::parse(owner).unwrap();
            let a = store
                .ensure_ledger_account(&owner, AccountKind::Cash, &uzs, now)
                .await
                .unwrap();
            ids.push(a.id);
        }
        let mut c = store.writer.acquire().await.unwrap();
        let mut l = ledger_impl::LedgerConn(&mut c);
        assert!(l
            .apply_all(&[(ids[0], 500, 0), (ids[1], 300, 20), (ids[2], 7, 0)])
            .await
            .unwrap());
        assert!(l.apply_all(&[]).await.unwrap());
        assert_eq!(
            balances(&mut c, &ids).await,
            vec![(500, 0), (300, 20), (7, 0)]
        );
        let mut l = ledger_impl::LedgerConn(&mut c);
        assert!(l
            .apply_all(&[(ids[0], -500, 100), (ids[1], 0, -20)])
            .await
            .unwrap());
        assert_eq!(
            balances(&mut c, &ids).await,
            vec![(0, 100), (300, 0), (7, 0)]
        );
        // Reserved would go below zero on the second account.
        let mut l = ledger_impl::LedgerConn(&mut c);
        assert!(!l
            .apply_all(&[(ids[0], 1, 0), (ids[1], 0, -1)])
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn commits_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tamga.db");
        let store = SqliteStore::open(&db).await.unwrap();
        store.reserve_sequence("ckpt", 5).await.unwrap();
        // Far below the writer's own checkpoint threshold: only the
        // background checkpointer can have copied it.
        let mut seen = None;
        for _ in 0..40 {
            seen = in_main_file(&db, dir.path()).await;
            if seen.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(seen, Some(6));
        store.close().await;
    }
}
