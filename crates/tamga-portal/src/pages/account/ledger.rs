//! `/trader/account`: the trader's single personal account as
//! `GET /api/v1/account/ledger` and its statement give it: each account's
//! balances (available, reserved, currency), the payment reference to
//! quote on a bank transfer with its QR code (`/trader/account/qr.svg`,
//! [`super::qr`]), and the statement of a period (`from`/`to`, UTC days,
//! inclusive) with links to its CSV (`/trader/account/statement.csv`, the
//! API's CSV) and a printable page (`/trader/account/statement`).
//!
//! A period may hold many movements: the account page shows the newest
//! [`PAGE_ROWS`], the printable page up to [`PRINT_ROWS`], and says how
//! many more the CSV holds.

use askama::Template;
use tamga_app::account::{AccountView, MovementView, PaymentInstructions, Statement};
use tamga_core::ledger::AccountKind;
use time::{Date, OffsetDateTime};

use super::{error_message, when};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered, Tr};

/// Movements shown on the account page (newest first).
pub const PAGE_ROWS: usize = 100;
/// Movements on the printable statement (oldest first).
pub const PRINT_ROWS: usize = 2000;

/// A statement period as typed: `from` and `to` (`YYYY-MM-DD`), by
/// default the current month up to today.
#[derive(Debug, Clone)]
pub struct Period {
    pub from: String,
    pub to: String,
}

impl Period {
    /// The period of the query (`from`, `to`), else this month to `today`.
    pub fn of(ctx: &Ctx, today: Date) -> Period {
        let first = today.replace_day(1).unwrap_or(today);
        Period {
            from: ctx
                .param("from")
                .map(str::to_owned)
                .unwrap_or_else(|| first.to_string()),
            to: ctx
                .param("to")
                .map(str::to_owned)
                .unwrap_or_else(|| today.to_string()),
        }
    }

    /// The period as the half-open interval of instants `[from, to + 1
    /// day)`, or the field that is not a `YYYY-MM-DD` date.
    pub fn range(&self) -> Result<(OffsetDateTime, OffsetDateTime), &'static str> {
        let from = tamga_core::tariff::parse_date(self.from.trim()).ok_or("from")?;
        let to = tamga_core::tariff::parse_date(self.to.trim())
            .and_then(|d| d.next_day())
            .ok_or("to")?;
        Ok((from.midnight().assume_utc(), to.midnight().assume_utc()))
    }

    /// `from=…&to=…` for links.
    pub fn query(&self) -> String {
        crate::pages::form_pairs(
            [("from", self.from.as_str()), ("to", self.to.as_str())].into_iter(),
        )
    }
}

/// An account's balances as shown.
pub struct AccountRow {
    pub kind: String,
    pub currency: String,
    pub available: String,
    pub reserved: String,
}

/// A movement as shown.
pub struct MovementRow {
    pub at: String,
    pub kind: String,
    pub bucket: String,
    pub amount: String,
    pub available: String,
    pub reserved: String,
    pub mrn: String,
    pub reference: String,
}

/// A statement as shown.
pub struct StatementView {
    pub opening_available: String,
    pub opening_reserved: String,
    pub closing_available: String,
    pub closing_reserved: String,
    pub rows: Vec<MovementRow>,
    /// Movements not shown (in the CSV).
    pub more: usize,
}

fn kind_name(tr: &Tr, k: AccountKind) -> String {
    tr.t(&format!("acct-kind-{}", k.as_str()))
}

fn statement_view(tr: &Tr, st: &Statement, max: usize, newest_first: bool) -> StatementView {
    let n = st.movements.len();
    let take: Box<dyn Iterator<Item = &MovementView>> = if newest_first {
        Box::new(st.movements.iter().rev().take(max))
    } else {
        Box::new(st.movements.iter().take(max))
    };
    let num = |d: rust_decimal::Decimal| tr.number(&d.to_string());
    let rows = take
        .map(|m| {
            let kid = format!("acct-txn-{}", m.kind.as_str().replace('_', "-"));
            MovementRow {
                at: when(m.at),
                kind: if tr.has(&kid) {
                    tr.t(&kid)
                } else {
                    m.kind.as_str().to_owned()
                },
                bucket: tr.t(&format!("acct-bucket-{}", m.bucket.as_str())),
                amount: num(m.amount),
                available: num(m.balance_after.available),
                reserved: num(m.balance_after.reserved),
                mrn: m
                    .mrn
                    .as_ref()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
                reference: m.reference.clone().unwrap_or_default(),
            }
        })
        .collect();
    StatementView {
        opening_available: num(st.opening.available),
        opening_reserved: num(st.opening.reserved),
        closing_available: num(st.closing.available),
        closing_reserved: num(st.closing.reserved),
        rows,
        more: n.saturating_sub(max),
    }
}

