//! The ledger on both backends: the operation logic once ([`apply`], over
//! the primitive [`LedgerTx`]), here; the SQL once (the `ledger_backend!`
//! macro in `backend.rs`, instantiated by each backend with its
//! placeholder style).
//!
//! Never negative: a change that can lower a trader's balance is checked
//! against the account's balance as read inside the transaction plus the
//! batch's earlier changes, and refused if any balance would go negative;
//! the batch's net change per account is then written with a conditional
//! `UPDATE … SET available = available + d WHERE id = a AND
//! available + d >= 0` whose affected-row count is checked (a failure
//! aborts the batch).
//! The read is safe because the transaction holds the accounts: SQLite has
//! one writer; on PostgreSQL a batch first takes
//! transaction-scoped advisory locks on its MRNs, bank references and
//! refunds, then row locks on the traders' accounts (both in sorted order),
//! and changes the internal accounts last, in id order, so concurrent
//! batches cannot deadlock.
//!
//! Batching: a batch reads the reservations of all its MRNs with one query
//! and each trader account's balance once, keeps them in memory, and writes
//! transactions, entries, reservations and one balance change per account
//! with a few statements at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use rust_decimal::Decimal;

use tamga_core::codes::Mrn;
use tamga_core::ledger::{
    debit_sink, parse_payment_reference, rules, AccountId, AccountKind, Acct, Bucket, LedgerError,
    LedgerOp, LedgerOutcome, Posting, RefundId, RefundStatus, ReservationStatus, TxnId, TxnKind,
    MAX_MINOR,
};

use crate::{Result, StoreError, WriteOutcome};

/// Immutable attributes of an account, cached per store.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub kind: AccountKind,
    pub currency: String,
}

pub(crate) type MetaCache = Mutex<HashMap<AccountId, Meta>>;

#[derive(Debug, Clone)]
pub(crate) struct ResRow {
    pub account: AccountId,
    pub amount: i64,
    pub status: ReservationStatus,
    pub txn: TxnId,
    pub settle_txn: Option<TxnId>,
}

pub(crate) struct RefundRow {
    pub account: AccountId,
    pub amount: i64,
    pub status: RefundStatus,
}

pub(crate) struct EntryRow {
    pub txn: TxnId,
    pub account: AccountId,
    pub bucket: &'static str,
    pub amount: i64,
    pub delta: i64,
    pub at: i64,
    pub mrn: Option<String>,
}

pub(crate) struct TxnRow {
    pub id: TxnId,
    pub kind: &'static str,
    pub at: i64,
    pub mrn: Option<String>,
    pub reference: Option<String>,
    pub actor: Option<String>,
}

/// What the operation logic needs from a backend, inside one transaction.
#[async_trait]
pub(crate) trait LedgerTx: Send {
    /// Whether [`LedgerTx::lock`] must be called (PostgreSQL).
    fn needs_locks(&self) -> bool;
    /// Advisory locks on `keys`, then row locks on `accounts` (both sorted).
    async fn lock(&mut self, keys: &[i64], accounts: &[AccountId]) -> Result<()>;
    async fn meta(&mut self, id: AccountId) -> Result<Option<Meta>>;
    /// (available, reserved) of an account; `None` if there is none.
    async fn balance(&mut self, id: AccountId) -> Result<Option<(i64, i64)>>;
    async fn by_payment_reference(&mut self, r: &str) -> Result<Option<AccountId>>;
    async fn internal(&mut self, currency: &str, kind: AccountKind) -> Result<Option<AccountId>>;
    /// Adds each `(account, d_available, d_reserved)` unless a balance
    /// would become negative; whether every one was added (if not, the
    /// caller fails the transaction).
    async fn apply_all(&mut self, deltas: &[(AccountId, i64, i64)]) -> Result<bool>;
    /// `n` fresh transaction ids, increasing.
    async fn txn_ids(&mut self, n: usize) -> Result<Vec<TxnId>>;
    async fn insert_txns(&mut self, rows: &[TxnRow]) -> Result<()>;
    async fn insert_entries(&mut self, rows: &[EntryRow]) -> Result<()>;
    async fn deposit(&mut self, bank_reference: &str) -> Result<Option<(AccountId, i64, TxnId)>>;
    async fn insert_deposit(
        &mut self,
        bank_reference: &str,
        account: AccountId,
        amount: i64,
        txn: TxnId,
    ) -> Result<()>;
    async fn reservations(&mut self, mrns: &[&str]) -> Result<Vec<(String, ResRow)>>;
    /// Inserts or overwrites.
    async fn put_reservations(&mut self, rows: &[(&str, &ResRow)]) -> Result<()>;
    async fn refund(&mut self, id: RefundId) -> Result<Option<RefundRow>>;
    /// The refund's id is its request transaction's id.
    async fn insert_refund(&mut self, txn: TxnId, account: AccountId, amount: i64) -> Result<()>;
    async fn decide_refund(
        &mut self,
        id: RefundId,
        status: RefundStatus,
        txn: TxnId,
        officer: &str,
    ) -> Result<()>;
    /// A declaration's stored `last_seq` (for writes that move money).
    async fn last_seq(&mut self, mrn: &str) -> Result<Option<i64>>;
    /// Deletes a declaration's tariff quota draws (back to the balances).
    async fn release_quota(&mut self, mrn: &str) -> Result<()>;
    /// Stores quota draws: (MRN, draw).
    async fn insert_quota(&mut self, rows: &[(&str, &crate::QuotaDrawRecord)]) -> Result<()>;
    /// What is drawn in the database on one quota period.
    async fn quota_taken(&mut self, order_number: &str, period_from: &str) -> Result<Decimal>;
}

