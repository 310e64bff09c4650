//! The PostgreSQL store.
//!
//! A `PgPool`; group commits insert each table's rows with one statement
//! over `unnest`ed arrays. Transactions that add notifications take a
//! transaction-scoped advisory lock, so notification ids (the pull cursor)
//! become visible in increasing order and a reader never skips one.
//!
//! What the backends share is written once in the `*_sql.rs` files (and
//! `ledger_sql/`); this file holds what is PostgreSQL's own (connecting,
//! the group commit) and implements [`Store`] by calling the shared
//! families' `pg` functions.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection;
use sqlx::{Postgres, Row};
use time::OffsetDateTime;

use tamga_core::codes::{CurrencyCode, Eori, Lrn, Mrn};
use tamga_core::ledger::{AccountId, AccountKind, LedgerOp, LedgerOutcome, RefundId};
use tamga_core::lifecycle::Event;
use tamga_core::reference::ReferenceBundle;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};

use crate::codec::{self, nanos, DECLARATION_COLUMNS};
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
    use sqlx::postgres::PgConnection;
    use sqlx::Postgres;

    use crate::codec;

    use crate::placeholders::numbered as sql;

    /// Advisory locks on the batch's keys, then its traders' account rows,
    /// each in sorted order (callers sort), so batches cannot deadlock.
    /// The keys are locked by one statement, not one round trip each (a
    /// group commit holds hundreds): a function scan over the array yields
    /// its elements in array order, so they are taken in the callers'
    /// order.
    pub(super) async fn pg_lock(
        c: &mut PgConnection,
        keys: &[i64],
        accounts: &[i64],
    ) -> crate::Result<()> {
        if !keys.is_empty() {
            sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k")
                .bind(keys)
                .execute(&mut *c)
                .await?;
        }
        if !accounts.is_empty() {
            sqlx::query("SELECT id FROM ledger_accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
                .bind(accounts)
                .fetch_all(&mut *c)
                .await?;
        }
        Ok(())
    }

    /// Ids from the identity sequence (gaps are fine).
    async fn txn_ids(c: &mut PgConnection, n: usize) -> crate::Result<Vec<i64>> {
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('ledger_txns', 'id')) FROM generate_series(1, $1)",
        )
        .bind(n as i64)
        .fetch_all(&mut *c)
        .await?;
        ids.sort_unstable();
        Ok(ids)
    }

    crate::ledger_sql::ledger_backend!(Postgres, PgConnection, sql, true, pg_lock, txn_ids);
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL allows 65535 bound parameters per statement; stay below.
pub(crate) const PG_MAX_PARAMS: usize = 65_000;

/// Advisory lock key serializing group commits ("tamga" in ASCII).
pub(crate) const COMMIT_LOCK: i64 = 0x74_61_6d_67_61;

pub struct PgStore {
    pub(crate) pool: PgPool,
    /// Kind and currency of ledger accounts (immutable), by id.
    pub(crate) meta: MetaCache,
}

impl PgStore {
    /// Connects and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Open(format!("the PostgreSQL URL cannot be read: {e}")))?;
        probe(&options).await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            meta: MetaCache::default(),
        })
    }

    /// Closes the pool, waiting for its connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// How long the first connection may take before `tamga serve` gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection, tried once: the pool would retry a refused connection
