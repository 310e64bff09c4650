//! The demo set-up: an administrator, an officer, a risk analyst, a broker
//! and a few traders with API tokens and Ed25519 signing keys (traders sign
//! their declarations, the officer and the administrator their acts),
//! created on first start on an empty database.
//!
//! The demo secrets are derived from fixed strings, so they are the same on
//! every machine: they are for local use only and say so wherever shown.

use ed25519_dalek::SigningKey;
use serde::Serialize;
use time::OffsetDateTime;

use tamga_core::codes::{Eori, OfficeCode};
use tamga_core::ledger::AccountKind;
use tamga_core::signature;
use tamga_store::{OfficerKeyRecord, Operator, Principal, Role, SigningKeyRecord, Store, User};

use crate::account::LedgerCurrency;
use crate::clearance::{key_id_of, sha256_hex};

/// The demo's main office (Tashkent Central Customs Office).
pub const DEMO_OFFICE: &str = "UZ000100";
/// Opening balance of each demo trader's account: 5 trillion UZS (minor units).
pub const DEMO_OPENING_BALANCE_MINOR: i64 = 500_000_000_000_000;
pub const DEMO_WARNING: &str = "DEMO CREDENTIALS: derived from fixed strings and published in the README; for local use only, never in production";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoOperator {
    pub id: String,
    pub name: String,
    pub token: String,
    pub key_id: String,
    /// Base64 of the 32-byte Ed25519 secret seed (demo only!).
    pub signing_key: String,
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoUser {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub offices: Vec<String>,
    pub token: String,
    /// Officers and administrators sign their acts: key id, base64 secret
    /// seed (demo only!) and public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Demo {
    pub warning: &'static str,
    pub office: &'static str,
    pub users: Vec<DemoUser>,
    pub traders: Vec<DemoOperator>,
    pub broker: DemoOperator,
}

fn derive(what: &str) -> [u8; 32] {
    tamga_core::hash::sha256(format!("tamga demo, local use only: {what}"))
}

/// The demo token of a principal name.
pub fn demo_token(name: &str) -> String {
    format!(
        "tamga_demo_{}",
        &hex::encode(derive(&format!("token {name}")))[..32]
    )
}

/// The demo signing key of an operator.
pub fn demo_signing_key(id: &str) -> SigningKey {
    signature::signing_key_from_seed(derive(&format!("signing key {id}")))
}

/// The demo signing key of a customs user (officer, administrator).
pub fn demo_officer_key(username: &str) -> SigningKey {
    signature::signing_key_from_seed(derive(&format!("officer signing key {username}")))
}

/// Operator id of the n-th demo trader (0-based); matches
/// `tamga_sim::demo_traders`.
pub fn demo_trader_id(n: usize) -> String {
    format!("UZ{:012}", 101 + n)
}

pub const DEMO_TRADER_NAMES: [&str; 8] = [
    "Silk Road Trading LLC",
    "Samarkand Textiles JSC",
    "Tashkent Auto Import LLC",
    "Fergana Fruit Export LLC",
    "Navoi Machinery LLC",
    "Bukhara Electronics LLC",
    "Khiva Pharma LLC",
    "Andijan Agro LLC",
];

fn operator(id: String, name: &str) -> DemoOperator {
    use base64::Engine;
    let key = demo_signing_key(&id);
    let public_key = signature::public_key_b64(&key.verifying_key());
    DemoOperator {
        token: demo_token(&id),
        key_id: key_id_of(&public_key),
        signing_key: base64::engine::general_purpose::STANDARD.encode(key.to_bytes()),
        public_key,
        id,
        name: name.to_owned(),
    }
}

/// The demo's principals (deterministic).
pub fn demo() -> Demo {
    let user = |username: &str, name: &str, role: Role| {
        let key = matches!(role, Role::Officer | Role::Admin).then(|| demo_officer_key(username));
        let public_key = key
            .as_ref()
            .map(|k| signature::public_key_b64(&k.verifying_key()));
        DemoUser {
            username: username.to_owned(),
            name: name.to_owned(),
            role,
            offices: vec![DEMO_OFFICE.to_owned()],
            token: demo_token(username),
            key_id: public_key.as_deref().map(key_id_of),
            signing_key: key.map(|k| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(k.to_bytes())
            }),
            public_key,
        }
    };
    Demo {
        warning: DEMO_WARNING,
        office: DEMO_OFFICE,
        users: vec![
            user("admin", "Demo Administrator", Role::Admin),
            user("officer", "Demo Customs Officer", Role::Officer),
            user("analyst", "Demo Risk Analyst", Role::RiskAnalyst),
            user("bank", "Demo Bank (payments gateway)", Role::Bank),
        ],
        traders: DEMO_TRADER_NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| operator(demo_trader_id(i), n))
            .collect(),
        broker: operator("UZ000000000901".into(), "Demo Customs Broker LLC"),
    }
}

