//! `/me/tokens` (the services of `/api/v1/account/tokens`:
//! `tokens::list_own`, `tokens::create_own` from the browser session,
//! `tokens::revoke`) and `/trader/webhook` (`Clearance::set_webhook`, as
//! `PUT /api/v1/account/webhook`). A new token's secret and a new
//! webhook's secret are in the answer to the POST only (`no-store`), never
//! shown again.

use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::Response;

use tamga_app::identity::sessions::Active;
use tamga_app::identity::tokens::{self, TokenRequest, Via};
use tamga_app::{AppError, Caller};
use tamga_portal::pages::account::tokens::{tokens_page, TokensView};
use tamga_portal::pages::account::webhook::{webhook_page, WebhookView};
use tamga_portal::Ctx;

use super::super::page_failed;
use super::super::viewer::{posted, see_other};
use super::{inline, refused, session_ctx, show};
use crate::AppState;

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn tokens_list(
    s: &AppState,
    ctx: &Ctx,
    active: &Active,
    v: &TokensView<'_>,
    status: u16,
) -> Response {
    match tokens::list_own(s.clearance.store().as_ref(), &active.caller()).await {
        Ok(list) => show(ctx, tokens_page(ctx, &list, v, status)),
        Err(e) => page_failed(ctx, &e, None),
    }
}

pub async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let v = TokensView {
        revoked: ctx.param("revoked"),
        ..TokensView::default()
    };
    tokens_list(&s, &ctx, &active, &v, 200).await
}

pub async fn create(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let days = form.get("expiresInDays").trim();
    let expires_in_days = if days.is_empty() {
        None
    } else {
        match days.parse::<u32>() {
            Ok(d) => Some(d),
            Err(_) => {
                let v = TokensView {
                    posted: Some(&form),
                    error: Some(("TOKEN_EXPIRY", "expiresInDays")),
                    ..TokensView::default()
                };
                return tokens_list(&s, &ctx, &active, &v, 400).await;
            }
        }
    };
    let via = Via::Session {
        username: active.user.username.clone(),
    };
    let request = TokenRequest {
        name: form.get("name").to_owned(),
        expires_in_days,
    };
    match tokens::create_own(
        s.clearance.store().as_ref(),
        &active.caller(),
        &via,
        &request,
    )
    .await
    {
        Ok(t) => {
            let v = TokensView {
                created: Some(&t),
                ..TokensView::default()
            };
            no_store(tokens_list(&s, &ctx, &active, &v, 201).await)
        }
        Err(e) => match inline(&e) {
            Some(i) => {
                let field = i.pointer.trim_start_matches('/').to_owned();
                let v = TokensView {
                    posted: Some(&form),
                    error: Some((i.code, &field)),
                    ..TokensView::default()
                };
                tokens_list(&s, &ctx, &active, &v, i.status).await
            }
            None => refused(e),
        },
    }
}

pub async fn revoke(State(s): State<AppState>, Path(id): Path<String>, parts: Parts) -> Response {
    let (_, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match tokens::revoke(s.clearance.store().as_ref(), &active.caller(), &id).await {
        Ok(r) => {
            s.tokens.forget(&r.token_sha256);
            see_other(&format!(
                "/me/tokens?{}",
                tamga_portal::pages::form_pairs([("revoked", r.token.id.as_str())].into_iter())
            ))
        }
        Err(e) => refused(e),
    }
}

/// The operator's webhook URL in force, if any.
async fn current_webhook(s: &AppState, caller: &Caller) -> Result<Option<String>, AppError> {
    let Caller::Operator(op) = caller else {
        return Err(AppError::Forbidden(
            "webhooks are economic operators'".into(),
        ));
    };
    Ok(s.clearance
        .store()
        .webhooks()
        .await?
        .into_iter()
        .find(|(o, _, _)| o == op)
        .map(|(_, url, _)| url))
}

pub async fn webhook_form(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let current = match current_webhook(&s, &active.caller()).await {
        Ok(c) => c,
        Err(e) => return refused(e),
    };
    let v = WebhookView {
        current: current.as_deref(),
        removed: ctx.param("removed").is_some(),
        ..WebhookView::default()
    };
    show(&ctx, webhook_page(&ctx, &v, 200))
}

pub async fn webhook_set(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Caller::Operator(op) = active.caller() else {
        return refused(AppError::Forbidden(
            "webhooks are economic operators'".into(),
        ));
    };
    let typed = form.get("url").trim();
    let url = Some(typed).filter(|u| !u.is_empty());
    match s.clearance.set_webhook(&op, url).await {
        Ok(Some((url, secret))) => {
            s.webhooks.notify_changed();
            let signature = format!(
                "{}: v1=hex(HMAC-SHA256(secret, {} + \".\" + body))",
                tamga_app::webhooks::SIGNATURE_HEADER,
                tamga_app::webhooks::TIMESTAMP_HEADER
            );
            let v = WebhookView {
                current: Some(&url),
                secret: Some((&secret, &signature)),
                ..WebhookView::default()
            };
            no_store(show(&ctx, webhook_page(&ctx, &v, 200)))
        }
        Ok(None) => {
            s.webhooks.notify_changed();
            see_other("/trader/webhook?removed=1")
        }
        Err(e) => match inline(&e) {
            Some(i) => {
                let current = current_webhook(&s, &active.caller()).await.ok().flatten();
                let v = WebhookView {
                    current: current.as_deref(),
                    typed,
                    error: Some(i.code),
                    ..WebhookView::default()
                };
                show(&ctx, webhook_page(&ctx, &v, i.status))
            }
            None => refused(e),
        },
    }
}
