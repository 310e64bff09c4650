//! The command-line tour: demo credentials, an example declaration,
//! signing and lodging.

use std::path::Path;

use base64::Engine;

use tamga_app::demo::{demo, DEMO_WARNING};
use tamga_core::signature;

pub fn demo_text() -> String {
    let d = demo();
    let mut s = String::new();
    s.push_str(&format!("\n*** {DEMO_WARNING} ***\n\n"));
    s.push_str(&format!(
        "Office: {}\n\nUsers (role, API token, password; an operator's user names its operator):\n",
        d.office
    ));
    for u in &d.users {
        s.push_str(&format!(
            "  {:<12} {:<15} {}\n               password {}{}\n",
            u.username,
            u.role.as_str(),
            u.token,
            u.password,
            u.operator
                .as_deref()
                .map(|o| format!(" (user of operator {o})"))
                .unwrap_or_default()
        ));
        if let (Some(key), Some(id)) = (&u.signing_key, &u.key_id) {
            s.push_str(&format!(
                "           signs acts with key {key} (key id {id})\n"
            ));
        }
    }
    s.push_str(&format!(
        "The officer is the office's inspector: inspection tasks are dispatched to {}.\n",
        tamga_app::demo::DEMO_INSPECTOR
    ));
    s.push_str(
        "\nTraders (number for --trader/--demo-trader, id, API token, base64 signing key):\n",
    );
    for (i, t) in d.traders.iter().enumerate() {
        let note = if i == tamga_app::demo::DEMO_POOR_TRADER {
            " (little money: its declarations wait in awaiting_payment)"
        } else {
            ""
        };
        s.push_str(&format!(
            "  {} {} {}{note}\n    token {}\n    key   {} (key id {})\n",
            i + 1,
            t.id,
            t.name,
            t.token,
            t.signing_key,
            t.key_id
        ));
    }
    let b = &d.broker;
    s.push_str(&format!(
        "\nBroker:\n  {} {}\n    token {}\n    key   {} (key id {})\n",
        b.id, b.name, b.token, b.signing_key, b.key_id
    ));
    let client = &d.traders[tamga_app::demo::DEMO_REPRESENTED_TRADER];
    s.push_str(&format!(
        "\nThe broker {} holds a mandate from {} ({}): direct representation, every procedure and office, paid from the client's account.\nOther representations need a mandate the declarant grants: POST /api/v1/account/mandates (signed).\n",
        d.broker.id, client.id, client.name
    ));
    s.push_str("\nTry: tamga example > decl.json && tamga lodge --token <trader token> --key <signing key> decl.json\n");
    s.push_str("Officers sign their acts the same way: tamga sign --key <officer's key> act.json, sent as X-Tamga-Signature.\n");
    s
}

pub fn print_demo(json: bool) -> Result<(), String> {
    if json {
        crate::out(serde_json::to_string_pretty(&demo()).map_err(|e| e.to_string())?)?;
    } else {
        crate::out(demo_text())?;
    }
    Ok(())
}

fn signing_key(b64: &str) -> Result<ed25519_dalek::SigningKey, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| format!("signing key is not base64: {e}"))?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| {
        "signing key must be 32 bytes (base64 of the Ed25519 secret seed)".to_string()
    })?;
    Ok(signature::signing_key_from_seed(seed))
}

pub fn sign(key: &str, file: &Path) -> Result<(), String> {
    let body = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    crate::out(signature::sign(&signing_key(key)?, &body))?;
    Ok(())
}