/// in silence until its acquire time-out and then report only the
/// time-out. Names the server's address and the cause.
async fn probe(options: &PgConnectOptions) -> Result<()> {
    let at = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    let fail =
        |cause: String| StoreError::Open(format!("cannot connect to PostgreSQL at {at}: {cause}"));
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Err(_) => Err(fail(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Ok(Ok(conn)) => {
            // The probe's own connection; the pool opens its own.
            let _ = conn.close().await;
            Ok(())
        }
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // --- reference data (reference_sql.rs) -------------------------------

    async fn load_reference(&self, b: &ReferenceBundle) -> Result<LoadReport> {
        reference_sql::pg::load_reference(self, b).await
    }

    async fn reference(&self) -> Result<ReferenceBundle> {
        let mut tx = self.pool.begin().await?;
        // One snapshot of all tables.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let r = reference_sql::pg::read_reference(&mut tx).await?;
        tx.commit().await?;
        Ok(r)
    }

    // --- parties and access (party_sql.rs) -------------------------------

    async fn create_operator(&self, op: &Operator) -> Result<()> {
        party_sql::pg::create_operator(self, op).await
    }

    async fn operator(&self, id: &Eori) -> Result<Option<Operator>> {
        party_sql::pg::operator(self, id).await
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        party_sql::pg::create_user(self, user).await
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        party_sql::pg::user(self, username).await
    }

    async fn has_parties(&self) -> Result<bool> {
        party_sql::pg::has_parties(self).await
    }

    async fn add_token(
        &self,
        token_sha256: &str,
        principal: &Principal,
        label: &str,
    ) -> Result<()> {
        party_sql::pg::add_token(self, token_sha256, principal, label).await
    }

    async fn principal_for_token(&self, token_sha256: &str) -> Result<Option<Principal>> {
        party_sql::pg::principal_for_token(self, token_sha256).await
    }

    async fn add_signing_key(&self, key: &SigningKeyRecord) -> Result<()> {
        party_sql::pg::add_signing_key(self, key).await
    }

    async fn signing_keys(&self, operator: &Eori) -> Result<Vec<SigningKeyRecord>> {
        party_sql::pg::signing_keys(self, operator).await
    }

    // --- declarations (declaration_sql.rs; the group commit is here) -----

    async fn reserve_sequence(&self, name: &str, n: u64) -> Result<u64> {
        declaration_sql::pg::reserve_sequence(self, name, n).await
    }

    async fn commit_numbered(&self, writes: &[Write]) -> Result<Committed> {
        if writes.is_empty() {
            return Ok(Committed::default());
        }
        let prepared = group_commit::prepare(writes)?;
        let mut tx = self.begin().await?;
        let c = &mut *tx;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(COMMIT_LOCK)
            .execute(&mut *c)
            .await?;

        // 1. Which inserts' (declarant, lrn) are taken already?
        let (declarants, lrns): (Vec<&str>, Vec<&str>) = prepared
            .iter()
            .filter(|p| p.kind == PreparedKind::Insert)
            .filter_map(|p| p.decl.as_ref().map(|d| (d.declarant, d.lrn)))
            .unzip();
        let mut existing = HashMap::new();
        if !declarants.is_empty() {
            let rows = sqlx::query(
                "SELECT d.declarant, d.lrn, d.mrn FROM declarations d \
                 JOIN unnest($1::text[], $2::text[]) AS k (declarant, lrn) \
                 ON d.declarant = k.declarant AND d.lrn = k.lrn",
            )
            .bind(&declarants)
            .bind(&lrns)
            .fetch_all(&mut *c)
            .await?;
            for r in rows {
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
        if !new.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO declarations ({DECLARATION_COLUMNS}) SELECT {DECLARATION_COLUMNS} FROM unnest(\
                 $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
                 $9::text[], $10::int8[], $11::text[], $12::int8[], $13::int8[], $14::int8[], $15::text[], $16::text[]) \
                 WITH ORDINALITY AS n ({DECLARATION_COLUMNS}, ord) ORDER BY ord"
            ))
            .bind(new.iter().map(|d| d.mrn).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.lrn).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.declarant).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.representative).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.lodged_by).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.office).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.declaration_type).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.state).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.channel).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.version).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.body_sha256).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.registered_at).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.updated_at).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.last_seq).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.last_hash).collect::<Vec<_>>())
            .bind(new.iter().map(|d| d.doc.as_str()).collect::<Vec<_>>())
            .execute(&mut *c)
            .await?;
        }

        // 3. Updates, in order, with optimistic locking.
        for (p, o) in chosen.iter().zip(outcomes.iter_mut()) {
            let Some(p) = p else { continue };
            let (PreparedKind::Update, Some(d)) = (p.kind, &p.decl) else {
                continue;
            };
            let n = sqlx::query(
                "UPDATE declarations SET representative = $1, lodged_by = $2, office = $3, declaration_type = $4, \
                 state = $5, channel = $6, version = $7, body_sha256 = $8, updated_at = $9, last_seq = $10, last_hash = $11, doc = $12 \
                 WHERE mrn = $13 AND last_seq = $14",
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
        let mut ids = Vec::new();
        if !events.is_empty() {
            let rows = sqlx::query(
                "INSERT INTO events (mrn, seq, actor, at, kind, body, payload_hash, prev_hash, hash) \
                 SELECT mrn, seq, actor, at, kind, body, payload_hash, prev_hash, hash \
                 FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::text[], $6::text[], \
                 $7::text[], $8::text[], $9::text[]) \
                 WITH ORDINALITY AS n (mrn, seq, actor, at, kind, body, payload_hash, prev_hash, hash, ord) ORDER BY ord \
                 RETURNING id, mrn, seq",
            )
            .bind(events.iter().map(|e| e.mrn).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.seq).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.at).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.kind).collect::<Vec<_>>())
            .bind(events.iter().map(|e| &*e.body).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.payload_hash).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.prev_hash).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.hash).collect::<Vec<_>>())
            .fetch_all(&mut *c)
            .await?;
            // RETURNING's order is not promised: match by (mrn, seq).
            let mut by_event: HashMap<(String, i64), i64> = HashMap::with_capacity(rows.len());
            for r in &rows {
                by_event.insert((r.try_get("mrn")?, r.try_get("seq")?), r.try_get("id")?);
            }
            for e in &events {
                ids.push(by_event.remove(&(e.mrn.to_owned(), e.seq)).ok_or_else(|| {
                    codec::corrupt(format!("no id returned for event {} of {}", e.seq, e.mrn))
                })?);
            }
        }
        let scores = crate::score_rows::score_rows(&events);
        crate::score_rows::insert_postgres(&mut *c, &scores).await?;
        let values = crate::value_sql::value_rows(&committed)?;
        if !values.is_empty() {
            crate::value_sql::write_pg(&mut *c, &values).await?;
        }
        let notes: Vec<&group_commit::NotificationRow<'_>> =
            committed.iter().flat_map(|p| &p.notifications).collect();
        if !notes.is_empty() {
            sqlx::query(
                "INSERT INTO notifications (recipient, kind, mrn, lrn, at, payload) \
                 SELECT recipient, kind, mrn, lrn, at, payload FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[]) \
                 WITH ORDINALITY AS n (recipient, kind, mrn, lrn, at, payload, ord) ORDER BY ord",
            )
            .bind(notes.iter().map(|n| n.recipient).collect::<Vec<_>>())
            .bind(notes.iter().map(|n| n.kind).collect::<Vec<_>>())
            .bind(notes.iter().map(|n| n.mrn).collect::<Vec<_>>())
            .bind(notes.iter().map(|n| n.lrn).collect::<Vec<_>>())
            .bind(notes.iter().map(|n| n.at).collect::<Vec<_>>())
            .bind(notes.iter().map(|n| n.payload.as_str()).collect::<Vec<_>>())
            .execute(&mut *c)
            .await?;
        }
        let originals = group_commit::original_rows(&prepared, &outcomes);
        if !originals.is_empty() {
            crate::originals_sql::insert_pg(&mut *c, &originals, OffsetDateTime::now_utc()).await?;
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
        declaration_sql::pg::declaration(self, mrn).await
    }

    async fn declaration_by_lrn(
        &self,
        declarant: &Eori,
        lrn: &Lrn,
    ) -> Result<Option<DeclarationRecord>> {
        declaration_sql::pg::declaration_by_lrn(self, declarant, lrn).await
    }

    async fn declarations(&self, q: &DeclarationQuery) -> Result<Vec<DeclarationRecord>> {
        declaration_sql::pg::declarations(self, q).await
    }

    async fn events(&self, mrn: &Mrn) -> Result<Vec<Event>> {
        declaration_sql::pg::events(self, mrn).await
    }

    async fn count_declarations(&self) -> Result<u64> {
        declaration_sql::pg::count_declarations(self).await
    }

    // --- notifications (webhook_sql.rs) ----------------------------------

    async fn notifications(
        &self,
        recipient: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        webhook_sql::pg::notifications(self, recipient, after, limit).await
    }

    async fn set_webhook(&self, operator: &Eori, url: Option<&str>) -> Result<()> {
        webhook_sql::pg::set_webhook(self, operator, url).await
    }

    async fn webhooks(&self) -> Result<Vec<(Eori, String, i64)>> {
        webhook_sql::pg::webhooks(self).await
    }

    async fn set_signed_webhook(&self, operator: &Eori, url: &str, secret: &str) -> Result<()> {
        webhook_sql::pg::set_signed_webhook(self, operator, url, secret).await
    }

    async fn webhook_secret(&self, operator: &Eori) -> Result<Option<String>> {
        webhook_sql::pg::webhook_secret(self, operator).await
    }

    async fn set_webhook_cursor(&self, operator: &Eori, delivered_up_to: i64) -> Result<()> {
        webhook_sql::pg::set_webhook_cursor(self, operator, delivered_up_to).await
    }

    // --- selectivity (selectivity_sql.rs) and audit (audit_sql.rs) -------

    async fn put_criterion(&self, c: &SelectivityCriterion) -> Result<()> {
        selectivity_sql::pg::put_criterion(self, c).await
    }

    async fn criteria(&self) -> Result<Vec<SelectivityCriterion>> {
        selectivity_sql::pg::criteria(self).await
    }

    async fn random_selection(&self) -> Result<Option<RandomSelection>> {
        selectivity_sql::pg::random_selection(self).await
    }

    async fn set_random_selection(&self, r: &RandomSelection) -> Result<()> {
        selectivity_sql::pg::set_random_selection(self, r).await
    }

    async fn append_audit(
        &self,
        actor: &str,
        action: &str,
        at: OffsetDateTime,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        audit_sql::pg::append_audit(self, actor, action, at, payload).await
    }

    async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        audit_sql::pg::audit_log(self, after, limit).await
    }

    // --- tariff and ledger (ledger_sql/store.rs) -------------------------

    async fn put_tariff(&self, name: &str, body: &str, at: OffsetDateTime) -> Result<(i64, bool)> {
        ledger_store::pg::put_tariff(self, name, body, at).await
    }

    async fn quota_drawn(&self) -> Result<Vec<crate::QuotaDrawRecord>> {
        ledger_store::pg::quota_drawn(self).await
    }

    async fn tariff(&self) -> Result<Option<StoredTariff>> {
        ledger_store::pg::tariff(self).await
    }

    async fn ensure_ledger_account(
        &self,
        owner: &Eori,
        kind: AccountKind,
        currency: &CurrencyCode,
        at: OffsetDateTime,
    ) -> Result<LedgerAccount> {
        ledger_store::pg::ensure_ledger_account(self, owner, kind, currency, at).await
    }

    async fn ledger_account(&self, id: AccountId) -> Result<Option<LedgerAccount>> {
        ledger_store::pg::ledger_account(self, id).await
    }

    async fn ledger_accounts(&self, owner: Option<&Eori>) -> Result<Vec<LedgerAccount>> {
        ledger_store::pg::ledger_accounts(self, owner).await
    }

    async fn ledger_account_by_payment_reference(
        &self,
        payment_reference: &str,
    ) -> Result<Option<LedgerAccount>> {
        ledger_store::pg::ledger_account_by_payment_reference(self, payment_reference).await
    }

    async fn ledger(&self, ops: &[LedgerOp], at: OffsetDateTime) -> Result<Vec<LedgerOutcome>> {
        ledger_store::pg::ledger(self, ops, at).await
    }

    async fn reservation(&self, mrn: &Mrn) -> Result<Option<Reservation>> {
        ledger_store::pg::reservation(self, mrn).await
    }

    async fn refund(&self, id: RefundId) -> Result<Option<Refund>> {
        ledger_store::pg::refund(self, id).await
    }

    async fn refunds(&self, account: AccountId) -> Result<Vec<Refund>> {
        ledger_store::pg::refunds(self, account).await
    }

    async fn statement(
        &self,
        account: AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Option<StatementData>> {
        ledger_store::pg::statement(self, account, from, to).await
    }

    async fn ledger_check(&self) -> Result<LedgerCheck> {
        ledger_store::pg::ledger_check(self).await
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, PgConnection};

    use crate::testing::TestDb;

    async fn try_lock(c: &mut PgConnection, key: i64) -> bool {
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(key)
            .fetch_one(c)
            .await
            .unwrap()
    }

    /// A `?` inside a string literal is text to the server, not a
    /// parameter: the rewritten SQL takes exactly the two bound values.
    #[tokio::test]
    #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
    async fn a_question_mark_in_a_literal_is_not_a_parameter() {
        let db = TestDb::postgres_variant().await;
        let mut c = PgConnection::connect(&db.url).await.unwrap();
        let sql = crate::placeholders::numbered(
            "SELECT 'why?' || ? || E'\\'?' || \"?\".x || ? FROM (SELECT '?' AS x) AS \"?\"",
        );
        let v: String = sqlx::query_scalar(&sql)
            .bind("a")
            .bind("b")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(v, "why?a'??b");
    }

    /// The batch's keys, taken by one statement, are all held until its
    /// transaction ends, and only then free for another.
    #[tokio::test]
    #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
    async fn one_statement_holds_every_key_until_the_transaction_ends() {
        let db = TestDb::postgres_variant().await;
        let mut a = PgConnection::connect(&db.url).await.unwrap();
        let mut b = PgConnection::connect(&db.url).await.unwrap();
        let keys = [-7_i64, 3, 11, 4_000_000_000];
        let mut tx = a.begin().await.unwrap();
        super::ledger_impl::pg_lock(&mut tx, &keys, &[])
            .await
            .unwrap();
        // Nothing to take for an empty batch.
        super::ledger_impl::pg_lock(&mut tx, &[], &[])
            .await
            .unwrap();
        for k in keys {
            let mut other = b.begin().await.unwrap();
            assert!(!try_lock(&mut other, k).await, "key {k} is held");
            other.rollback().await.unwrap();
        }
        let mut other = b.begin().await.unwrap();
        assert!(
            try_lock(&mut other, 12).await,
            "a key not in the batch is free"
        );
        other.rollback().await.unwrap();
        tx.commit().await.unwrap();
        let mut other = b.begin().await.unwrap();
        for k in keys {
            assert!(
                try_lock(&mut other, k).await,
                "key {k} is free after commit"
            );
        }
        other.rollback().await.unwrap();
        a.close().await.unwrap();
        b.close().await.unwrap();
    }
}