/// Checks the new declarations' quota draws that name their quota's
/// volume against what is drawn in the database, in write order: a write
/// whose draw no longer fits becomes [`WriteOutcome::QuotaExhausted`] and
/// writes nothing; the ones that fit count for the writes after them.
/// On PostgreSQL each quota period is locked (advisory, transaction
/// scope, in key order) first, so two instances' commits drawing on one
/// quota are checked one after the other. Call before money moves.
pub(crate) async fn check_quotas<T: LedgerTx + ?Sized>(
    tx: &mut T,
    prepared: &[crate::group_commit::Prepared<'_>],
    outcomes: &mut [WriteOutcome],
) -> Result<()> {
    use crate::group_commit::PreparedKind;
    let checked: Vec<bool> = (0..prepared.len())
        .map(|i| {
            outcomes[i] == WriteOutcome::Committed
                && prepared[i].kind == PreparedKind::Insert
                && prepared[i].quota.iter().any(|q| q.volume.is_some())
        })
        .collect();
    let mut periods: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, p) in prepared.iter().enumerate() {
        if checked[i] {
            for q in p.quota.iter().filter(|q| q.volume.is_some()) {
                periods.insert((q.order_number.clone(), q.period_from.to_string()));
            }
        }
    }
    if periods.is_empty() {
        return Ok(());
    }
    if tx.needs_locks() {
        let keys: BTreeSet<i64> = periods
            .iter()
            .map(|(o, p)| lock_key("quota", &format!("{o}/{p}")))
            .collect();
        tx.lock(&keys.into_iter().collect::<Vec<_>>(), &[]).await?;
    }
    let mut drawn: HashMap<(String, String), Decimal> = HashMap::new();
    for (o, p) in &periods {
        let taken = tx.quota_taken(o, p).await?;
        drawn.insert((o.clone(), p.clone()), taken);
    }
    for i in 0..prepared.len() {
        if !checked[i] {
            continue;
        }
        let quota = prepared[i].quota;
        let over = quota.iter().find(|q| {
            q.volume.is_some_and(|v| {
                let d = drawn[&(q.order_number.clone(), q.period_from.to_string())];
                d + q.quantity > v
            })
        });
        match over {
            Some(q) => {
                outcomes[i] = WriteOutcome::QuotaExhausted {
                    order_number: q.order_number.clone(),
                }
            }
            None => {
                for q in quota.iter().filter(|q| q.volume.is_some()) {
                    *drawn
                        .get_mut(&(q.order_number.clone(), q.period_from.to_string()))
                        .expect("period listed") += q.quantity;
                }
            }
        }
    }
    Ok(())
}

