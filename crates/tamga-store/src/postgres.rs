//! The PostgreSQL store.
//!
//! A `PgPool`; group commits insert each table's rows with one statement
//! over `unnest`ed arrays. Transactions that add notifications take a
//! transaction-scoped advisory lock, so notification ids (the pull cursor)
//! become visible in increasing order and a reader never skips one.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::query_builder::Separated;
use sqlx::Connection;
use sqlx::{Postgres, QueryBuilder, Row};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Lrn, Mrn};
use tamga_core::lifecycle::Event;
use tamga_core::reference::ReferenceBundle;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};

use crate::codec::{
    self, exists_or, from_json, nanos, to_json, DECLARATION_COLUMNS, EVENT_COLUMNS,
    NOTIFICATION_COLUMNS, RANDOM_SELECTION_KEY,
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
const PG_MAX_PARAMS: usize = 65_000;

/// Advisory lock key serializing group commits ("tamga" in ASCII).
pub(crate) const COMMIT_LOCK: i64 = 0x74_61_6d_67_61;

pub struct PgStore {
    pub(crate) pool: PgPool,
    /// Kind and currency of ledger accounts (immutable), by id.
    meta: MetaCache,
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

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>> {
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

async fn upsert<'a, T>(
    conn: &mut PgConnection,
    table: &str,
    cols: &[&str],
    key: &[&str],
    rows: &'a [T],
    mut bind: impl FnMut(&mut Separated<'_, 'a, Postgres, &'static str>, &'a T),
) -> Result<u64> {
    let mut changed = 0;
    let tail = codec::upsert_tail(table, cols, key, "IS DISTINCT FROM");
    for chunk in rows.chunks(PG_MAX_PARAMS / cols.len()) {
        let mut qb =
            QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({}) ", cols.join(", ")));
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

codec::load_reference_fn!(PgConnection);

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn load_reference(&self, b: &ReferenceBundle) -> Result<LoadReport> {
        let mut tx = self.begin().await?;
        let changed = load_reference_rows(&mut tx, b).await?;
        tx.commit().await?;
        Ok(LoadReport { changed })
    }

    async fn reference(&self) -> Result<ReferenceBundle> {
        let mut tx = self.pool.begin().await?;
        // One snapshot of all tables.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let r = read_reference(&mut tx).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn create_operator(&self, op: &Operator) -> Result<()> {
        sqlx::query("INSERT INTO operators (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(op.id.as_str())
            .bind(&op.name)
            .bind(nanos(op.created_at)?)
            .execute(&self.pool)
            .await
            .map_err(|e| exists_or(e, format!("operator {}", op.id)))?;
        Ok(())
    }

    async fn operator(&self, id: &Eori) -> Result<Option<Operator>> {
        sqlx::query("SELECT id, name, created_at FROM operators WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| codec::operator(&r))
            .transpose()
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (username, name, operator_id, active, created_at) VALUES ($1, $2, $3, $4, $5)",
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
                "INSERT INTO user_roles (username, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(&user.username)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        }
        for (i, o) in user.offices.iter().enumerate() {
            sqlx::query(
                "INSERT INTO user_offices (username, position, office) VALUES ($1, $2, $3)",
            )
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
        let mut c = self.pool.acquire().await?;
        let Some(r) = sqlx::query(
            "SELECT username, name, operator_id, active, created_at FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&mut *c)
        .await?
        else {
            return Ok(None);
        };
        let offices =
            sqlx::query("SELECT office FROM user_offices WHERE username = $1 ORDER BY position")
                .bind(username)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|r| codec::office(r.try_get("office")?))
                .collect::<Result<_>>()?;
        let mut roles = sqlx::query("SELECT role FROM user_roles WHERE username = $1")
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
        .fetch_one(&self.pool)
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
            "INSERT INTO api_tokens (token_sha256, kind, operator_id, username, label, created_at, id) VALUES ($1, $2, $3, $4, $5, $6, substr($1, 1, 16))",
        )
        .bind(token_sha256)
        .bind(kind)
        .bind(operator_id)
        .bind(username)
        .bind(label)
        .bind(nanos(OffsetDateTime::now_utc())?)
        .execute(&self.pool)
        .await
        .map_err(|e| exists_or(e, "token"))?;
        Ok(())
    }

    async fn principal_for_token(&self, token_sha256: &str) -> Result<Option<Principal>> {
        sqlx::query("SELECT kind, operator_id, username FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)")
            .bind(token_sha256)
            .bind(nanos(OffsetDateTime::now_utc())?)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| codec::principal(&r))
            .transpose()
    }

    async fn add_signing_key(&self, key: &SigningKeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (key_id, operator, public_key, created_at, revoked) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.key_id)
        .bind(key.operator.as_str())
        .bind(&key.public_key)
        .bind(nanos(key.created_at)?)
        .bind(key.revoked)
        .execute(&self.pool)
        .await
        .map_err(|e| exists_or(e, format!("signing key {}", key.key_id)))?;
        Ok(())
    }

    async fn signing_keys(&self, operator: &Eori) -> Result<Vec<SigningKeyRecord>> {
        sqlx::query(
            "SELECT key_id, operator, public_key, created_at, revoked FROM signing_keys WHERE operator = $1 ORDER BY created_at, key_id",
        )
        .bind(operator.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(codec::signing_key)
        .collect()
    }

    async fn reserve_sequence(&self, name: &str, n: u64) -> Result<u64> {
        let n = i64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("cannot reserve {n} values")))?;
        let next: i64 = sqlx::query(
            "INSERT INTO counters (name, next) VALUES ($1, 1 + $2) \
             ON CONFLICT (name) DO UPDATE SET next = counters.next + excluded.next - 1 \
             RETURNING next",
        )
        .bind(name)
        .bind(n)
        .fetch_one(&self.pool)
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
        sqlx::query(&format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE mrn = $1"
        ))
        .bind(mrn.as_str())
        .fetch_optional(&self.pool)
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
            "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE declarant = $1 AND lrn = $2"
        ))
        .bind(declarant.as_str())
        .bind(lrn.as_str())
        .fetch_optional(&self.pool)
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
        fn filters<'a>(qb: &mut QueryBuilder<'a, Postgres>, q: &'a DeclarationQuery) {
            if let Some(offices) = &q.offices {
                qb.push(" AND office = ANY(")
                    .push_bind(offices.iter().map(|o| o.as_str()).collect::<Vec<_>>())
                    .push(")");
            }
            if let Some(states) = &q.states {
                qb.push(" AND state = ANY(")
                    .push_bind(states.iter().map(|s| s.as_str()).collect::<Vec<_>>())
                    .push(")");
            }
            if let Some(m) = &q.before {
                qb.push(" AND id < (SELECT id FROM declarations WHERE mrn = ")
                    .push_bind(m.as_str())
                    .push(")");
            }
        }
        let limit = i64::from(q.limit);
        let mut qb = QueryBuilder::<Postgres>::new(format!(
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
                    .push(") a UNION ALL SELECT id FROM (SELECT id FROM declarations WHERE representative = ")
                    .push_bind(p.as_str());
                filters(&mut qb, q);
                qb.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(limit)
                    .push(") b)");
            }
            None => {
                qb.push("1 = 1");
                filters(&mut qb, q);
            }
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(codec::declaration)
            .collect()
    }

    async fn events(&self, mrn: &Mrn) -> Result<Vec<Event>> {
        sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE mrn = $1 ORDER BY seq"
        ))
        .bind(mrn.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(codec::event)
        .collect()
    }

    async fn count_declarations(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM declarations")
            .fetch_one(&self.pool)
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
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE recipient = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(recipient.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(codec::notification)
        .collect()
    }

    async fn set_webhook(&self, operator: &Eori, url: Option<&str>) -> Result<()> {
        match url {
            Some(url) => sqlx::query(
                "INSERT INTO webhooks (operator, url, delivered_up_to) \
                 VALUES ($1, $2, (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE recipient = $1)) \
                 ON CONFLICT (operator) DO UPDATE SET url = excluded.url, secret = NULL",
            )
            .bind(operator.as_str())
            .bind(url),
            None => sqlx::query("DELETE FROM webhooks WHERE operator = $1").bind(operator.as_str()),
        }
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn webhooks(&self) -> Result<Vec<(Eori, String, i64)>> {
        sqlx::query("SELECT operator, url, delivered_up_to FROM webhooks ORDER BY operator")
            .fetch_all(&self.pool)
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
             VALUES ($1, $2, (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE recipient = $1), $3) \
             ON CONFLICT (operator) DO UPDATE SET url = excluded.url, secret = excluded.secret",
        )
        .bind(operator.as_str())
        .bind(url)
        .bind(secret)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn webhook_secret(&self, operator: &Eori) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT secret FROM webhooks WHERE operator = $1",
        )
        .bind(operator.as_str())
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    async fn set_webhook_cursor(&self, operator: &Eori, delivered_up_to: i64) -> Result<()> {
        sqlx::query("UPDATE webhooks SET delivered_up_to = $1 WHERE operator = $2")
            .bind(delivered_up_to)
            .bind(operator.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_criterion(&self, c: &SelectivityCriterion) -> Result<()> {
        sqlx::query(
            "INSERT INTO selectivity_criteria (id, criterion) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET criterion = excluded.criterion",
        )
        .bind(&c.id)
        .bind(to_json(c)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn criteria(&self) -> Result<Vec<SelectivityCriterion>> {
        sqlx::query("SELECT criterion FROM selectivity_criteria ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(codec::criterion)
            .collect()
    }

    async fn random_selection(&self) -> Result<Option<RandomSelection>> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(RANDOM_SELECTION_KEY)
            .fetch_optional(&self.pool)
            .await?;
        v.map(|v| from_json("random selection", &v)).transpose()
    }

    async fn set_random_selection(&self, r: &RandomSelection) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(RANDOM_SELECTION_KEY)
            .bind(to_json(r)?)
            .execute(&self.pool)
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
        let id: i64 = sqlx::query_scalar("INSERT INTO audit_log (actor, action, at, payload) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(actor)
            .bind(action)
            .bind(nanos(at)?)
            .bind(to_json(payload)?)
            .fetch_one(&self.pool)
            .await?;
        Ok(id)
    }

    async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        sqlx::query("SELECT id, actor, action, at, payload FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
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
        ledger_impl::quota_drawn(&mut *self.pool.acquire().await?).await
    }

    async fn tariff(&self) -> Result<Option<StoredTariff>> {
        ledger_impl::tariff(&mut *self.pool.acquire().await?).await
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
            let mut c = self.pool.acquire().await?;
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
        let mut c = self.pool.acquire().await?;
        Ok(ledger_impl::account_by(&mut c, "id", V::I(id)).await?.pop())
    }

    async fn ledger_accounts(&self, owner: Option<&Eori>) -> Result<Vec<LedgerAccount>> {
        let mut c = self.pool.acquire().await?;
        ledger_impl::account_by(&mut c, "owner", V::S(owner.map_or("", |o| o.as_str()))).await
    }

    async fn ledger_account_by_payment_reference(
        &self,
        payment_reference: &str,
    ) -> Result<Option<LedgerAccount>> {
        let mut c = self.pool.acquire().await?;
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
        let mut c = self.pool.acquire().await?;
        ledger_impl::reservation(&mut c, mrn).await
    }

    async fn refund(&self, id: RefundId) -> Result<Option<Refund>> {
        let mut c = self.pool.acquire().await?;
        Ok(ledger_impl::refunds(&mut c, "id", id).await?.pop())
    }

    async fn refunds(&self, account: AccountId) -> Result<Vec<Refund>> {
        let mut c = self.pool.acquire().await?;
        ledger_impl::refunds(&mut c, "account", account).await
    }

    async fn statement(
        &self,
        account: AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Option<StatementData>> {
        let (from, to) = (nanos(from)?, nanos(to)?);
        let mut c = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *c)
            .await?;
        let s = ledger_impl::statement(&mut c, account, from, to).await?;
        c.commit().await?;
        Ok(s)
    }

    async fn ledger_check(&self) -> Result<LedgerCheck> {
        let mut c = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *c)
            .await?;
        let r = ledger_impl::check(&mut c).await?;
        c.commit().await?;
        Ok(r)
    }
}

async fn read_reference(c: &mut PgConnection) -> Result<ReferenceBundle> {
    async fn all<T>(
        c: &mut PgConnection,
        sql: &str,
        f: fn(&sqlx::postgres::PgRow) -> Result<T>,
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
