//! Money moved with declaration writes ([`crate::Payment`]), inside the
//! group commit's transaction, on both backends.
//!
//! [`settle`] runs after the duplicate-LRN check and before anything of the
//! batch is stored. For every write still going ahead that carries a
//! payment it checks an update's version first (so a stale write moves no
//! money), then applies the ledger operations of all such writes in a few
//! batched passes ([`ledger_sql::apply`]): the first reservation attempts
//! together with debits and releases, then the next account for those that
//! found too little, and finally the debits of updates that release at
//! once. A new declaration released at once is debited in the pass that
//! reserves for it, right after its reservation: its MRN is fresh, so
//! after a failed reservation the debit finds none and moves nothing (any
//! other answer fails the batch).
//! The outcome of each write then says which form is stored: `Committed`
//! (as given), `Unsecured` (its `otherwise` form), `Insufficient` (nothing),
//! or `Stale`.
//!
//! Invariant: a write's money moves if and only if a form of the write is
//! stored, because both happen in the same transaction and a write whose
//! reservation failed has no other ledger operation applied.

use std::collections::BTreeSet;

use tamga_core::codes::Mrn;
use tamga_core::ledger::{LedgerError, LedgerOp, LedgerOutcome};

use crate::group_commit::{Prepared, PreparedKind};
use crate::ledger_sql::{self, LedgerTx, MetaCache};
use crate::{PaymentOp, Result, StoreError, WriteOutcome};

/// Per write: which account of a `Secure` is being tried, and the result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Try {
    None,
    /// Trying `accounts[i]`.
    Account(usize),
    Reserved,
    /// Every account was short; what the first one had.
    Short(i64),
    /// The ledger refused the reservation (the write is stale).
    Refused,
}

