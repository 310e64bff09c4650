//! `/me/keys`: the signing keys of the person (an operator user: the
//! operator's), as `GET /api/v1/account/signing-keys`; registering a key
//! by a request signed in the browser (`POST /api/v1/account/signing-keys`:
//! `Clearance::add_signing_key` for an operator, `add_officer_key` for an
//! officer or administrator); revoking one's own key
//! (`DELETE /api/v1/account/signing-keys/{keyId}`).

use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::response::Response;

use tamga_app::keys::{self, KeyApproval};
use tamga_app::{Caller, Signed};
use tamga_portal::pages::account::keys::{keys_page, KeysView};
use tamga_portal::Ctx;
use tamga_store::Role;

use super::super::page_failed;
use super::super::viewer::{posted, see_other};
use super::{inline, refused, session_ctx, show};
use crate::AppState;

/// The owner a signed request names, and whether the caller registers
/// keys by signed requests (operators, officers, administrators).
fn owner_of(caller: &Caller) -> (String, bool) {
    match caller {
        Caller::Operator(op) => (op.to_string(), true),
        Caller::User(u) => (
            u.username.clone(),
            u.active && u.has_any(&[Role::Officer, Role::Admin]),
        ),
    }
}

async fn render(
    s: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    pending: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> Response {
    let list = match keys::list(s.clearance.store().as_ref(), caller).await {
        Ok(l) => l,
        Err(e) => return page_failed(ctx, &e, None),
    };
    let (owner, may_register) = owner_of(caller);
    let done = ctx
        .param("added")
        .map(|id| ("added", id))
        .or_else(|| ctx.param("revoked").map(|id| ("revoked", id)))
        .filter(|_| error.is_none());
    let v = KeysView {
        owner: &owner,
        may_register,
        pending: pending.filter(|p| !p.trim().is_empty()),
        error,
        done,
    };
    show(ctx, keys_page(ctx, &list, &v, status))
}

pub async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let pending = ctx.param("publicKey").map(|p| p.trim().to_owned());
    render(&s, &ctx, &active.caller(), pending.as_deref(), None, 200).await
}

/// A key registered by a request signed in the browser.
pub async fn add(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (ctx, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let caller = active.caller();
    let nonempty = |v: &'static str| Some(form.get(v)).filter(|x| !x.is_empty());
    let signed = Signed {
        body: form.get("body").as_bytes(),
        signature: nonempty("signature"),
        key_id: nonempty("keyId"),
    };
    let approval = KeyApproval::Signed(signed);
    let result = match &caller {
        Caller::Operator(op) => s.clearance.add_signing_key(&caller, op, approval).await,
        Caller::User(u) => {
            s.clearance
                .add_officer_key(&caller, &u.username, approval)
                .await
        }
    };
    match result {
        Ok(k) => see_other(&format!(
            "/me/keys?{}",
            tamga_portal::pages::form_pairs([("added", k.key_id.as_str())].into_iter())
        )),
        Err(e) => match inline(&e) {
            Some(i) => {
                render(
                    &s,
                    &ctx,
                    &caller,
                    Some(form.get("publicKey")),
                    Some(i.code),
                    i.status,
                )
                .await
            }
            None => refused(e),
        },
    }
}

/// Revokes one of the person's own keys (another's is 404).
pub async fn revoke(
    State(s): State<AppState>,
    Path(key_id): Path<String>,
    parts: Parts,
) -> Response {
    let (_, active) = match session_ctx(&parts, &s).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match s
        .clearance
        .revoke_signing_key(&active.caller(), &key_id, false)
        .await
    {
        Ok(_) => see_other(&format!(
            "/me/keys?{}",
            tamga_portal::pages::form_pairs([("revoked", key_id.as_str())].into_iter())
        )),
        Err(e) => refused(e),
    }
}
