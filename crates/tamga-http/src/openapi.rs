//! The conventions every operation of the OpenAPI document follows, applied
//! once the route modules' documents are merged ([`finish`]):
//!
//! - every authenticated operation documents 401 (no, malformed or unknown
//!   token) and 403 (the caller's role may not: every role has endpoints
//!   closed to it, the bank nearly all);
//! - every operation that takes parameters or a body documents 400, every
//!   path naming a thing 404, all with the error body ([`ErrorBody`]);
//! - every path parameter has its format (`pattern`, from the newtypes'
//!   parsers in `tamga_core::codes`, or integer bounds);
//! - every response has a description;
//! - the main request bodies (declaration, amendment, invalidation,
//!   mandate, deposit) carry an example ([`EXAMPLES`]).
//!
//! `tests/it/openapi_doc.rs` walks the served document and fails when one of
//! these is missing.

use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

use tamga_core::codes::{Eori, Mrn, OfficeCode};

use crate::error::ErrorBody;

/// The format of identifiers that are not code newtypes: risk profile and
/// selectivity criterion ids (letters, digits, `-`, `_`; at most 64).
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// A customs user's name.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}$";

/// The schema of a path parameter, from its name and the path it is in.
fn path_parameter(path: &str, name: &str) -> Schema {
    let string = |pattern: &str| {
        Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .build(),
        )
    };
    let integer = || {
        Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                )))
                .minimum(Some(1))
                .build(),
        )
    };
    match name {
        "mrn" => string(Mrn::PATTERN),
        "office" => string(OfficeCode::PATTERN),
        "username" => string(USERNAME_PATTERN),
        "eori" => string(Eori::PATTERN),
        // A signing key's id: the first 16 hex digits of a SHA-256.
        "keyId" => string("^[0-9a-f]{16}$"),
        "id" if path.starts_with("/api/v1/traders/") || path.starts_with("/api/v1/operators/") => {
            string(Eori::PATTERN)
        }
        "id" if path.starts_with("/api/v1/account/mandates/")
            || path.starts_with("/api/v1/refunds/")
            || path.starts_with("/api/v1/appeals/") =>
        {
            integer()
        }
        "id" => string(ID_PATTERN),
        // An appeal's attachment number.
        "n" if path.starts_with("/api/v1/appeals/") => integer(),
        // A risk model's version.
        "version" if path.starts_with("/api/v1/risk/models/") => integer(),
        other => panic!("path parameter {other} of {path} has no format: add it here"),
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// What a status means when the operation says nothing more.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "success",
        "201" => "created",
        "204" => "done; no body",
        "400" => "bad request: the error's code and pointer name the parameter or field",
        "401" => "no API token, a malformed Authorization header, or an unknown token",
        "403" => "the caller's role may not do this",
        "404" => "no such thing (or not one the caller may see)",
        "409" => "conflicts with the current state; nothing was changed",
        "413" => "the body is too large",
        "415" => "the body is not sent as application/json (CONTENT_TYPE)",
        "422" => "refused: the error lists why; nothing was written",
        "503" => "unavailable; retry later",
        _ => "see the error body",
    }
}

fn operation(path: &str, op: &mut Operation, secured_by_default: bool) {
    let secured = match &op.security {
        Some(s) => !s.is_empty(),
        None => secured_by_default,
    };
    let has_input = op.request_body.is_some()
        || op
            .parameters
            .as_ref()
            .is_some_and(|p| p.iter().any(|p| p.parameter_in != ParameterIn::Header));
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    };
    if has_input {
        add("400", default_description("400"));
    }
    // A JSON body sent as another type (or with none) is 415
    // `CONTENT_TYPE` (`extract::ApiJson`); a signed body is read as bytes.
    if op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"))
    {
        add("415", default_description("415"));
    }
    if secured {
        add("401", default_description("401"));
        add(
            "403",
            "the caller's role may not do this (the bank role may only report deposits)",
        );
    }
    if path.contains('{') {
        add("404", default_description("404"));
    }
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(r) = response {
            if r.description.trim().is_empty() {
                r.description = default_description(status).to_owned();
            }
            // Error statuses without a body schema get the error body.
            if status.starts_with('4') && r.content.is_empty() {
                r.content.insert(
                    "application/json".to_owned(),
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                );
            }
        }
    }
    for p in op.parameters.iter_mut().flatten() {
        fix_parameter(path, p);
    }
}

fn fix_parameter(path: &str, p: &mut Parameter) {
    if p.parameter_in == ParameterIn::Path {
        p.schema = Some(RefOr::T(path_parameter(path, &p.name)));
    }
}

/// Request examples: (method, path, JSON), from `openapi-examples/`.
pub const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "post",
        "/api/v1/declarations",
        include_str!("../openapi-examples/declaration.json"),
    ),
    (
        "post",
        "/api/v1/declarations/{mrn}/amendments",
        include_str!("../openapi-examples/amendment.json"),
    ),
    (
        "post",
        "/api/v1/declarations/{mrn}/invalidation",
        include_str!("../openapi-examples/invalidation.json"),
    ),
    (
        "post",
        "/api/v1/account/mandates",
        include_str!("../openapi-examples/mandate.json"),
    ),
    (
        "post",
        "/api/v1/bank/deposits",
        include_str!("../openapi-examples/deposit.json"),
    ),
];

fn add_examples(doc: &mut OpenApi) {
    for (method, path, json) in EXAMPLES {
        let example: serde_json::Value = serde_json::from_str(json).expect("examples are JSON");
        let item = doc.paths.paths.get_mut(*path);
        let op = item.and_then(|i| match *method {
            "post" => i.post.as_mut(),
            "put" => i.put.as_mut(),
            _ => None,
        });
        let body = op.and_then(|o| o.request_body.as_mut());
        let content = body.and_then(|b| b.content.get_mut("application/json"));
        let content =
            content.unwrap_or_else(|| panic!("{method} {path} has no JSON body for its example"));
        #[allow(deprecated)]
        {
            content.example = Some(example);
        }
    }
}

/// Applies the conventions to the whole (merged) document.
pub fn finish(doc: &mut OpenApi) {
    add_examples(doc);
    let secured_by_default = doc.security.as_ref().is_some_and(|s| !s.is_empty());
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            operation(path, op, secured_by_default);
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    if !components.schemas.contains_key("ErrorBody") {
        let mut schemas = Vec::new();
        <ErrorBody as utoipa::ToSchema>::schemas(&mut schemas);
        components.schemas.insert(
            "ErrorBody".into(),
            <ErrorBody as utoipa::PartialSchema>::schema(),
        );
        components.schemas.extend(schemas);
    }
}