/// FNV-1a, for advisory lock keys.
fn lock_key(kind: &str, s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain([b':']).chain(s.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

struct Batch<'m> {
    cache: &'m MetaCache,
    internal: HashMap<(String, AccountKind), AccountId>,
    /// Deltas of internal accounts, applied last in id order.
    internal_deltas: BTreeMap<AccountId, (i64, i64)>,
    /// Trader deltas of the batch (checked against [`Batch::balances`] as
    /// they are added), written at the end, one update per account.
    trader_deltas: BTreeMap<AccountId, (i64, i64)>,
    /// Trader balances as stored when first needed in this batch (the
    /// accounts are the transaction's alone: SQLite's write lock, or
    /// PostgreSQL's row locks taken before the batch runs).
    balances: HashMap<AccountId, (i64, i64)>,
    /// Reservations of the batch's MRNs (`None`: none yet).
    reservations: HashMap<String, Option<ResRow>>,
    dirty: BTreeSet<String>,
    ids: std::vec::IntoIter<TxnId>,
    /// Transactions written at the end.
    txns: Vec<TxnRow>,
    entries: Vec<EntryRow>,
    at: i64,
}

impl Batch<'_> {
    async fn meta<T: LedgerTx + ?Sized>(&self, tx: &mut T, id: AccountId) -> Result<Option<Meta>> {
        if let Some(m) = self.cache.lock().expect("meta cache").get(&id) {
            return Ok(Some(m.clone()));
        }
        let m = tx.meta(id).await?;
        if let Some(m) = &m {
            self.cache.lock().expect("meta cache").insert(id, m.clone());
        }
        Ok(m)
    }

    async fn internal<T: LedgerTx + ?Sized>(
        &mut self,
        tx: &mut T,
        currency: &str,
        kind: AccountKind,
    ) -> Result<Acct> {
        let key = (currency.to_owned(), kind);
        let id = match self.internal.get(&key) {
            Some(id) => *id,
            None => {
                let id = tx.internal(currency, kind).await?.ok_or_else(|| {
                    StoreError::Corrupt(format!("no internal {kind:?} account for {currency}"))
                })?;
                self.internal.insert(key, id);
                id
            }
        };
        Ok(Acct { id, kind })
    }

    fn next_id(&mut self) -> Result<TxnId> {
        self.ids
            .next()
            .ok_or_else(|| StoreError::Corrupt("ran out of transaction ids".into()))
    }

    fn trader_sums(postings: &[Posting]) -> BTreeMap<AccountId, (i64, i64)> {
        let mut by_account: BTreeMap<AccountId, (i64, i64)> = BTreeMap::new();
        for p in postings.iter().filter(|p| !p.kind.is_internal()) {
            let d = by_account.entry(p.account).or_default();
            match p.bucket {
                Bucket::Available => d.0 += p.delta(),
                Bucket::Reserved => d.1 += p.delta(),
            }
        }
        by_account
    }

    /// A trader account's balance with this batch's deltas so far:
    /// (available, reserved).
    async fn effective<T: LedgerTx + ?Sized>(
        &mut self,
        tx: &mut T,
        id: AccountId,
    ) -> Result<(i64, i64)> {
        let stored = match self.balances.get(&id) {
            Some(b) => *b,
            None => {
                let b = tx
                    .balance(id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("no ledger account {id}")))?;
                self.balances.insert(id, b);
                b
            }
        };
        let (da, dr) = self.trader_deltas.get(&id).copied().unwrap_or_default();
        match (stored.0.checked_add(da), stored.1.checked_add(dr)) {
            (Some(a), Some(r)) => Ok((a, r)),
            _ => Err(StoreError::Corrupt(format!(
                "balance of account {id} overflows"
            ))),
        }
    }

    /// Adds the trader side of `postings` if no trader balance becomes
    /// negative (all or nothing), returning whether it fit; the internal
    /// side is deferred. Checked in memory against the batch's balances, so
    /// a batch costs one read and one update per account, not per posting;
    /// the final conditional update stays as a guard.
    async fn apply_trader<T: LedgerTx + ?Sized>(
        &mut self,
        tx: &mut T,
        postings: &[Posting],
    ) -> Result<bool> {
        let sums = Self::trader_sums(postings);
        for (&id, &(da, dr)) in &sums {
            let (a, r) = self.effective(tx, id).await?;
            match (a.checked_add(da), r.checked_add(dr)) {
                (Some(a), Some(r)) if a >= 0 && r >= 0 => {}
                _ => return Ok(false),
            }
        }
        self.defer_trader(postings);
        Ok(true)
    }

    /// Defers the trader side of postings that cannot overdraw.
    fn defer_trader(&mut self, postings: &[Posting]) {
        for (id, (da, dr)) in Self::trader_sums(postings) {
            let d = self.trader_deltas.entry(id).or_default();
            d.0 += da;
            d.1 += dr;
        }
    }

    fn record(&mut self, txn: TxnId, postings: &[Posting], mrn: Option<&str>) {
        debug_assert!(tamga_core::ledger::is_balanced(postings));
        for p in postings {
            if p.kind.is_internal() {
                let d = self.internal_deltas.entry(p.account).or_default();
                match p.bucket {
                    Bucket::Available => d.0 += p.delta(),
                    Bucket::Reserved => d.1 += p.delta(),
                }
            }
            self.entries.push(EntryRow {
                txn,
                account: p.account,
                bucket: p.bucket.as_str(),
                amount: p.amount,
                delta: p.delta(),
                at: self.at,
                mrn: mrn.map(str::to_owned),
            });
        }
    }

    fn txn_row(&self, id: TxnId, kind: TxnKind, mrn: Option<&str>) -> TxnRow {
        TxnRow {
            id,
            kind: kind.as_str(),
            at: self.at,
            mrn: mrn.map(str::to_owned),
            reference: None,
            actor: None,
        }
    }

    /// Inserts a transaction now (it is referenced by a row written now).
    async fn txn_now<T: LedgerTx + ?Sized>(&mut self, tx: &mut T, row: TxnRow) -> Result<()> {
        tx.insert_txns(std::slice::from_ref(&row)).await
    }
}