pub async fn lodge(
    target: &str,
    demo_trader: Option<usize>,
    token: Option<String>,
    key: Option<String>,
    file: &Path,
) -> Result<(), String> {
    let (token, key) = match demo_trader {
        Some(n) => {
            let d = demo();
            let t = n
                .checked_sub(1)
                .and_then(|i| d.traders.get(i))
                .ok_or_else(|| format!("--demo-trader must be 1 to {}", d.traders.len()))?;
            (t.token.clone(), t.signing_key.clone())
        }
        None => (
            token.ok_or("give --token or --demo-trader")?,
            key.ok_or("give --key or --demo-trader")?,
        ),
    };
    let (token, key) = (token.as_str(), key.as_str());
    let body = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let sig = signature::sign(&signing_key(key)?, &body);
    // A `.xml` file is a WCO DEC-DMS declaration (docs/messages.md).
    let content_type = if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
    {
        "application/xml"
    } else {
        "application/json"
    };
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/declarations",
            target.trim_end_matches('/')
        ))
        .bearer_auth(token)
        .header("content-type", content_type)
        .header("x-tamga-signature", sig)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("cannot reach {target}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    let json = serde_json::from_str::<serde_json::Value>(&text).ok();
    // The outcome first, on stderr (written at once, before stdout), and
    // the answer alone on stdout, so that it can be piped to a JSON tool.
    eprintln!("{}", outcome(status, json.as_ref()));
    let pretty = json
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    crate::out(pretty)?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("lodging failed with HTTP {status}"))
    }
}

/// One line on a lodging's outcome: the HTTP status and the MRN, state
/// and channel of an accepted declaration, or the error code and the codes
/// (with pointers) of its violations.
fn outcome(status: reqwest::StatusCode, answer: Option<&serde_json::Value>) -> String {
    let mut line = format!("HTTP {status}");
    let Some(v) = answer else {
        return line;
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    if let Some(mrn) = text(&v["mrn"]) {
        line.push_str(&format!(": MRN {mrn}"));
        for field in ["state", "channel"] {
            if let Some(x) = text(&v[field]) {
                line.push_str(&format!(", {field} {x}"));
            }
        }
    } else if let Some(code) = text(&v["error"]["code"]) {
        line.push_str(&format!(": {code}"));
        let violations: Vec<String> = v["error"]["violations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| {
                        let code = text(&x["code"])?;
                        Some(match text(&x["pointer"]).filter(|p| !p.is_empty()) {
                            Some(p) => format!("{code} at {p}"),
                            None => code,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !violations.is_empty() {
            line.push_str(&format!(" ({})", violations.join(", ")));
        } else if let Some(m) = text(&v["error"]["message"]) {
            line.push_str(&format!(" ({m})"));
        }
    }
    line
}

pub fn example(trader: usize, seed: u64, hs: Option<&str>) -> Result<(), String> {
    let body = crate::bench::example_declaration(trader, seed, hs)?;
    crate::out(String::from_utf8_lossy(&body))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::outcome;
    use reqwest::StatusCode;
    use serde_json::json;

    #[test]
    fn the_outcome_names_the_mrn_or_the_error_codes() {
        let ok = json!({"mrn": "26UZ0001", "state": "released", "channel": "green", "lrn": "L"});
        assert_eq!(
            outcome(StatusCode::CREATED, Some(&ok)),
            "HTTP 201 Created: MRN 26UZ0001, state released, channel green"
        );
        let bad = json!({"error": {"code": "DECLARATION_REJECTED", "message": "m", "violations": [
            {"code": "FLC-HS-UNKNOWN", "pointer": "/items/0/hsCode"},
            {"code": "FLC-X", "pointer": ""}
        ]}});
        assert_eq!(
            outcome(StatusCode::UNPROCESSABLE_ENTITY, Some(&bad)),
            "HTTP 422 Unprocessable Entity: DECLARATION_REJECTED (FLC-HS-UNKNOWN at /items/0/hsCode, FLC-X)"
        );
        let denied = json!({"error": {"code": "UNAUTHENTICATED", "message": "no token"}});
        assert_eq!(
            outcome(StatusCode::UNAUTHORIZED, Some(&denied)),
            "HTTP 401 Unauthorized: UNAUTHENTICATED (no token)"
        );
        assert_eq!(
            outcome(StatusCode::BAD_GATEWAY, None),
            "HTTP 502 Bad Gateway"
        );
    }
}
