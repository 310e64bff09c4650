//! `/trader/account` and its statement: the services of
//! `GET /api/v1/account/ledger` (`Accounts::balances`,
//! `Accounts::payment_instructions`) and
//! `GET /api/v1/account/ledger/statement` (`Accounts::statement`, its CSV
//! `Statement::to_csv`), for the session's operator only (the rule admits
//! operators' users alone, and every call names the session's operator).

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use tamga_app::account::{AccountError, Statement, StatementCursor, StatementPageView};
use tamga_app::{AppError, Caller};
use tamga_core::codes::Eori;
use tamga_core::ledger::AccountKind;
use tamga_portal::pages::account::ledger::{
    account_page, statement_page, AccountData, Period, PAGE_ROWS, PRINT_ROWS,
};
use tamga_portal::pages::account::qr;
use tamga_portal::Ctx;

use super::super::page_failed;
use super::{refused, session_ctx, show};
use crate::error::ApiError;
use crate::AppState;

/// The session's operator (the rule admits only operators' users).
async fn operator(caller: &Caller) -> Result<Eori, Response> {
    match caller {
        Caller::Operator(op) => Ok(op.clone()),
        Caller::User(_) => Err(refused(AppError::Forbidden(
            "the personal account is an economic operator's".into(),
        ))),
    }
}

/// The account kind of the query (`cash` by default, or `guarantee`).
fn kind(ctx: &Ctx) -> Result<AccountKind, ApiError> {
    match ctx.param("kind").unwrap_or("cash") {
        "cash" => Ok(AccountKind::Cash),
        "guarantee" => Ok(AccountKind::Guarantee),
        k => Err(ApiError::bad_request(
            "QUERY_ACCOUNT_KIND",
            "/kind",
            format!("{k:?}: use cash or guarantee"),
        )),
    }
}

/// The statement of the query's period, or the error code and the field
/// it is about; a failure of the service is `Err(Err(..))`.
async fn statement_of(
    s: &AppState,
    op: &Eori,
    kind: AccountKind,
    period: &Period,
) -> Result<Statement, Result<(&'static str, &'static str), AccountError>> {
    let (from, to) = period.range().map_err(|f| Ok(("QUERY_DATE", f)))?;
    match s.clearance.accounts().statement(op, kind, from, to).await {
        Ok(st) => Ok(st),
        Err(AccountError::BadPeriod) => Err(Ok(("LEDGER-BAD-PERIOD", "to"))),
        Err(e) => Err(Err(e)),
    }
}

/// A page of the statement of the query's period (`after`/`before` a
/// movement, else `first`), or the error code and the field it is about;
/// a failure of the service is `Err(Err(..))`.
async fn page_of(
    s: &AppState,
    ctx: &Ctx,
    op: &Eori,
    kind: AccountKind,
    period: &Period,
    first: StatementCursor,
    limit: u32,
) -> Result<StatementPageView, Result<(&'static str, &'static str), AccountError>> {
    let (from, to) = period.range().map_err(|f| Ok(("QUERY_DATE", f)))?;
    let cursor = Period::cursor(ctx, first).ok_or(Ok(("QUERY_CURSOR", "from")))?;
    match s
        .clearance
        .accounts()
        .statement_page(op, kind, from, to, cursor, limit)
        .await
    {
        Ok(Some(page)) => Ok(page),
        Ok(None) => Err(Ok(("QUERY_CURSOR", "from"))),
        Err(AccountError::BadPeriod) => Err(Ok(("LEDGER-BAD-PERIOD", "to"))),
        Err(e) => Err(Err(e)),
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

pub async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let op = match operator(&active.caller()).await {
        Ok(op) => op,
        Err(r) => return r,
    };
    let a = s.clearance.accounts();
    let payment = match a.payment_instructions(&op).await {
        Ok(p) => p,
        Err(e) => return page_failed(&ctx, &e, None),
    };
    let accounts = match a.balances(&op).await {
        Ok(v) => v,
        Err(e) => return page_failed(&ctx, &e, None),
    };
    let period = Period::of(&ctx, today());
    let statement = match page_of(
        &s,
        &ctx,
        &op,
        AccountKind::Cash,
        &period,
        StatementCursor::Newest,
        PAGE_ROWS,
    )
    .await
    {
        Ok(st) => Ok(st),
        Err(Ok(bad)) => Err(bad),
        Err(Err(e)) => return page_failed(&ctx, &e, None),
    };
    show(
        &ctx,
        account_page(
            &ctx,
            AccountData {
                accounts: &accounts,
                payment: &payment,
                period,
                statement,
            },
        ),
    )
}

/// The statement of the period, or the answer to send instead.
async fn period_statement(
    s: &AppState,
    parts: &Parts,
) -> Result<(Ctx, Statement, Period), Response> {
    let (ctx, active) = session_ctx(parts, s).await?;
    let op = operator(&active.caller()).await?;
    let kind = kind(&ctx).map_err(IntoResponse::into_response)?;
    let period = Period::of(&ctx, today());
    match statement_of(s, &op, kind, &period).await {
        Ok(st) => Ok((ctx, st, period)),
        Err(Ok((code, field))) => Err(ApiError::bad_request(
            code,
            &format!("/{field}"),
            format!("{field}: a YYYY-MM-DD date, from on or before to"),
        )
        .into_response()),
        Err(Err(e)) => Err(refused(AppError::from(e))),
    }
}

/// The printable statement, a page at a time.
pub async fn printable(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let op = match operator(&active.caller()).await {
        Ok(op) => op,
        Err(r) => return r,
    };
    let kind = match kind(&ctx) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let period = Period::of(&ctx, today());
    match page_of(
        &s,
        &ctx,
        &op,
        kind,
        &period,
        StatementCursor::Oldest,
        PRINT_ROWS,
    )
    .await
    {
        Ok(st) => show(
            &ctx,
            statement_page(&ctx, &st, &period, time::OffsetDateTime::now_utc()),
        ),
        Err(Ok(("QUERY_CURSOR", _))) => ApiError::bad_request(
            "QUERY_CURSOR",
            "/after",
            "after and before name an entry of this account",
        )
        .into_response(),
        Err(Ok((code, field))) => ApiError::bad_request(
            code,
            &format!("/{field}"),
            format!("{field}: a YYYY-MM-DD date, from on or before to"),
        )
        .into_response(),
        Err(Err(e)) => refused(AppError::from(e)),
    }
}

/// The statement as the API's CSV, downloaded as a file.
pub async fn csv(State(s): State<AppState>, parts: Parts) -> Response {
    let (_, st, period) = match period_statement(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let owner = st
        .account
        .owner
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_default();
    // The parts are an EORI and parsed dates: nothing to quote.
    let name = format!(
        "statement-{owner}-{}-{}-{}.csv",
        st.account.kind.as_str(),
        period.from.trim(),
        period.to.trim()
    );
    let mut r = (StatusCode::OK, st.to_csv()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

/// The payment reference's QR code (SVG).
pub async fn qr(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let op = match operator(&active.caller()).await {
        Ok(op) => op,
        Err(r) => return r,
    };
    let p = match s.clearance.accounts().payment_instructions(&op).await {
        Ok(p) => p,
        Err(e) => return page_failed(&ctx, &e, None),
    };
    let Some(svg) = qr::svg(&qr::payload(&p.payment_reference, p.currency.as_str())) else {
        return refused(AppError::Unavailable("QR code".into()));
    };
    let mut r = (StatusCode::OK, svg).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    r
}
