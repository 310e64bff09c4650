//! The ledger's SQL once for both backends: the `ledger_backend!` macro,
//! instantiated by `sqlite.rs` and `postgres.rs` with their connection
//! type, placeholder style and locking, gives a [`super::LedgerTx`] over the
//! backend's connection and the ledger's read queries.

/// The backend's ledger: a [`LedgerTx`] over its connection and the read
/// queries. `$sql` turns `?` placeholders into the backend's.
macro_rules! ledger_backend {
    ($db:ty, $conn:ty, $sql:path, $needs_locks:expr, $lock:path, $txn_ids:path) => {
        use sqlx::Row as _;
        use tamga_core::ledger::{
            AccountId as LAccountId, AccountKind as LAccountKind, Balances as LBalances,
            Bucket as LBucket, Movement as LMovement, RefundId as LRefundId,
            RefundStatus as LRefundStatus, ReservationStatus as LReservationStatus,
            TxnId as LTxnId, TxnKind as LTxnKind,
        };
        use $crate::ledger_sql::{
            EntryRow, LedgerTx, Meta, RefundRow, ResRow, TxnRow, ACCOUNT_COLUMNS,
        };

        pub(crate) struct LedgerConn<'c>(pub &'c mut $conn);

        fn corrupt_col(what: &str, v: &str) -> $crate::StoreError {
            $crate::StoreError::Corrupt(format!("bad stored {what} {v:?}"))
        }

        fn account_kind(s: &str) -> $crate::Result<LAccountKind> {
            LAccountKind::parse(s).ok_or_else(|| corrupt_col("account kind", s))
        }

        #[async_trait::async_trait]
        impl LedgerTx for LedgerConn<'_> {
            fn needs_locks(&self) -> bool {
                $needs_locks
            }
            async fn lock(&mut self, keys: &[i64], accounts: &[LAccountId]) -> $crate::Result<()> {
                $lock(&mut *self.0, keys, accounts).await
            }
            async fn meta(&mut self, id: LAccountId) -> $crate::Result<Option<Meta>> {
                let r = sqlx::query(&$sql("SELECT kind, currency FROM ledger_accounts WHERE id = ?"))
                    .bind(id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                r.map(|r| {
                    Ok(Meta {
                        kind: account_kind(r.try_get("kind")?)?,
                        currency: r.try_get("currency")?,
                    })
                })
                .transpose()
            }
            async fn last_seq(&mut self, mrn: &str) -> $crate::Result<Option<i64>> {
                Ok(sqlx::query_scalar(&$sql("SELECT last_seq FROM declarations WHERE mrn = ?"))
                    .bind(mrn)
                    .fetch_optional(&mut *self.0)
                    .await?)
            }
            async fn release_quota(&mut self, mrn: &str) -> $crate::Result<()> {
                sqlx::query(&$sql("DELETE FROM quota_draws WHERE mrn = ?"))
                    .bind(mrn)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }
            async fn quota_taken(
                &mut self,
                order_number: &str,
                period_from: &str,
            ) -> $crate::Result<rust_decimal::Decimal> {
                let rows: Vec<(String,)> = sqlx::query_as(&$sql(
                    "SELECT quantity FROM quota_draws WHERE order_number = ? AND period_from = ?",
                ))
                .bind(order_number)
                .bind(period_from)
                .fetch_all(&mut *self.0)
                .await?;
                let mut sum = rust_decimal::Decimal::ZERO;
                for (q,) in rows {
                    sum += q
                        .parse::<rust_decimal::Decimal>()
                        .map_err(|_| corrupt_col("quota quantity", &q))?;
                }
                Ok(sum)
            }
            async fn insert_quota(
                &mut self,
                rows: &[(&str, &$crate::QuotaDrawRecord)],
            ) -> $crate::Result<()> {
                for (mrn, q) in rows {
                    sqlx::query(&$sql(
                        "INSERT INTO quota_draws (mrn, order_number, period_from, quantity) VALUES (?, ?, ?, ?)",
                    ))
                    .bind(*mrn)
                    .bind(&q.order_number)
                    .bind(q.period_from.to_string())
                    .bind(q.quantity.to_string())
                    .execute(&mut *self.0)
                    .await?;
                }
                Ok(())
            }
            async fn balance(&mut self, id: LAccountId) -> $crate::Result<Option<(i64, i64)>> {
                Ok(sqlx::query_as(&$sql(
                    "SELECT available, reserved FROM ledger_accounts WHERE id = ?",
                ))
                .bind(id)
                .fetch_optional(&mut *self.0)
                .await?)
            }
            async fn by_payment_reference(&mut self, r: &str) -> $crate::Result<Option<LAccountId>> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT id FROM ledger_accounts WHERE payment_reference = ?",
                ))
                .bind(r)
                .fetch_optional(&mut *self.0)
                .await?)
            }
            async fn internal(
                &mut self,
                currency: &str,
                kind: LAccountKind,
            ) -> $crate::Result<Option<LAccountId>> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT id FROM ledger_accounts WHERE owner = '' AND kind = ? AND currency = ?",
                ))
                .bind(kind.as_str())
                .bind(currency)
                .fetch_optional(&mut *self.0)
                .await?)
            }
            async fn apply_all(&mut self, deltas: &[(LAccountId, i64, i64)]) -> $crate::Result<bool> {
                // With row locks to take (PostgreSQL), one statement per
                // account keeps them in the caller's order; otherwise one
                // statement for all, one round trip on the commit path.
                if $needs_locks {
                    for &(id, da, dr) in deltas {
                        let n = sqlx::query(&$sql(
                            "UPDATE ledger_accounts SET available = available + ?, reserved = reserved + ? \
                             WHERE id = ? AND available + ? >= 0 AND reserved + ? >= 0",
                        ))
                        .bind(da)
                        .bind(dr)
                        .bind(id)
                        .bind(da)
                        .bind(dr)
                        .execute(&mut *self.0)
                        .await?
                        .rows_affected();
                        if n != 1 {
                            return Ok(false);
                        }
                    }
                    return Ok(true);
                }
                for chunk in crate::codec::row_chunks::<$db, _>(deltas, 1000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("WITH d (id, da, dr) AS (");
                    qb.push_values(chunk, |mut b, (id, da, dr)| {
                        b.push_bind(*id).push_bind(*da).push_bind(*dr);
                    });
                    qb.push(
                        ") UPDATE ledger_accounts SET available = available + d.da, reserved = reserved + d.dr \
                         FROM d WHERE ledger_accounts.id = d.id \
                         AND ledger_accounts.available + d.da >= 0 AND ledger_accounts.reserved + d.dr >= 0",
                    );
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    let n = qb.build().persistent(keep).execute(&mut *self.0).await?.rows_affected();
                    if n != chunk.len() as u64 {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            async fn txn_ids(&mut self, n: usize) -> $crate::Result<Vec<LTxnId>> {
                $txn_ids(&mut *self.0, n).await
            }
            async fn insert_txns(&mut self, rows: &[TxnRow]) -> $crate::Result<()> {
                for chunk in crate::codec::row_chunks::<$db, _>(rows, 5000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ledger_txns (id, kind, at, mrn, reference, actor) ",
                    );
                    qb.push_values(chunk, |mut b, t| {
                        b.push_bind(t.id)
                            .push_bind(t.kind)
                            .push_bind(t.at)
                            .push_bind(t.mrn.as_deref())
                            .push_bind(t.reference.as_deref())
                            .push_bind(t.actor.as_deref());
                    });
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    qb.build().persistent(keep).execute(&mut *self.0).await?;
                }
                Ok(())
            }
            async fn insert_entries(&mut self, rows: &[EntryRow]) -> $crate::Result<()> {
                for chunk in crate::codec::row_chunks::<$db, _>(rows, 4000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ledger_entries (txn, account, bucket, amount, delta, at, mrn) ",
                    );
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(e.txn)
                            .push_bind(e.account)
                            .push_bind(e.bucket)
                            .push_bind(e.amount)
                            .push_bind(e.delta)
                            .push_bind(e.at)
                            .push_bind(e.mrn.as_deref());
                    });
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    qb.build().persistent(keep).execute(&mut *self.0).await?;
                }
                Ok(())
            }
            async fn deposit(
                &mut self,
                bank_reference: &str,
            ) -> $crate::Result<Option<(LAccountId, i64, LTxnId)>> {
                let r = sqlx::query(&$sql(
                    "SELECT account, amount, txn FROM ledger_deposits WHERE bank_reference = ?",
                ))
                .bind(bank_reference)
                .fetch_optional(&mut *self.0)
                .await?;
                r.map(|r| Ok((r.try_get("account")?, r.try_get("amount")?, r.try_get("txn")?)))
                    .transpose()
            }
            async fn insert_deposit(
                &mut self,
                bank_reference: &str,
                account: LAccountId,
                amount: i64,
                txn: LTxnId,
            ) -> $crate::Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO ledger_deposits (bank_reference, account, amount, txn) VALUES (?, ?, ?, ?)",
                ))
                .bind(bank_reference)
                .bind(account)
                .bind(amount)
                .bind(txn)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }
            async fn reservations(
                &mut self,
                mrns: &[&str],
            ) -> $crate::Result<Vec<(String, ResRow)>> {
                let mut out = Vec::with_capacity(mrns.len());
                for chunk in crate::codec::row_chunks::<$db, _>(mrns, 5000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT mrn, account, amount, status, txn, settle_txn FROM ledger_reservations WHERE mrn IN (",
                    );
                    let mut sep = qb.separated(", ");
                    for m in chunk {
                        sep.push_bind(*m);
                    }
                    qb.push(")");
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    for r in qb.build().persistent(keep).fetch_all(&mut *self.0).await? {
                        let status: String = r.try_get("status")?;
                        out.push((
                            r.try_get("mrn")?,
                            ResRow {
                                account: r.try_get("account")?,
                                amount: r.try_get("amount")?,
                                status: LReservationStatus::parse(&status)
                                    .ok_or_else(|| corrupt_col("reservation status", &status))?,
                                txn: r.try_get("txn")?,
                                settle_txn: r.try_get("settle_txn")?,
                            },
                        ));
                    }
                }
                Ok(out)
            }
            async fn put_reservations(&mut self, rows: &[(&str, &ResRow)]) -> $crate::Result<()> {
                for chunk in crate::codec::row_chunks::<$db, _>(rows, 5000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ledger_reservations (mrn, account, amount, status, txn, settle_txn) ",
                    );
                    qb.push_values(chunk, |mut b, (m, r)| {
                        b.push_bind(*m)
                            .push_bind(r.account)
                            .push_bind(r.amount)
                            .push_bind(r.status.as_str())
                            .push_bind(r.txn)
                            .push_bind(r.settle_txn);
                    });
                    qb.push(
                        " ON CONFLICT (mrn) DO UPDATE SET account = excluded.account, amount = excluded.amount, \
                         status = excluded.status, txn = excluded.txn, settle_txn = excluded.settle_txn",
                    );
                    let keep = crate::codec::keep_prepared::<$db>(chunk.len());
                    qb.build().persistent(keep).execute(&mut *self.0).await?;
                }
                Ok(())
            }
            async fn refund(&mut self, id: LRefundId) -> $crate::Result<Option<RefundRow>> {
                let r = sqlx::query(&$sql(
                    "SELECT account, amount, status FROM ledger_refunds WHERE id = ?",
                ))
                .bind(id)
                .fetch_optional(&mut *self.0)
                .await?;
                r.map(|r| {
                    let status: String = r.try_get("status")?;
                    Ok(RefundRow {
                        account: r.try_get("account")?,
                        amount: r.try_get("amount")?,
                        status: LRefundStatus::parse(&status)
                            .ok_or_else(|| corrupt_col("refund status", &status))?,
                    })
                })
                .transpose()
            }
            async fn insert_refund(
                &mut self,
                txn: LTxnId,
                account: LAccountId,
                amount: i64,
            ) -> $crate::Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO ledger_refunds (id, account, amount, status, txn) VALUES (?, ?, ?, 'pending', ?)",
                ))
                .bind(txn)
                .bind(account)
                .bind(amount)
                .bind(txn)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }
            async fn decide_refund(
                &mut self,
                id: LRefundId,
                status: LRefundStatus,
                txn: LTxnId,
                officer: &str,
            ) -> $crate::Result<()> {
                sqlx::query(&$sql(
                    "UPDATE ledger_refunds SET status = ?, decide_txn = ?, decided_by = ? WHERE id = ?",
                ))
                .bind(status.as_str())
                .bind(txn)
                .bind(officer)
                .bind(id)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }
        }

        // --- reads ------------------------------------------------------------

        fn account_row(r: &<$db as sqlx::Database>::Row) -> $crate::Result<$crate::LedgerAccount> {
            let owner: String = r.try_get("owner")?;
            let currency: String = r.try_get("currency")?;
            Ok($crate::LedgerAccount {
                id: r.try_get("id")?,
                owner: if owner.is_empty() {
                    None
                } else {
                    Some(
                        tamga_core::codes::Eori::parse(&owner)
                            .map_err(|_| corrupt_col("account owner", &owner))?,
                    )
                },
                kind: account_kind(r.try_get("kind")?)?,
                currency: tamga_core::codes::CurrencyCode::parse(&currency)
                    .map_err(|_| corrupt_col("currency", &currency))?,
                balances: LBalances {
                    available: r.try_get("available")?,
                    reserved: r.try_get("reserved")?,
                },
                payment_reference: r.try_get("payment_reference")?,
                created_at: codec::from_nanos(r.try_get("created_at")?)?,
            })
        }

        pub(crate) async fn ensure_account(
            c: &mut $conn,
            owner: &tamga_core::codes::Eori,
            kind: LAccountKind,
            currency: &tamga_core::codes::CurrencyCode,
            at: i64,
        ) -> $crate::Result<()> {
            for k in LAccountKind::INTERNAL {
                sqlx::query(&$sql(
                    "INSERT INTO ledger_accounts (owner, kind, currency, created_at) VALUES ('', ?, ?, ?) \
                     ON CONFLICT (owner, kind, currency) DO NOTHING",
                ))
                .bind(k.as_str())
                .bind(currency.as_str())
                .bind(at)
                .execute(&mut *c)
                .await?;
            }
            let reference = (kind == LAccountKind::Cash)
                .then(|| tamga_core::ledger::payment_reference(owner));
            sqlx::query(&$sql(
                "INSERT INTO ledger_accounts (owner, kind, currency, payment_reference, created_at) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (owner, kind, currency) DO NOTHING",
            ))
            .bind(owner.as_str())
            .bind(kind.as_str())
            .bind(currency.as_str())
            .bind(reference)
            .bind(at)
            .execute(&mut *c)
            .await
            .map_err(|e| {
                codec::exists_or(e, format!("a cash account with the payment reference of {owner}"))
            })?;
            Ok(())
        }

        pub(crate) async fn account_by_key(
            c: &mut $conn,
            owner: &str,
            kind: LAccountKind,
            currency: &str,
        ) -> $crate::Result<Option<$crate::LedgerAccount>> {
            sqlx::query(&$sql(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE owner = ? AND kind = ? AND currency = ?"
            )))
            .bind(owner)
            .bind(kind.as_str())
            .bind(currency)
            .fetch_optional(&mut *c)
            .await?
            .map(|r| account_row(&r))
            .transpose()
        }

        pub(crate) async fn account_by(
            c: &mut $conn,
            column: &str,
            value: $crate::ledger_sql::sqlx_value::V<'_>,
        ) -> $crate::Result<Vec<$crate::LedgerAccount>> {
            let text =
                format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE {column} = ? ORDER BY id");
            let sql = $sql(&text);
            let q = sqlx::query(&sql);
            let q = match value {
                $crate::ledger_sql::sqlx_value::V::I(i) => q.bind(i),
                $crate::ledger_sql::sqlx_value::V::S(s) => q.bind(s),
            };
            q.fetch_all(&mut *c).await?.iter().map(account_row).collect()
        }

        pub(crate) async fn reservation(
            c: &mut $conn,
            mrn: &tamga_core::codes::Mrn,
        ) -> $crate::Result<Option<$crate::Reservation>> {
            Ok(LedgerConn(c)
                .reservations(&[mrn.as_str()])
                .await?
                .pop()
                .map(|(_, r)| $crate::Reservation {
                    mrn: mrn.clone(),
                    account: r.account,
                    amount: r.amount,
                    status: r.status,
                    txn: r.txn,
                    settle_txn: r.settle_txn,
                }))
        }

        fn refund_row(r: &<$db as sqlx::Database>::Row) -> $crate::Result<$crate::Refund> {
            let status: String = r.try_get("status")?;
            Ok($crate::Refund {
                id: r.try_get("id")?,
                account: r.try_get("account")?,
                amount: r.try_get("amount")?,
                status: LRefundStatus::parse(&status)
                    .ok_or_else(|| corrupt_col("refund status", &status))?,
                txn: r.try_get("txn")?,
                decide_txn: r.try_get("decide_txn")?,
                decided_by: r.try_get("decided_by")?,
            })
        }

        pub(crate) async fn refunds(
            c: &mut $conn,
            column: &str,
            value: i64,
        ) -> $crate::Result<Vec<$crate::Refund>> {
            sqlx::query(&$sql(&format!(
                "SELECT id, account, amount, status, txn, decide_txn, decided_by FROM ledger_refunds WHERE {column} = ? ORDER BY id"
            )))
            .bind(value)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(refund_row)
            .collect()
        }

        pub(crate) async fn statement(
            c: &mut $conn,
            account: LAccountId,
            from: i64,
            to: i64,
        ) -> $crate::Result<Option<$crate::StatementData>> {
            let Some(acct) = account_by(c, "id", $crate::ledger_sql::sqlx_value::V::I(account)).await?.pop() else {
                return Ok(None);
            };
            // The whole days before `from` from the daily sums
            // (`ledger_days`), then the entries of `from`'s day before it.
            let day = from.div_euclid(86_400_000_000_000);
            let mut opening = LBalances::default();
            for r in sqlx::query(&$sql(
                "SELECT bucket, CAST(SUM(total) AS BIGINT) AS total FROM ledger_days \
                 WHERE account = ? AND day < ? GROUP BY bucket \
                 UNION ALL SELECT bucket, CAST(COALESCE(SUM(delta), 0) AS BIGINT) AS total FROM ledger_entries \
                 WHERE account = ? AND at >= ? AND at < ? GROUP BY bucket",
            ))
            .bind(account)
            .bind(day)
            .bind(account)
            .bind(day.saturating_mul(86_400_000_000_000))
            .bind(from)
            .fetch_all(&mut *c)
            .await?
            {
                let bucket: String = r.try_get("bucket")?;
                let bucket = LBucket::parse(&bucket).ok_or_else(|| corrupt_col("bucket", &bucket))?;
                opening.apply(bucket, r.try_get("total")?);
            }
            let mut closing = opening;
            let mut movements = Vec::new();
            for r in sqlx::query(&$sql(
                "SELECT e.id, e.txn, e.at, t.kind, e.bucket, e.delta, e.mrn, t.reference \
                 FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn \
                 WHERE e.account = ? AND e.at >= ? AND e.at < ? ORDER BY e.at, e.id",
            ))
            .bind(account)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *c)
            .await?
            {
                let bucket: String = r.try_get("bucket")?;
                let bucket = LBucket::parse(&bucket).ok_or_else(|| corrupt_col("bucket", &bucket))?;
                let kind: String = r.try_get("kind")?;
                let kind = LTxnKind::parse(&kind).ok_or_else(|| corrupt_col("txn kind", &kind))?;
                let delta: i64 = r.try_get("delta")?;
                closing.apply(bucket, delta);
                movements.push(LMovement {
                    entry: r.try_get("id")?,
                    txn: r.try_get("txn")?,
                    at_nanos: r.try_get("at")?,
                    kind,
                    bucket,
                    delta,
                    mrn: $crate::ledger_sql::mrn_col(r.try_get("mrn")?)?,
                    reference: r.try_get("reference")?,
                });
            }
            Ok(Some($crate::StatementData {
                account: acct,
                opening,
                closing,
                movements,
            }))
        }

        /// Stores a tariff file (or makes an identical stored one current).
        pub(crate) async fn put_tariff(
            c: &mut $conn,
            name: &str,
            body: &str,
            at: i64,
        ) -> $crate::Result<(i64, bool)> {
            let sha = tamga_core::hash::sha256_hex(body.as_bytes());
            let existing: Option<i64> =
                sqlx::query_scalar(&$sql("SELECT id FROM tariffs WHERE sha256 = ?"))
                    .bind(&sha)
                    .fetch_optional(&mut *c)
                    .await?;
            if let Some(id) = existing {
                sqlx::query(&$sql("UPDATE tariffs SET imported_at = ?, name = ? WHERE id = ?"))
                    .bind(at)
                    .bind(name)
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
                return Ok((id, false));
            }
            let id: i64 = sqlx::query_scalar(&$sql(
                "INSERT INTO tariffs (name, sha256, imported_at, body) VALUES (?, ?, ?, ?) RETURNING id",
            ))
            .bind(name)
            .bind(&sha)
            .bind(at)
            .bind(body)
            .fetch_one(&mut *c)
            .await?;
            Ok((id, true))
        }

        /// The tariff imported last.
        pub(crate) async fn tariff(c: &mut $conn) -> $crate::Result<Option<$crate::StoredTariff>> {
            let row = sqlx::query(
                "SELECT id, name, sha256, imported_at, body FROM tariffs ORDER BY imported_at DESC, id DESC LIMIT 1",
            )
            .fetch_optional(&mut *c)
            .await?;
            row.map(|r| {
                Ok($crate::StoredTariff {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    sha256: r.try_get("sha256")?,
                    imported_at: $crate::codec::from_nanos(r.try_get::<i64, _>("imported_at")?)?,
                    body: r.try_get("body")?,
                })
            })
            .transpose()
        }

        /// Quota draws summed per quota period.
        pub(crate) async fn quota_drawn(
            c: &mut $conn,
        ) -> $crate::Result<Vec<$crate::QuotaDrawRecord>> {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("SELECT order_number, period_from, quantity FROM quota_draws")
                    .fetch_all(&mut *c)
                    .await?;
            $crate::codec::sum_quota_draws(rows)
        }

        pub(crate) async fn check(c: &mut $conn) -> $crate::Result<$crate::LedgerCheck> {
            let r = sqlx::query(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM ledger_entries",
            )
            .fetch_one(&mut *c)
            .await?;
            let entries: i64 = r.try_get("n")?;
            let entries_sum: i64 = r.try_get("total")?;
            let transactions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_txns")
                .fetch_one(&mut *c)
                .await?;
            let unbalanced: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT txn FROM ledger_entries GROUP BY txn HAVING SUM(amount) <> 0) u",
            )
            .fetch_one(&mut *c)
            .await?;
            // Entries whose delta is not the amount on the account's normal side.
            let inconsistent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account \
                 WHERE e.delta <> CASE WHEN a.kind IN ('bank_clearing', 'guarantee_commitments') \
                 THEN -e.amount ELSE e.amount END",
            )
            .fetch_one(&mut *c)
            .await?;
            let mismatched: Vec<i64> = sqlx::query_scalar(
                "SELECT a.id FROM ledger_accounts a LEFT JOIN (SELECT account, \
                 SUM(CASE WHEN bucket = 'available' THEN delta ELSE 0 END) AS av, \
                 SUM(CASE WHEN bucket = 'reserved' THEN delta ELSE 0 END) AS rs \
                 FROM ledger_entries GROUP BY account) e ON e.account = a.id \
                 WHERE a.available <> COALESCE(e.av, 0) OR a.reserved <> COALESCE(e.rs, 0) ORDER BY a.id",
            )
            .fetch_all(&mut *c)
            .await?;
            let negative: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM ledger_accounts WHERE available < 0 OR reserved < 0 ORDER BY id",
            )
            .fetch_all(&mut *c)
            .await?;
            Ok($crate::LedgerCheck {
                transactions: transactions as u64,
                entries: entries as u64,
                entries_sum,
                unbalanced_transactions: (unbalanced + inconsistent) as u64,
                mismatched_accounts: mismatched,
                negative_accounts: negative,
            })
        }
    };
}

pub(crate) use ledger_backend;