#[derive(Template)]
#[template(path = "account/account.html")]
struct AccountPage {
    f: Frame,
    accounts: Vec<AccountRow>,
    reference: String,
    currency: String,
    qr_text: String,
    /// `from` and `to`: name, label, value typed, error.
    period_fields: Vec<(&'static str, String, String, String)>,
    query: String,
    statement: Option<StatementView>,
}

/// What the account page shows: the API's answers.
pub struct AccountData<'a> {
    pub accounts: &'a [AccountView],
    pub payment: &'a PaymentInstructions,
    pub period: Period,
    /// The statement of the period, or the error code and the field
    /// (`from`, `to`) it is about.
    pub statement: Result<Statement, (&'a str, &'a str)>,
}

pub fn account_page(ctx: &Ctx, d: AccountData<'_>) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let accounts = d
        .accounts
        .iter()
        .map(|a| AccountRow {
            kind: kind_name(&tr, a.kind),
            currency: a.currency.as_str().to_owned(),
            available: tr.number(&a.balances.available.to_string()),
            reserved: tr.number(&a.balances.reserved.to_string()),
        })
        .collect();
    let (statement, period_error, status) = match &d.statement {
        Ok(st) => (Some(statement_view(&tr, st, PAGE_ROWS, true)), None, 200),
        Err((code, field)) => (
            None,
            Some((
                (*field).to_owned(),
                format!("{} ({code})", error_message(ctx, code)),
            )),
            400,
        ),
    };
    let error_of = |name: &str| match &period_error {
        Some((field, msg)) if field == name => msg.clone(),
        _ => String::new(),
    };
    render(
        &AccountPage {
            f: Frame::new(ctx, tr.t("acct-title")),
            accounts,
            reference: d.payment.payment_reference.clone(),
            currency: d.payment.currency.as_str().to_owned(),
            qr_text: super::qr::payload(&d.payment.payment_reference, d.payment.currency.as_str()),
            query: d.period.query(),
            period_fields: vec![
                (
                    "from",
                    tr.t("acct-from"),
                    d.period.from.clone(),
                    error_of("from"),
                ),
                ("to", tr.t("acct-to"), d.period.to.clone(), error_of("to")),
            ],
            statement,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "account/statement.html")]
struct StatementPage {
    f: Frame,
    owner: String,
    kind: String,
    currency: String,
    from: String,
    to: String,
    printed: String,
    query: String,
    s: StatementView,
}

/// The printable statement of a period (`@media print` in the style
/// sheet hides the site's frame).
pub fn statement_page(
    ctx: &Ctx,
    st: &Statement,
    period: &Period,
    now: OffsetDateTime,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    render(
        &StatementPage {
            f: Frame::new(ctx, tr.t("acct-statement-title")),
            owner: st
                .account
                .owner
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            kind: kind_name(&tr, st.account.kind),
            currency: st.account.currency.as_str().to_owned(),
            from: period.from.clone(),
            to: period.to.clone(),
            printed: when(now),
            query: period.query(),
            s: statement_view(&tr, st, PRINT_ROWS, false),
        },
        200,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_defaults_to_this_month_and_parses_days() {
        let today = time::macros::date!(2026 - 12 - 06);
        let p = Period::of(&Ctx::new("en", "/", vec![]), today);
        assert_eq!(
            (p.from.as_str(), p.to.as_str()),
            ("2026-12-01", "2026-12-06")
        );
        let (a, b) = p.range().unwrap();
        assert_eq!(b - a, time::Duration::days(6));
        let bad = Period {
            from: "2026-13-01".into(),
            to: "x".into(),
        };
        assert_eq!(bad.range(), Err("from"));
        let bad = Period {
            from: "2026-01-01".into(),
            to: "x".into(),
        };
        assert_eq!(bad.range(), Err("to"));
        assert_eq!(p.query(), "from=2026-12-01&to=2026-12-06");
    }
}
