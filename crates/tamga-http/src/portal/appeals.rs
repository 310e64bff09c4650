//! The appeals pages over HTTP (`/appeals…`): the list, one appeal, the
//! appeal form (a trader or broker: a multipart form with one optional
//! document), the decision form (an appeals officer) and the two signed
//! acts. Each act is prepared on the server (the exact body shown), then
//! signed in the browser and sent to the same service as
//! `POST /api/v1/appeals` and `POST /api/v1/appeals/{id}/decision`
//! (`tamga_app::appeals`), with the same codes.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::json;

use tamga_app::appeals::{self, AppealFilter};
use tamga_app::{AppError, Caller, Signed};
use tamga_core::appeal::{AppealBody, AppealId, AppealStatus, DecisionBody, MediaType};
use tamga_portal::pages::appeals::{detail_page, list_page, new_page, sign_page, AppealForm};
use tamga_portal::pages::error_page;
use tamga_portal::{Ctx, Rendered};
use tamga_store::Role;

use super::viewer::{me_of, page_session, posted, see_other};
use super::{context, html, page_failed};
use crate::AppState;

/// The largest document the page form takes (the API takes more).
pub const MAX_PAGE_FILE: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appeals", get(list).post(lodge))
        .route("/appeals/new", get(new_form).post(prepare))
        .route("/appeals/{id}", get(detail))
        .route("/appeals/{id}/decision/prepare", post(decision_prepare))
        .route("/appeals/{id}/decision", post(decide))
}

fn show(ctx: &Ctx, r: Result<Rendered, tamga_portal::PageError>) -> Response {
    match r {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(ctx, &e, None),
    }
}

/// A service error as the page shows it: the code and its message in the
/// page's language (the English text if there is no translation).
fn said(ctx: &Ctx, e: &AppError) -> (String, String) {
    let code = e.code();
    let id = format!("api-{code}");
    let msg = if ctx.tr.lang != "en" && ctx.tr.has(&id) {
        ctx.tr.t(&id)
    } else {
        e.to_string()
    };
    (code.to_owned(), msg)
}

/// The sign page again, with the service's refusal of the signed act
/// (the same body, to sign again once the cause is mended).
fn refused(ctx: &Ctx, title: &str, action: &str, body: &str, e: &AppError) -> Response {
    let (code, msg) = said(ctx, e);
    show(
        ctx,
        sign_page(
            ctx,
            ctx.tr.t(title),
            ctx.tr.t("appeal-sign-lead"),
            action,
            body,
            Some((&code, msg)),
            status_of(e),
        ),
    )
}

/// The status of a page that shows a refused act (as the API's).
fn status_of(e: &AppError) -> u16 {
    match e {
        AppError::NotFound { .. } => 404,
        AppError::Forbidden(_) | AppError::Denied { .. } => 403,
        AppError::Rejected(_) | AppError::Signature { .. } => 422,
        AppError::Conflict { .. }
        | AppError::InvalidState(_)
        | AppError::Stale
        | AppError::LrnConflict { .. } => 409,
        _ => 400,
    }
}

/// The page context of a logged-in request and its caller.
async fn page(parts: &Parts, s: &AppState) -> Result<(Ctx, Caller), Response> {
    let active = page_session(parts, s).await?;
    let ctx = context(&parts.method, &parts.uri, &parts.headers).with_me(Some(me_of(&active)));
    Ok((ctx, active.caller()))
}

fn not_found(ctx: &Ctx) -> Response {
    html(error_page(ctx, 404, None), ctx.tr.lang)
}

async fn list(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, caller) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let filter = AppealFilter {
        status: None,
        limit: 100,
    };
    match appeals::list(&s.clearance, &caller, filter).await {
        Ok(a) => {
            let can_lodge = matches!(caller, Caller::Operator(_));
            show(&ctx, list_page(&ctx, &a, can_lodge))
        }
        Err(e) => page_failed(&ctx, &e, None),
    }
}

async fn new_form(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, _) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = AppealForm {
        mrn: ctx.param("mrn").unwrap_or("").to_owned(),
        subject: ctx.param("subject").unwrap_or("refusal").to_owned(),
        reason: String::new(),
    };
    show(&ctx, new_page(&ctx, &form, None, 200))
}

/// The field of the appeal form a body error points at.
fn field_of(pointer: &str) -> &'static str {
    match pointer.split('/').nth(1).unwrap_or("") {
        "mrn" => "mrn",
        "subject" => "subject",
        "attachments" => "file",
        _ => "reason",
    }
}