/// Creates the demo principals if the database has no parties yet.
/// Returns the demo if it was created now.
pub async fn ensure_demo(store: &dyn Store) -> tamga_store::Result<Option<Demo>> {
    if store.has_parties().await? {
        return Ok(None);
    }
    let demo = demo();
    let now = OffsetDateTime::now_utc();
    let office = OfficeCode::parse(DEMO_OFFICE).expect("valid office");
    for u in &demo.users {
        store
            .create_user(&User {
                username: u.username.clone(),
                name: u.name.clone(),
                role: u.role,
                offices: vec![office.clone()],
                created_at: now,
            })
            .await?;
        store
            .add_token(
                &sha256_hex(u.token.as_bytes()),
                &Principal::User {
                    username: u.username.clone(),
                },
                "demo",
            )
            .await?;
        if let (Some(key_id), Some(public_key)) = (&u.key_id, &u.public_key) {
            store
                .add_officer_key(&OfficerKeyRecord {
                    key_id: key_id.clone(),
                    username: u.username.clone(),
                    public_key: public_key.clone(),
                    created_at: now,
                    revoked: false,
                })
                .await?;
        }
    }
    for t in demo.traders.iter().chain(std::iter::once(&demo.broker)) {
        let id = Eori::parse(&t.id).expect("valid demo id");
        store
            .create_operator(&Operator {
                id: id.clone(),
                name: t.name.clone(),
                created_at: now,
            })
            .await?;
        store
            .add_token(
                &sha256_hex(t.token.as_bytes()),
                &Principal::Operator { id: id.clone() },
                "demo",
            )
            .await?;
        store
            .add_signing_key(&SigningKeyRecord {
                key_id: t.key_id.clone(),
                operator: id.clone(),
                public_key: t.public_key.clone(),
                created_at: now,
                revoked: false,
            })
            .await?;
        // An opening balance on the single personal account, so that the
        // demo's declarations are released at once.
        let account = store
            .ensure_ledger_account(&id, AccountKind::Cash, &LedgerCurrency::uzs().code, now)
            .await?;
        if let Some(reference) = &account.payment_reference {
            store
                .deposit(
                    reference,
                    &format!("DEMO-OPENING-{id}"),
                    DEMO_OPENING_BALANCE_MINOR,
                    now,
                )
                .await?;
        }
    }
    grant_demo_mandate(store, &demo, now).await?;
    Ok(Some(demo))
}

/// The demo trader whose broker holds a mandate (the first one).
pub const DEMO_REPRESENTED_TRADER: usize = 0;

/// The demo broker's mandate from the first demo trader: direct
/// representation, every procedure and office, from today until revoked,
/// paid from the trader's account. Signed with the trader's demo key like
/// a real grant.
async fn grant_demo_mandate(
    store: &dyn Store,
    demo: &Demo,
    now: OffsetDateTime,
) -> tamga_store::Result<()> {
    let client = &demo.traders[DEMO_REPRESENTED_TRADER];
    let body = serde_json::json!({
        "declarant": client.id,
        "representative": demo.broker.id,
        "kind": "direct",
        "validFrom": now.date().to_string(),
        "payFromDeclarantAccount": true,
        "reference": "demo broker mandate",
    })
    .to_string();
    let terms = tamga_core::mandate::MandateTerms::parse(body.as_bytes())
        .map_err(|e| tamga_store::StoreError::Corrupt(format!("demo mandate: {e}")))?;
    let signature = signature::sign(&demo_signing_key(&client.id), body.as_bytes());
    store
        .grant_mandate(
            &terms,
            &tamga_store::SignedBody {
                body_sha256: sha256_hex(body.as_bytes()),
                body,
                signing_key: client.key_id.clone(),
                signature,
            },
            now,
        )
        .await?;
    Ok(())
}