fn check_amount(amount: i64) -> Option<LedgerError> {
    if amount <= 0 {
        Some(LedgerError::NotPositive(Decimal::from(amount)))
    } else if amount > MAX_MINOR {
        Some(LedgerError::TooLarge(Decimal::from(amount)))
    } else {
        None
    }
}

fn wrong_kind(
    account: AccountId,
    kind: AccountKind,
    operation: &'static str,
    needs: &'static str,
) -> LedgerOutcome {
    LedgerOutcome::Refused(LedgerError::WrongAccountKind {
        account,
        kind,
        operation,
        needs,
    })
}

fn op_mrn(op: &LedgerOp) -> Option<&Mrn> {
    match op {
        LedgerOp::Reserve { mrn, .. } | LedgerOp::Debit { mrn } | LedgerOp::Release { mrn } => {
            Some(mrn)
        }
        _ => None,
    }
}

/// Applies `ops` in order inside the caller's transaction.
pub(crate) async fn apply<T: LedgerTx + ?Sized>(
    tx: &mut T,
    cache: &MetaCache,
    ops: &[LedgerOp],
    at: i64,
) -> Result<Vec<LedgerOutcome>> {
    if tx.needs_locks() {
        lock_keys(tx, ops).await?;
    }
    let mrns: Vec<&str> = ops
        .iter()
        .filter_map(op_mrn)
        .map(Mrn::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut reservations: HashMap<String, Option<ResRow>> =
        mrns.iter().map(|m| ((*m).to_owned(), None)).collect();
    for (m, r) in tx.reservations(&mrns).await? {
        reservations.insert(m, Some(r));
    }
    if tx.needs_locks() {
        lock_accounts(tx, ops, &reservations).await?;
    }
    let ids = tx.txn_ids(ops.len()).await?;
    let mut b = Batch {
        cache,
        internal: HashMap::new(),
        internal_deltas: BTreeMap::new(),
        trader_deltas: BTreeMap::new(),
        balances: HashMap::new(),
        reservations,
        dirty: BTreeSet::new(),
        ids: ids.into_iter(),
        txns: Vec::with_capacity(ops.len()),
        entries: Vec::with_capacity(ops.len() * 2),
        at,
    };
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        out.push(one(tx, &mut b, op).await?);
    }
    // Traders' accounts in id order, then the internal ones.
    let deltas: Vec<(AccountId, i64, i64)> = std::mem::take(&mut b.trader_deltas)
        .into_iter()
        .chain(std::mem::take(&mut b.internal_deltas))
        .filter(|(_, d)| *d != (0, 0))
        .map(|(id, (da, dr))| (id, da, dr))
        .collect();
    if !tx.apply_all(&deltas).await? {
        let ids: Vec<String> = deltas.iter().map(|d| d.0.to_string()).collect();
        return Err(StoreError::Corrupt(format!(
            "one of accounts {} would become negative",
            ids.join(", ")
        )));
    }
    tx.insert_txns(&b.txns).await?;
    tx.insert_entries(&b.entries).await?;
    let rows: Vec<(&str, &ResRow)> = b
        .dirty
        .iter()
        .filter_map(|m| {
            b.reservations
                .get(m)
                .and_then(Option::as_ref)
                .map(|r| (m.as_str(), r))
        })
        .collect();
    tx.put_reservations(&rows).await?;
    Ok(out)
}