async fn prepare(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, _) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut form = AppealForm::default();
    let mut file: Option<(String, String, Vec<u8>)> = None;
    let req = Request::from_parts(parts, body);
    let mut mp = match Multipart::from_request(req, &s).await {
        Ok(m) => m,
        Err(_) => {
            let msg = ctx.tr.t("appeal-error-file");
            return show(
                &ctx,
                new_page(&ctx, &form, Some(("file", "APPEAL_INVALID", msg)), 400),
            );
        }
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let msg = ctx.tr.t("appeal-error-file");
                return show(
                    &ctx,
                    new_page(&ctx, &form, Some(("file", "APPEAL_INVALID", msg)), 400),
                );
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let kind = field.content_type().map(str::to_owned).unwrap_or_default();
        let Ok(bytes) = field.bytes().await else {
            let msg = ctx.tr.t("appeal-error-file");
            return show(
                &ctx,
                new_page(&ctx, &form, Some(("file", "APPEAL_INVALID", msg)), 400),
            );
        };
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "mrn" => form.mrn = text(),
            "subject" => form.subject = text(),
            "reason" => form.reason = text(),
            "file" if !bytes.is_empty() => {
                file = Some((file_name.unwrap_or_default(), kind, bytes.to_vec()))
            }
            _ => {}
        }
    }
    let mut attachments = Vec::new();
    if let Some((name, kind, bytes)) = &file {
        if bytes.len() > MAX_PAGE_FILE {
            let msg = ctx.tr.t("appeal-file-hint");
            return show(
                &ctx,
                new_page(
                    &ctx,
                    &form,
                    Some(("file", "APPEAL_ATTACHMENT_TOO_LARGE", msg)),
                    400,
                ),
            );
        }
        let media = MediaType::parse(kind).map(|m| m.as_str()).unwrap_or(kind);
        attachments
            .push(json!({"name": name, "mediaType": media, "contentBase64": B64.encode(bytes)}));
    }
    let body = json!({
        "act": "appeal",
        "mrn": form.mrn,
        "subject": form.subject,
        "reason": form.reason,
        "attachments": attachments,
    })
    .to_string();
    if let Err(e) = AppealBody::parse(body.as_bytes()) {
        let msg = if ctx.tr.has(&format!("api-{}", e.code)) && ctx.tr.lang != "en" {
            ctx.tr.t(&format!("api-{}", e.code))
        } else {
            e.message.clone()
        };
        let field = field_of(&e.pointer);
        return show(&ctx, new_page(&ctx, &form, Some((field, e.code, msg)), 400));
    }
    show(
        &ctx,
        sign_page(
            &ctx,
            ctx.tr.t("appeal-sign-title"),
            ctx.tr.t("appeal-sign-lead"),
            "/appeals",
            &body,
            None,
            200,
        ),
    )
}

/// The signed act of a posted sign form.
fn signed(form: &tamga_portal::pages::form::Posted) -> Signed<'_> {
    Signed {
        body: form.get("body").as_bytes(),
        signature: Some(form.get("signature")).filter(|s| !s.is_empty()),
        key_id: Some(form.get("keyId")).filter(|s| !s.is_empty()),
    }
}

async fn lodge(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, caller) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    match appeals::lodge(&s.clearance, &caller, signed(&form)).await {
        Ok(l) => see_other(&format!("/appeals/{}", l.appeal.id)),
        Err(AppError::Store(e)) => page_failed(&ctx, &e, None),
        Err(e) => refused(&ctx, "appeal-sign-title", "/appeals", form.get("body"), &e),
    }
}

fn decider(ctx: &Ctx) -> bool {
    ctx.me.as_ref().is_some_and(|m| m.has(Role::AppealsOfficer))
}

async fn detail(State(s): State<AppState>, Path(id): Path<String>, parts: Parts) -> Response {
    let (ctx, caller) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = AppealId::parse(&id) else {
        return not_found(&ctx);
    };
    match appeals::get(&s.clearance, &caller, id).await {
        Ok(a) => {
            let decide = decider(&ctx) && a.status == AppealStatus::Lodged;
            show(&ctx, detail_page(&ctx, &a, decide, ("", ""), None, 200))
        }
        Err(AppError::NotFound { .. }) => not_found(&ctx),
        Err(e) => page_failed(&ctx, &e, None),
    }
}

async fn decision_prepare(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, caller) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = AppealId::parse(&id) else {
        return not_found(&ctx);
    };
    let a = match appeals::get(&s.clearance, &caller, id).await {
        Ok(a) => a,
        Err(AppError::NotFound { .. }) => return not_found(&ctx),
        Err(e) => return page_failed(&ctx, &e, None),
    };
    let outcome = form.get("outcome");
    let reason = form.get("reason").trim();
    let body = json!({
        "act": "appeal_decision",
        "appeal": id.get(),
        "mrn": a.mrn.to_string(),
        "outcome": outcome,
        "reason": reason,
    })
    .to_string();
    if let Err(e) = DecisionBody::parse(body.as_bytes()) {
        let msg = if ctx.tr.has(&format!("api-{}", e.code)) && ctx.tr.lang != "en" {
            ctx.tr.t(&format!("api-{}", e.code))
        } else {
            e.message.clone()
        };
        return show(
            &ctx,
            detail_page(
                &ctx,
                &a,
                true,
                (outcome, reason),
                Some(("reason", e.code, msg)),
                400,
            ),
        );
    }
    show(
        &ctx,
        sign_page(
            &ctx,
            ctx.tr.t("appeal-decision-sign-title"),
            ctx.tr.t("appeal-sign-lead"),
            &format!("/appeals/{id}/decision"),
            &body,
            None,
            200,
        ),
    )
}

async fn decide(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, caller) = match page(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = AppealId::parse(&id) else {
        return not_found(&ctx);
    };
    match appeals::decide(&s.clearance, &caller, id, signed(&form)).await {
        Ok(_) => see_other(&format!("/appeals/{id}")),
        Err(AppError::NotFound { .. }) => not_found(&ctx),
        Err(AppError::Store(e)) => page_failed(&ctx, &e, None),
        Err(e) => refused(
            &ctx,
            "appeal-decision-sign-title",
            &format!("/appeals/{id}/decision"),
            form.get("body"),
            &e,
        ),
    }
}
