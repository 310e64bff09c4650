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

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection as _, QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Lrn, Mrn};
use tamga_core::lifecycle::Event;
use tamga_core::reference::ReferenceBundle;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};

use crate::codec::{
    self, exists_or, from_json, nanos, to_json, DECLARATION_COLUMNS, EVENT_COLUMNS,
    NOTIFICATION_COLUMNS, RANDOM_SELECTION_KEY, SQLITE_MAX_PARAMS,
};
use crate::group_commit::{self, PreparedKind};
use crate::payment_sql;

use crate::{
    AuditEntry, Committed, DeclarationQuery, DeclarationRecord, LoadReport, Notification, Operator,
    Principal, Result, SigningKeyRecord, Store, StoreError, User, Write, WriteOutcome,
};
use tamga_core::codes::CurrencyCode;
use tamga_core::ledger::{AccountId, AccountKind, LedgerOp, LedgerOutcome, RefundId};

use crate::ledger_sql::{self, sqlx_value::V, MetaCache};
use crate::{LedgerAccount, LedgerCheck, Refund, Reservation, StatementData, StoredTariff};

mod ledger_impl {
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
    meta: MetaCache,
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

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
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

async fn upsert<'a, T>(
    conn: &mut SqliteConnection,
    table: &str,
    cols: &[&str],
    key: &[&str],
    rows: &'a [T],
    mut bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> Result<u64> {
    let mut changed = 0;
    let tail = codec::upsert_tail(table, cols, key, "IS NOT");
    // Reference data loads once: its statements are not kept.
    for chunk in rows.chunks(SQLITE_MAX_PARAMS / cols.len()) {
        let mut qb =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} ({}) ", cols.join(", ")));
        qb.push_values(chunk, |mut b, r| bind(&mut b, r));
        qb.push(&tail);
        changed += qb
            .build()
            .persistent(false)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(changed)
}

codec::load_reference_fn!(SqliteConnection);

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

    async fn load_reference(&self, b: &ReferenceBundle) -> Result<LoadReport> {
        let mut tx = self.begin().await?;
        let changed = load_reference_rows(&mut tx, b).await?;
        tx.commit().await?;
        Ok(LoadReport { changed })
    }

    async fn reference(&self) -> Result<ReferenceBundle> {
        let mut c = self.reader.acquire().await?;
        // One read transaction: a consistent snapshot of all tables.
        sqlx::query("BEGIN").execute(&mut *c).await?;
        let r = read_reference(&mut c).await;
        sqlx::query("COMMIT").execute(&mut *c).await?;
        r
    }

    async fn create_operator(&self, op: &Operator) -> Result<()> {
        sqlx::query("INSERT INTO operators (id, name, created_at) VALUES (?, ?, ?)")
            .bind(op.id.as_str())
            .bind(&op.name)
            .bind(nanos(op.created_at)?)
            .execute(&self.writer)
            .await
            .map_err(|e| exists_or(e, format!("operator {}", op.id)))?;
        Ok(())
    }