async fn lock_keys<T: LedgerTx + ?Sized>(tx: &mut T, ops: &[LedgerOp]) -> Result<()> {
    let mut keys = BTreeSet::new();
    for op in ops {
        match op {
            LedgerOp::Deposit { bank_reference, .. } => {
                keys.insert(lock_key("deposit", bank_reference));
            }
            LedgerOp::Reserve { mrn, .. } | LedgerOp::Debit { mrn } | LedgerOp::Release { mrn } => {
                keys.insert(lock_key("mrn", mrn.as_str()));
            }
            LedgerOp::DecideRefund { refund, .. } => {
                keys.insert(lock_key("refund", &refund.to_string()));
            }
            LedgerOp::RequestRefund { .. } | LedgerOp::GrantGuarantee { .. } => {}
        }
    }
    let keys: Vec<i64> = keys.into_iter().collect();
    tx.lock(&keys, &[]).await
}

async fn lock_accounts<T: LedgerTx + ?Sized>(
    tx: &mut T,
    ops: &[LedgerOp],
    reservations: &HashMap<String, Option<ResRow>>,
) -> Result<()> {
    let mut accounts = BTreeSet::new();
    for op in ops {
        match op {
            LedgerOp::Deposit {
                payment_reference, ..
            } => {
                if let Ok(r) = parse_payment_reference(payment_reference) {
                    if let Some(a) = tx.by_payment_reference(&r).await? {
                        accounts.insert(a);
                    }
                }
            }
            LedgerOp::Reserve { account, .. }
            | LedgerOp::RequestRefund { account, .. }
            | LedgerOp::GrantGuarantee { account, .. } => {
                accounts.insert(*account);
            }
            LedgerOp::Debit { mrn } | LedgerOp::Release { mrn } => {
                if let Some(Some(r)) = reservations.get(mrn.as_str()) {
                    accounts.insert(r.account);
                }
            }
            LedgerOp::DecideRefund { refund, .. } => {
                if let Some(r) = tx.refund(*refund).await? {
                    accounts.insert(r.account);
                }
            }
        }
    }
    let accounts: Vec<AccountId> = accounts.into_iter().collect();
    tx.lock(&[], &accounts).await
}

