//! `/trader/account`: the trader's single personal account as
//! `GET /api/v1/account/ledger` and its statement give it: each account's
//! balances (available, reserved, currency), the payment reference to
//! quote on a bank transfer with its QR code (`/trader/account/qr.svg`,
//! [`super::qr`]), and the statement of a period (`from`/`to`, UTC days,
//! inclusive) with links to its CSV (`/trader/account/statement.csv`, the
//! API's CSV) and a printable page (`/trader/account/statement`).
//!
//! A period may hold many movements: both pages show one page of them,
//! read by the store ([`tamga_app::account::Accounts::statement_page`]):
//! the account page the newest [`PAGE_ROWS`] first, the printable page
//! [`PRINT_ROWS`] oldest first, each with links to the pages before and
//! after (`before=`/`after=` an entry id); the opening and closing
//! balances and the number of movements are the period's, from SQL sums.
//! The CSV holds the whole period.

use askama::Template;
use tamga_app::account::{
    AccountView, MovementView, PaymentInstructions, StatementCursor, StatementPageView,
};
use tamga_core::ledger::AccountKind;
use time::{Date, OffsetDateTime};

use super::{error_message, when};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered, Tr};

/// Movements shown on the account page (newest first).
pub const PAGE_ROWS: u32 = 50;
/// Movements on a page of the printable statement (oldest first).
pub const PRINT_ROWS: u32 = 200;

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

    /// The page of the query: `after=` or `before=` an entry id, else
    /// `first` (the newest or oldest movements); `None` when a cursor is
    /// not a number (or both are given).
    pub fn cursor(ctx: &Ctx, first: StatementCursor) -> Option<StatementCursor> {
        let num = |name: &str| {
            ctx.param(name)
                .filter(|v| !v.is_empty())
                .map(str::parse::<i64>)
        };
        match (num("after"), num("before")) {
            (Some(Ok(id)), None) => Some(StatementCursor::After(id)),
            (None, Some(Ok(id))) => Some(StatementCursor::Before(id)),
            (None, None) => Some(first),
            _ => None,
        }
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

/// A page of a statement as shown.
pub struct StatementView {
    pub opening_available: String,
    pub opening_reserved: String,
    pub closing_available: String,
    pub closing_reserved: String,
    pub rows: Vec<MovementRow>,
    /// "N movements in the period".
    pub count: String,
    /// Links to the pages before and after (empty when none): href and
    /// label.
    pub pages: Vec<(String, String)>,
}

fn kind_name(tr: &Tr, k: AccountKind) -> String {
    tr.t(&format!("acct-kind-{}", k.as_str()))
}

fn movement_row(tr: &Tr, m: &MovementView) -> MovementRow {
    let num = |d: rust_decimal::Decimal| tr.number(&d.to_string());
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
}

/// The page `st` as shown, newest first or oldest first, with links
/// (`path?query&after|before=…`) to the pages on either side.
fn statement_view(
    tr: &Tr,
    st: &StatementPageView,
    newest_first: bool,
    path: &str,
    query: &str,
) -> StatementView {
    let num = |d: rust_decimal::Decimal| tr.number(&d.to_string());
    let mut rows: Vec<MovementRow> = st.rows.iter().map(|m| movement_row(tr, m)).collect();
    let link = |dir: &str, entry: i64| format!("{path}?{query}&{dir}={entry}");
    let mut pages = Vec::new();
    let (first, last) = (st.rows.first(), st.rows.last());
    if newest_first {
        rows.reverse();
        if let (true, Some(m)) = (st.later, last) {
            pages.push((link("after", m.entry), tr.t("acct-newer")));
        }
        if let (true, Some(m)) = (st.earlier, first) {
            pages.push((link("before", m.entry), tr.t("acct-older")));
        }
    } else {
        if let (true, Some(m)) = (st.earlier, first) {
            pages.push((link("before", m.entry), tr.t("acct-previous-page")));
        }
        if let (true, Some(m)) = (st.later, last) {
            pages.push((link("after", m.entry), tr.t("acct-next-page")));
        }
    }
    StatementView {
        opening_available: num(st.opening.available),
        opening_reserved: num(st.opening.reserved),
        closing_available: num(st.closing.available),
        closing_reserved: num(st.closing.reserved),
        rows,
        count: tr.t1("acct-count", "count", &tr.number(&st.movements.to_string())),
        pages,
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
    /// The page of the statement of the period, or the error code and
    /// the field (`from`, `to`) it is about.
    pub statement: Result<StatementPageView, (&'a str, &'a str)>,
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
        Ok(st) => (
            Some(statement_view(
                &tr,
                st,
                true,
                "/trader/account",
                &d.period.query(),
            )),
            None,
            200,
        ),
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
    st: &StatementPageView,
    period: &Period,
    now: OffsetDateTime,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut query = period.query();
    if let Some(kind) = ctx.param("kind").filter(|k| !k.is_empty()) {
        query.push('&');
        query.push_str(&crate::pages::form_pairs([("kind", kind)].into_iter()));
    }
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
            s: statement_view(&tr, st, false, "/trader/account/statement", &query),
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