    async fn operator(&self, id: &Eori) -> Result<Option<Operator>> {
        sqlx::query("SELECT id, name, created_at FROM operators WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await?
            .map(|r| codec::operator(&r))
            .transpose()
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (username, name, operator_id, active, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&user.username)
        .bind(&user.name)
        .bind(user.operator.as_ref().map(|o| o.as_str()))
        .bind(user.active)
        .bind(nanos(user.created_at)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| exists_or(e, format!("user {}", user.username)))?;
        for role in &user.roles {
            sqlx::query(
                "INSERT INTO user_roles (username, role) VALUES (?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(&user.username)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        }
        for (i, o) in user.offices.iter().enumerate() {
            sqlx::query("INSERT INTO user_offices (username, position, office) VALUES (?, ?, ?)")
                .bind(&user.username)
                .bind(i as i64)
                .bind(o.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        let mut c = self.reader.acquire().await?;
        let Some(r) = sqlx::query(
            "SELECT username, name, operator_id, active, created_at FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&mut *c)
        .await?
        else {
            return Ok(None);
        };
        let offices =
            sqlx::query("SELECT office FROM user_offices WHERE username = ? ORDER BY position")
                .bind(username)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|r| codec::office(r.try_get("office")?))
                .collect::<Result<_>>()?;
        let mut roles = sqlx::query("SELECT role FROM user_roles WHERE username = ?")
            .bind(username)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| codec::role(r.try_get("role")?))
            .collect::<Result<Vec<_>>>()?;
        roles.sort();
        let operator: Option<String> = r.try_get("operator_id")?;
        Ok(Some(User {
            username: r.try_get("username")?,
            name: r.try_get("name")?,
            roles,
            operator: operator.map(codec::eori).transpose()?,
            offices,
            active: r.try_get("active")?,
            created_at: codec::from_nanos(r.try_get("created_at")?)?,
        }))
    }

    async fn has_parties(&self) -> Result<bool> {
        let r = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM operators) AS any_party",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(r.try_get("any_party")?)
    }

    async fn add_token(
        &self,
        token_sha256: &str,
        principal: &Principal,
        label: &str,
    ) -> Result<()> {
        let (kind, operator_id, username) = match principal {
            Principal::Operator { id } => ("operator", Some(id.as_str()), None),
            Principal::User { username } => ("user", None, Some(username.as_str())),
        };
        sqlx::query(
            "INSERT INTO api_tokens (token_sha256, kind, operator_id, username, label, created_at, id) VALUES (?, ?, ?, ?, ?, ?, substr(?, 1, 16))",
        )
        .bind(token_sha256)
        .bind(kind)
        .bind(operator_id)
        .bind(username)
        .bind(label)
        .bind(nanos(OffsetDateTime::now_utc())?)
        .bind(token_sha256)
        .execute(&self.writer)
        .await
        .map_err(|e| exists_or(e, "token"))?;
        Ok(())
    }

    async fn principal_for_token(&self, token_sha256: &str) -> Result<Option<Principal>> {
        sqlx::query("SELECT kind, operator_id, username FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)")
            .bind(token_sha256)
            .bind(nanos(OffsetDateTime::now_utc())?)
            .fetch_optional(&self.reader)
            .await?
            .map(|r| codec::principal(&r))
            .transpose()
    }

    async fn add_signing_key(&self, key: &SigningKeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (key_id, operator, public_key, created_at, revoked) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&key.key_id)
        .bind(key.operator.as_str())
        .bind(&key.public_key)
        .bind(nanos(key.created_at)?)
        .bind(key.revoked)
        .execute(&self.writer)
        .await
        .map_err(|e| exists_or(e, format!("signing key {}", key.key_id)))?;
        Ok(())
    }

    async fn signing_keys(&self, operator: &Eori) -> Result<Vec<SigningKeyRecord>> {
        sqlx::query(
            "SELECT key_id, operator, public_key, created_at, revoked FROM signing_keys WHERE operator = ? ORDER BY created_at, key_id",
        )
        .bind(operator.as_str())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(codec::signing_key)
        .collect()
    }

    async fn reserve_sequence(&self, name: &str, n: u64) -> Result<u64> {
        let n = i64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("cannot reserve {n} values")))?;
        let next: i64 = sqlx::query(
            "INSERT INTO counters (name, next) VALUES (?, 1 + ?) \
             ON CONFLICT (name) DO UPDATE SET next = counters.next + excluded.next - 1 \
             RETURNING next",
        )
        .bind(name)
        .bind(n)
        .fetch_one(&self.writer)
        .await?
        .try_get("next")?;
        Ok((next - n) as u64)
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
        sqlx::query(&format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE mrn = ?"
        ))
        .bind(mrn.as_str())
        .fetch_optional(&self.reader)
        .await?
        .map(|r| codec::declaration(&r))
        .transpose()
    }

    async fn declaration_by_lrn(
        &self,
        declarant: &Eori,
        lrn: &Lrn,
    ) -> Result<Option<DeclarationRecord>> {
        sqlx::query(&format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE declarant = ? AND lrn = ?"
        ))
        .bind(declarant.as_str())
        .bind(lrn.as_str())
        .fetch_optional(&self.reader)
        .await?
        .map(|r| codec::declaration(&r))
        .transpose()
    }

    async fn declarations(&self, q: &DeclarationQuery) -> Result<Vec<DeclarationRecord>> {
        if q.offices.as_ref().is_some_and(Vec::is_empty)
            || q.states.as_ref().is_some_and(Vec::is_empty)
        {
            return Ok(Vec::new());
        }
        // The other filters, after a first condition.
        fn filters<'a>(qb: &mut QueryBuilder<'a, Sqlite>, q: &'a DeclarationQuery) {
            if let Some(offices) = &q.offices {
                qb.push(" AND office IN (");
                let mut sep = qb.separated(", ");
                for o in offices {
                    sep.push_bind(o.as_str());
                }
                qb.push(")");
            }
            if let Some(states) = &q.states {
                qb.push(" AND state IN (");
                let mut sep = qb.separated(", ");
                for s in states {
                    sep.push_bind(s.as_str());
                }
                qb.push(")");
            }
            if let Some(m) = &q.before {
                qb.push(" AND id < (SELECT id FROM declarations WHERE mrn = ")
                    .push_bind(m.as_str())
                    .push(")");
            }
        }
        let limit = i64::from(q.limit);
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE "
        ));
        match &q.party {
            // A party's newest as declarant and as representative, each
            // read down its own index, then merged.
            Some(p) => {
                qb.push("id IN (SELECT id FROM (SELECT id FROM declarations WHERE declarant = ")
                    .push_bind(p.as_str());
                filters(&mut qb, q);
                qb.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(limit)
                    .push(") UNION ALL SELECT id FROM (SELECT id FROM declarations WHERE representative = ")
                    .push_bind(p.as_str());
                filters(&mut qb, q);
                qb.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(limit)
                    .push("))");
            }
            None => {
                qb.push("1 = 1");
                filters(&mut qb, q);
            }
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        qb.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(codec::declaration)
            .collect()
    }

    async fn events(&self, mrn: &Mrn) -> Result<Vec<Event>> {
        sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE mrn = ? ORDER BY seq"
        ))
        .bind(mrn.as_str())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(codec::event)
        .collect()
    }

    async fn count_declarations(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM declarations")
            .fetch_one(&self.reader)
            .await?
            .try_get("n")?;
        Ok(n as u64)
    }

    async fn notifications(
        &self,
        recipient: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE recipient = ? AND id > ? ORDER BY id LIMIT ?"
        ))
        .bind(recipient.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(codec::notification)
        .collect()
    }

    async fn set_webhook(&self, operator: &Eori, url: Option<&str>) -> Result<()> {
        match url {
            Some(url) => sqlx::query(
                "INSERT INTO webhooks (operator, url, delivered_up_to) \
                 VALUES (?, ?, (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE recipient = ?)) \
                 ON CONFLICT (operator) DO UPDATE SET url = excluded.url, secret = NULL",
            )
            .bind(operator.as_str())
            .bind(url)
            .bind(operator.as_str()),
            None => sqlx::query("DELETE FROM webhooks WHERE operator = ?").bind(operator.as_str()),
        }
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn webhooks(&self) -> Result<Vec<(Eori, String, i64)>> {
        sqlx::query("SELECT operator, url, delivered_up_to FROM webhooks ORDER BY operator")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    codec::eori(r.try_get("operator")?)?,
                    r.try_get("url")?,
                    r.try_get("delivered_up_to")?,
                ))
            })
            .collect()
    }

    async fn set_signed_webhook(&self, operator: &Eori, url: &str, secret: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhooks (operator, url, delivered_up_to, secret) \
             VALUES (?, ?, (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE recipient = ?), ?) \
             ON CONFLICT (operator) DO UPDATE SET url = excluded.url, secret = excluded.secret",
        )
        .bind(operator.as_str())
        .bind(url)
        .bind(operator.as_str())
        .bind(secret)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn webhook_secret(&self, operator: &Eori) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT secret FROM webhooks WHERE operator = ?",
        )
        .bind(operator.as_str())
        .fetch_optional(&self.reader)
        .await?
        .flatten())
    }

    async fn set_webhook_cursor(&self, operator: &Eori, delivered_up_to: i64) -> Result<()> {
        sqlx::query("UPDATE webhooks SET delivered_up_to = ? WHERE operator = ?")
            .bind(delivered_up_to)
            .bind(operator.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn put_criterion(&self, c: &SelectivityCriterion) -> Result<()> {
        sqlx::query(
            "INSERT INTO selectivity_criteria (id, criterion) VALUES (?, ?) \
             ON CONFLICT (id) DO UPDATE SET criterion = excluded.criterion",
        )
        .bind(&c.id)
        .bind(to_json(c)?)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn criteria(&self) -> Result<Vec<SelectivityCriterion>> {
        sqlx::query("SELECT criterion FROM selectivity_criteria ORDER BY id")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(codec::criterion)
            .collect()
    }

    async fn random_selection(&self) -> Result<Option<RandomSelection>> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(RANDOM_SELECTION_KEY)
            .fetch_optional(&self.reader)
            .await?;
        v.map(|v| from_json("random selection", &v)).transpose()
    }

    async fn set_random_selection(&self, r: &RandomSelection) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(RANDOM_SELECTION_KEY)
            .bind(to_json(r)?)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn append_audit(
        &self,
        actor: &str,
        action: &str,
        at: OffsetDateTime,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(actor)
        .bind(action)
        .bind(nanos(at)?)
        .bind(to_json(payload)?)
        .fetch_one(&self.writer)
        .await?;
        Ok(id)
    }

    async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, actor, action, at, payload FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(codec::audit)
        .collect()
    }
    // --- ledger -----------------------------------------------------------

    async fn put_tariff(&self, name: &str, body: &str, at: OffsetDateTime) -> Result<(i64, bool)> {
        let mut tx = self.begin().await?;
        let out = ledger_impl::put_tariff(&mut tx, name, body, nanos(at)?).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn quota_drawn(&self) -> Result<Vec<crate::QuotaDrawRecord>> {
        ledger_impl::quota_drawn(&mut *self.reader.acquire().await?).await
    }

    async fn tariff(&self) -> Result<Option<StoredTariff>> {
        ledger_impl::tariff(&mut *self.reader.acquire().await?).await
    }

    async fn ensure_ledger_account(
        &self,
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
            let mut c = self.reader.acquire().await?;
            if let Some(a) =
                ledger_impl::account_by_key(&mut c, owner.as_str(), kind, currency.as_str()).await?
            {
                return Ok(a);
            }
        }
        let mut tx = self.begin().await?;
        ledger_impl::ensure_account(&mut tx, owner, kind, currency, nanos(at)?).await?;
        let a = ledger_impl::account_by_key(&mut tx, owner.as_str(), kind, currency.as_str())
            .await?
            .ok_or_else(|| StoreError::Corrupt("account not created".into()))?;
        tx.commit().await?;
        Ok(a)
    }

    async fn ledger_account(&self, id: AccountId) -> Result<Option<LedgerAccount>> {
        let mut c = self.reader.acquire().await?;
        Ok(ledger_impl::account_by(&mut c, "id", V::I(id)).await?.pop())
    }

    async fn ledger_accounts(&self, owner: Option<&Eori>) -> Result<Vec<LedgerAccount>> {
        let mut c = self.reader.acquire().await?;
        ledger_impl::account_by(&mut c, "owner", V::S(owner.map_or("", |o| o.as_str()))).await
    }

    async fn ledger_account_by_payment_reference(
        &self,
        payment_reference: &str,
    ) -> Result<Option<LedgerAccount>> {
        let mut c = self.reader.acquire().await?;
        Ok(
            ledger_impl::account_by(&mut c, "payment_reference", V::S(payment_reference))
                .await?
                .pop(),
        )
    }

    async fn ledger(&self, ops: &[LedgerOp], at: OffsetDateTime) -> Result<Vec<LedgerOutcome>> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let at = nanos(at)?;
        let mut tx = self.begin().await?;
        let out =
            ledger_sql::apply(&mut ledger_impl::LedgerConn(&mut tx), &self.meta, ops, at).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn reservation(&self, mrn: &Mrn) -> Result<Option<Reservation>> {
        let mut c = self.reader.acquire().await?;
        ledger_impl::reservation(&mut c, mrn).await
    }

    async fn refund(&self, id: RefundId) -> Result<Option<Refund>> {
        let mut c = self.reader.acquire().await?;
        Ok(ledger_impl::refunds(&mut c, "id", id).await?.pop())
    }

    async fn refunds(&self, account: AccountId) -> Result<Vec<Refund>> {
        let mut c = self.reader.acquire().await?;
        ledger_impl::refunds(&mut c, "account", account).await
    }

    async fn statement(
        &self,
        account: AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Option<StatementData>> {
        let (from, to) = (nanos(from)?, nanos(to)?);
        let mut c = self.reader.begin().await?;
        let s = ledger_impl::statement(&mut c, account, from, to).await?;
        c.commit().await?;
        Ok(s)
    }

    async fn ledger_check(&self) -> Result<LedgerCheck> {
        let mut c = self.reader.begin().await?;
        let r = ledger_impl::check(&mut c).await?;
        c.commit().await?;
        Ok(r)
    }
}

async fn read_reference(c: &mut SqliteConnection) -> Result<ReferenceBundle> {
    async fn all<T>(
        c: &mut SqliteConnection,
        sql: &str,
        f: fn(&sqlx::sqlite::SqliteRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        sqlx::query(sql)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(f)
            .collect()
    }
    Ok(ReferenceBundle {
        hs: all(c, codec::SQL_HS, codec::hs_entry).await?,
        countries: all(c, codec::SQL_COUNTRIES, codec::country).await?,
        currencies: all(c, codec::SQL_CURRENCIES, codec::currency).await?,
        procedures: all(c, codec::SQL_PROCEDURES, codec::procedure).await?,
        additional_procedures: all(c, codec::SQL_ADDITIONAL_PROCEDURES, |r| {
            codec::code_description(r)
        })
        .await?,
        procedure_combinations: all(c, codec::SQL_COMBINATIONS, |r| {
            Ok((r.try_get("procedure")?, r.try_get("additional_procedure")?))
        })
        .await?,
        document_types: all(c, codec::SQL_DOCUMENT_TYPES, codec::code_description).await?,
        procedure_documents: all(c, codec::SQL_PROCEDURE_DOCUMENTS, |r| {
            codec::procedure_document(r)
        })
        .await?,
        offices: all(c, codec::SQL_OFFICES, codec::office_row).await?,
    })
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