async fn one<T: LedgerTx + ?Sized>(
    tx: &mut T,
    b: &mut Batch<'_>,
    op: &LedgerOp,
) -> Result<LedgerOutcome> {
    let refused = |e| Ok(LedgerOutcome::Refused(e));
    match op {
        LedgerOp::Deposit {
            payment_reference,
            bank_reference,
            amount,
        } => {
            if let Some(e) = check_amount(*amount) {
                return refused(e);
            }
            let target = match parse_payment_reference(payment_reference) {
                Ok(r) => tx.by_payment_reference(&r).await?,
                Err(_) => None,
            };
            if let Some((account, booked, txn)) = tx.deposit(bank_reference).await? {
                return if Some(account) == target && booked == *amount {
                    Ok(LedgerOutcome::Deposited {
                        txn,
                        account,
                        amount: booked,
                        replay: true,
                    })
                } else {
                    refused(LedgerError::DuplicatePayment(bank_reference.clone()))
                };
            }
            if let Err(e) = parse_payment_reference(payment_reference) {
                return refused(e);
            }
            let Some(account) = target else {
                return refused(LedgerError::UnknownPaymentReference(
                    payment_reference.clone(),
                ));
            };
            let meta = b
                .meta(tx, account)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("account {account} vanished")))?;
            if meta.kind != AccountKind::Cash {
                return Ok(wrong_kind(account, meta.kind, "deposit", "a cash account"));
            }
            let clearing = b
                .internal(tx, &meta.currency, AccountKind::BankClearing)
                .await?;
            let cash = Acct {
                id: account,
                kind: meta.kind,
            };
            let postings = rules::deposit(cash, clearing, *amount);
            b.defer_trader(&postings);
            let txn = b.next_id()?;
            let mut row = b.txn_row(txn, TxnKind::Deposit, None);
            row.reference = Some(bank_reference.clone());
            b.txn_now(tx, row).await?;
            b.record(txn, &postings, None);
            tx.insert_deposit(bank_reference, account, *amount, txn)
                .await?;
            Ok(LedgerOutcome::Deposited {
                txn,
                account,
                amount: *amount,
                replay: false,
            })
        }
        LedgerOp::Reserve {
            account,
            mrn,
            amount,
        } => {
            if let Some(e) = check_amount(*amount) {
                return refused(e);
            }
            if let Some(Some(r)) = b.reservations.get(mrn.as_str()) {
                match r.status {
                    ReservationStatus::Reserved if r.account == *account && r.amount == *amount => {
                        return Ok(LedgerOutcome::Reserved {
                            txn: r.txn,
                            replay: true,
                        });
                    }
                    ReservationStatus::Reserved => {
                        return refused(LedgerError::ReservationConflict(mrn.clone()))
                    }
                    ReservationStatus::Debited => {
                        return refused(LedgerError::ReservationSettled {
                            mrn: mrn.clone(),
                            status: r.status,
                        })
                    }
                    ReservationStatus::Released => {}
                }
            }
            let Some(meta) = b.meta(tx, *account).await? else {
                return refused(LedgerError::UnknownAccount(*account));
            };
            if !meta.kind.can_secure() {
                return Ok(wrong_kind(
                    *account,
                    meta.kind,
                    "reserve",
                    "a cash or guarantee account",
                ));
            }
            let acct = Acct {
                id: *account,
                kind: meta.kind,
            };
            let postings = rules::reserve(acct, *amount);
            if !b.apply_trader(tx, &postings).await? {
                return Ok(LedgerOutcome::Insufficient {
                    available: b.effective(tx, *account).await?.0,
                });
            }
            let txn = b.next_id()?;
            b.txns
                .push(b.txn_row(txn, TxnKind::Reserve, Some(mrn.as_str())));
            b.record(txn, &postings, Some(mrn.as_str()));
            b.reservations.insert(
                mrn.as_str().to_owned(),
                Some(ResRow {
                    account: *account,
                    amount: *amount,
                    status: ReservationStatus::Reserved,
                    txn,
                    settle_txn: None,
                }),
            );
            b.dirty.insert(mrn.as_str().to_owned());
            Ok(LedgerOutcome::Reserved { txn, replay: false })
        }
        LedgerOp::Debit { mrn } | LedgerOp::Release { mrn } => {
            let debit = matches!(op, LedgerOp::Debit { .. });
            let Some(Some(r)) = b.reservations.get(mrn.as_str()).cloned() else {
                return refused(LedgerError::NoReservation(mrn.clone()));
            };
            let wanted = if debit {
                ReservationStatus::Debited
            } else {
                ReservationStatus::Released
            };
            if r.status == wanted {
                let txn = r.settle_txn.unwrap_or(r.txn);
                return Ok(settled(debit, txn, r.account, r.amount, true));
            }
            if r.status != ReservationStatus::Reserved {
                return refused(LedgerError::ReservationSettled {
                    mrn: mrn.clone(),
                    status: r.status,
                });
            }
            let meta = b
                .meta(tx, r.account)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("account {} vanished", r.account)))?;
            let acct = Acct {
                id: r.account,
                kind: meta.kind,
            };
            let (kind, postings) = if debit {
                let sink = b
                    .internal(tx, &meta.currency, debit_sink(meta.kind))
                    .await?;
                (TxnKind::Debit, rules::debit(acct, sink, r.amount))
            } else {
                (TxnKind::Release, rules::release(acct, r.amount))
            };
            // Reserved holds at least this reservation: cannot fail.
            b.defer_trader(&postings);
            let txn = b.next_id()?;
            b.txns.push(b.txn_row(txn, kind, Some(mrn.as_str())));
            b.record(txn, &postings, Some(mrn.as_str()));
            b.reservations.insert(
                mrn.as_str().to_owned(),
                Some(ResRow {
                    status: wanted,
                    settle_txn: Some(txn),
                    ..r.clone()
                }),
            );
            b.dirty.insert(mrn.as_str().to_owned());
            Ok(settled(debit, txn, r.account, r.amount, false))
        }
        LedgerOp::RequestRefund { account, amount } => {
            if let Some(e) = check_amount(*amount) {
                return refused(e);
            }
            let Some(meta) = b.meta(tx, *account).await? else {
                return refused(LedgerError::UnknownAccount(*account));
            };
            if meta.kind != AccountKind::Cash {
                return Ok(wrong_kind(*account, meta.kind, "refund", "a cash account"));
            }
            let pending = b
                .internal(tx, &meta.currency, AccountKind::RefundsPending)
                .await?;
            let cash = Acct {
                id: *account,
                kind: meta.kind,
            };
            let postings = rules::refund_request(cash, pending, *amount);
            if !b.apply_trader(tx, &postings).await? {
                return Ok(LedgerOutcome::Insufficient {
                    available: b.effective(tx, *account).await?.0,
                });
            }
            let txn = b.next_id()?;
            let row = b.txn_row(txn, TxnKind::RefundRequest, None);
            b.txn_now(tx, row).await?;
            b.record(txn, &postings, None);
            tx.insert_refund(txn, *account, *amount).await?;
            Ok(LedgerOutcome::RefundRequested { refund: txn, txn })
        }
        LedgerOp::DecideRefund {
            refund,
            approve,
            officer,
        } => {
            let Some(r) = tx.refund(*refund).await? else {
                return refused(LedgerError::UnknownRefund(*refund));
            };
            if r.status != RefundStatus::Pending {
                return refused(LedgerError::RefundDecided(*refund));
            }
            let meta = b
                .meta(tx, r.account)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("account {} vanished", r.account)))?;
            let pending = b
                .internal(tx, &meta.currency, AccountKind::RefundsPending)
                .await?;
            let (kind, status, postings) = if *approve {
                let clearing = b
                    .internal(tx, &meta.currency, AccountKind::BankClearing)
                    .await?;
                (
                    TxnKind::RefundApprove,
                    RefundStatus::Approved,
                    rules::refund_approve(pending, clearing, r.amount),
                )
            } else {
                let cash = Acct {
                    id: r.account,
                    kind: meta.kind,
                };
                (
                    TxnKind::RefundReject,
                    RefundStatus::Rejected,
                    rules::refund_reject(pending, cash, r.amount),
                )
            };
            b.defer_trader(&postings);
            let txn = b.next_id()?;
            let mut row = b.txn_row(txn, kind, None);
            row.reference = Some(refund.to_string());
            row.actor = Some(officer.clone());
            b.txn_now(tx, row).await?;
            b.record(txn, &postings, None);
            tx.decide_refund(*refund, status, txn, officer).await?;
            Ok(LedgerOutcome::RefundDecided {
                refund: *refund,
                txn,
                approved: *approve,
            })
        }
        LedgerOp::GrantGuarantee { account, amount } => {
            if let Some(e) = check_amount(*amount) {
                return refused(e);
            }
            let Some(meta) = b.meta(tx, *account).await? else {
                return refused(LedgerError::UnknownAccount(*account));
            };
            if meta.kind != AccountKind::Guarantee {
                return Ok(wrong_kind(
                    *account,
                    meta.kind,
                    "grant guarantee",
                    "a guarantee account",
                ));
            }
            let commitments = b
                .internal(tx, &meta.currency, AccountKind::GuaranteeCommitments)
                .await?;
            let g = Acct {
                id: *account,
                kind: meta.kind,
            };
            let postings = rules::guarantee_grant(g, commitments, *amount);
            b.defer_trader(&postings);
            let txn = b.next_id()?;
            b.txns.push(b.txn_row(txn, TxnKind::GuaranteeGrant, None));
            b.record(txn, &postings, None);
            Ok(LedgerOutcome::GuaranteeGranted { txn })
        }
    }
}

fn settled(
    debit: bool,
    txn: TxnId,
    account: AccountId,
    amount: i64,
    replay: bool,
) -> LedgerOutcome {
    if debit {
        LedgerOutcome::Debited {
            txn,
            account,
            amount,
            replay,
        }
    } else {
        LedgerOutcome::Released {
            txn,
            account,
            amount,
            replay,
        }
    }
}

pub(crate) fn mrn_col(s: Option<String>) -> Result<Option<Mrn>> {
    s.map(|s| {
        Mrn::parse(&s)
            .map_err(|e| StoreError::Corrupt(format!("bad stored MRN {s}: {}", e.message)))
    })
    .transpose()
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, owner, kind, currency, available, reserved, payment_reference, created_at";

mod backend;
pub(crate) use backend::ledger_backend;
pub(crate) mod store;

/// A bind value for [`ledger_backend!`]'s `account_by`.
pub(crate) mod sqlx_value {
    pub(crate) enum V<'a> {
        I(i64),
        S(&'a str),
    }
}