pub(crate) async fn settle<T: LedgerTx + ?Sized>(
    tx: &mut T,
    cache: &MetaCache,
    prepared: &[Prepared<'_>],
    outcomes: &mut [WriteOutcome],
    at: i64,
) -> Result<()> {
    // Writes to one declaration in one batch were all built from the same
    // stored version: only the first can go ahead (the others would fail
    // their version check after the money moved).
    let mut seen = std::collections::HashSet::new();
    for (p, o) in prepared.iter().zip(outcomes.iter_mut()) {
        if let (PreparedKind::Update, Some(d), WriteOutcome::Committed) = (p.kind, &p.decl, &*o) {
            if !seen.insert(d.mrn) {
                *o = WriteOutcome::Stale;
            }
        }
    }
    let paying: Vec<usize> = (0..prepared.len())
        .filter(|&i| prepared[i].payment.is_some() && outcomes[i] == WriteOutcome::Committed)
        .collect();
    if paying.is_empty() {
        return Ok(());
    }
    let mrn_of = |i: usize| -> Result<Mrn> {
        let d = prepared[i]
            .decl
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("a payment without a declaration".into()))?;
        Mrn::parse(d.mrn).map_err(|e| StoreError::Corrupt(format!("bad MRN in a write: {e}")))
    };
    // Versions first: a stale update moves no money.
    for &i in &paying {
        if prepared[i].kind == PreparedKind::Update {
            let mrn = mrn_of(i)?;
            if tx.last_seq(mrn.as_str()).await? != Some(prepared[i].expected_last_seq) {
                outcomes[i] = WriteOutcome::Stale;
            }
        }
    }
    let paying: Vec<usize> = paying
        .into_iter()
        .filter(|&i| outcomes[i] == WriteOutcome::Committed)
        .collect();
    if tx.needs_locks() {
        // Every account any pass may touch, locked once in id order, so
        // that later passes cannot take locks out of order.
        let mut mrns = Vec::new();
        let mut accounts = BTreeSet::new();
        for &i in &paying {
            mrns.push(mrn_of(i)?);
            if let Some(PaymentOp::Secure { accounts: a, .. }) = prepared[i].payment {
                accounts.extend(a.iter().copied());
            }
        }
        let keys: Vec<&str> = mrns.iter().map(Mrn::as_str).collect();
        for (_, r) in tx.reservations(&keys).await? {
            accounts.insert(r.account);
        }
        let accounts: Vec<_> = accounts.into_iter().collect();
        tx.lock(&[], &accounts).await?;
    }

    let mut tries = vec![Try::None; prepared.len()];
    let mut first_available = vec![0i64; prepared.len()];
    // A new declaration released at once is debited in the pass that
    // reserves: its MRN is fresh, so a debit after a failed reservation
    // finds none and moves nothing (checked below). An update's debit
    // waits for the last pass, after every reservation is decided.
    let debit_in_pass =
        |i: usize| prepared[i].kind == PreparedKind::Insert && secured_then_debited(&prepared[i]);
    let mut ops: Vec<LedgerOp> = Vec::new();
    let mut owners: Vec<usize> = Vec::new();
    for &i in &paying {
        let mrn = mrn_of(i)?;
        match prepared[i].payment.expect("paying") {
            PaymentOp::Secure {
                accounts, amount, ..
            } => match accounts.first() {
                Some(&account) => {
                    tries[i] = Try::Account(0);
                    ops.push(LedgerOp::Reserve {
                        account,
                        mrn: mrn.clone(),
                        amount: *amount,
                    });
                    owners.push(i);
                    if debit_in_pass(i) {
                        ops.push(LedgerOp::Debit { mrn });
                        owners.push(i);
                    }
                }
                None => tries[i] = Try::Short(0),
            },
            PaymentOp::Debit => {
                ops.push(LedgerOp::Debit { mrn });
                owners.push(i);
            }
            PaymentOp::Release => {
                tx.release_quota(mrn.as_str()).await?;
                ops.push(LedgerOp::Release { mrn });
                owners.push(i);
            }
        }
    }
    // Reservation passes: each retries the short ones on their next account.
    loop {
        if ops.is_empty() {
            break;
        }
        let results = ledger_sql::apply(tx, cache, &ops, at).await?;
        let mut next_ops = Vec::new();
        let mut next_owners = Vec::new();
        for ((op, i), r) in ops.iter().zip(&owners).zip(results) {
            let i = *i;
            match (op, r) {
                (LedgerOp::Reserve { .. }, LedgerOutcome::Reserved { .. }) => {
                    tries[i] = Try::Reserved;
                }
                (
                    LedgerOp::Reserve { mrn, amount, .. },
                    LedgerOutcome::Insufficient { available },
                ) => {
                    let (Try::Account(k), Some(PaymentOp::Secure { accounts, .. })) =
                        (tries[i], prepared[i].payment)
                    else {
                        return Err(StoreError::Corrupt("reservation pass out of step".into()));
                    };
                    if k == 0 {
                        first_available[i] = available;
                    }
                    match accounts.get(k + 1) {
                        Some(&account) => {
                            tries[i] = Try::Account(k + 1);
                            next_ops.push(LedgerOp::Reserve {
                                account,
                                mrn: mrn.clone(),
                                amount: *amount,
                            });
                            next_owners.push(i);
                            if debit_in_pass(i) {
                                next_ops.push(LedgerOp::Debit { mrn: mrn.clone() });
                                next_owners.push(i);
                            }
                        }
                        None => tries[i] = Try::Short(first_available[i]),
                    }
                }
                (LedgerOp::Reserve { .. }, LedgerOutcome::Refused(e)) => {
                    // E.g. the MRN's reservation was settled meanwhile:
                    // this write alone is out of date; nothing changed.
                    tracing::warn!(error = %e, "reservation refused inside a declaration write");
                    tries[i] = Try::Refused;
                    outcomes[i] = WriteOutcome::Stale;
                }
                // The debit right after this pass's reservation.
                (LedgerOp::Debit { .. }, r) if debit_in_pass(i) => match (tries[i], r) {
                    (Try::Reserved, LedgerOutcome::Debited { .. }) => {}
                    (
                        Try::Account(_) | Try::Short(_) | Try::Refused,
                        LedgerOutcome::Refused(LedgerError::NoReservation(_)),
                    ) => {}
                    (_, r) => {
                        return Err(StoreError::Corrupt(format!(
                            "debit in the reserving pass: {r:?}"
                        )))
                    }
                },
                (LedgerOp::Debit { .. }, LedgerOutcome::Debited { .. })
                | (LedgerOp::Release { .. }, LedgerOutcome::Released { .. })
                | (
                    LedgerOp::Release { .. },
                    LedgerOutcome::Refused(LedgerError::NoReservation(_)),
                ) => {}
                (LedgerOp::Debit { .. }, LedgerOutcome::Refused(_))
                | (LedgerOp::Release { .. }, LedgerOutcome::Refused(_)) => {
                    // Settled meanwhile by someone else: this write is out of date.
                    outcomes[i] = WriteOutcome::Stale;
                }
                (op, r) => {
                    return Err(StoreError::Corrupt(format!(
                        "unexpected ledger outcome {r:?} for {op:?}"
                    )))
                }
            }
        }
        ops = next_ops;
        owners = next_owners;
    }
    // Outcomes of the securing writes, and debits of those released at once.
    let mut debits = Vec::new();
    for &i in &paying {
        if let Some(PaymentOp::Secure { debit, .. }) = prepared[i].payment {
            match tries[i] {
                Try::Reserved => {
                    outcomes[i] = WriteOutcome::Committed;
                    if *debit && !debit_in_pass(i) {
                        debits.push(LedgerOp::Debit { mrn: mrn_of(i)? });
                    }
                }
                Try::Short(available) => {
                    outcomes[i] = if prepared[i].otherwise.is_some() {
                        WriteOutcome::Unsecured
                    } else {
                        WriteOutcome::Insufficient { available }
                    };
                }
                Try::Refused => {}
                Try::None | Try::Account(_) => {
                    return Err(StoreError::Corrupt("reservation left undecided".into()))
                }
            }
        }
    }
    if !debits.is_empty() {
        for r in ledger_sql::apply(tx, cache, &debits, at).await? {
            if !matches!(r, LedgerOutcome::Debited { .. }) {
                return Err(StoreError::Corrupt(format!(
                    "debit of a fresh reservation failed: {r:?}"
                )));
            }
        }
    }
    Ok(())
}

/// Whether the write secures its duties and is released at once.
fn secured_then_debited(p: &Prepared<'_>) -> bool {
    matches!(p.payment, Some(PaymentOp::Secure { debit: true, .. }))
}
