//! The demo set-up: a user of every role (a central administrator, an
//! office administrator, an officer, an inspector, a risk analyst, a
//! manager, an appeals officer, a bank, an agency, and users of trader 1
//! and of the broker), each with an API token and a password (stored as
//! an argon2id hash), a broker and nine traders with API tokens and Ed25519 signing keys
//! (traders sign their declarations, the officer, the appeals officer and
//! the administrator their acts), created on first start on an empty database. Traders 1 to 8
//! hold ample funds; trader 9 ([`DEMO_POOR_TRADER`]) holds little, so its
//! declarations wait in `awaiting_payment` until a deposit covers them. A
//! server also registers the demo officer as an inspector
//! ([`register_demo_inspector`]), so that controlled declarations are
//! dispatched to it.
//!
//! The traders' ids and names are those of `tamga_sim::demo_traders` (which
//! `tamga example` uses); a test of the `tamga` crate checks that they agree.
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
/// Opening balance of each funded demo trader's account: 5 trillion UZS
/// (minor units).
pub const DEMO_OPENING_BALANCE_MINOR: i64 = 500_000_000_000_000;
/// Opening balance of the poor demo trader: 1,000.00 UZS (minor units),
/// less than the duties of any example declaration.
pub const DEMO_POOR_OPENING_BALANCE_MINOR: i64 = 100_000;
/// The demo officer, registered as the office's inspector by a server.
pub const DEMO_INSPECTOR: &str = "officer";
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
    /// The operator (EORI) of an operator's user (trader, broker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub token: String,
    /// The demo password (stored as an argon2id hash; demo only!).
    pub password: String,
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

/// The funded demo traders 1 to 8 (`tamga simulate` and the benchmarks
/// lodge as them), named as `tamga_sim::demo_traders` names them.
pub const DEMO_TRADER_NAMES: [&str; 8] = [
    "Silk Road Electronics LLC",
    "Registan Textile LLC",
    "Navoi Auto LLC",
    "Turon Food LLC",
    "Afrosiyob Chemical LLC",
    "Chorsu Machinery LLC",
    "Zarafshan Retail LLC",
    "Amu Electronics LLC",
];

/// The poor demo trader's index (0-based: trader 9), after the funded ones.
pub const DEMO_POOR_TRADER: usize = DEMO_TRADER_NAMES.len();
pub const DEMO_POOR_TRADER_NAME: &str = "Ferghana Textile LLC";
/// All demo traders: the funded ones and the poor one.
pub const DEMO_TRADERS: usize = DEMO_TRADER_NAMES.len() + 1;

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

/// The demo password of a user: 24 characters derived from a fixed
/// string (deterministic; published; demo only!).
pub fn demo_password(username: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = derive(&format!("password {username}"));
    let mut p: String = bytes[..20]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    p.insert(10, '-');
    format!("demo-{p}")
}

/// The argon2id hashes of the demo users' passwords, made once per
/// process and in parallel (a hash costs tens of milliseconds; every test
/// server creates the demo).
fn demo_password_hashes(users: &[DemoUser]) -> Vec<String> {
    static HASHES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let all = HASHES.get_or_init(|| {
        let d = demo_users();
        std::thread::scope(|s| {
            let handles: Vec<_> = d
                .iter()
                .map(|u| {
                    s.spawn(move || {
                        (
                            u.username.clone(),
                            crate::identity::password::hash(&u.password),
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("hashing does not panic"))
                .collect()
        })
    });
    users
        .iter()
        .map(|u| {
            all.iter()
                .find(|(n, _)| n == &u.username)
                .map(|(_, h)| h.clone())
                .unwrap_or_else(|| crate::identity::password::hash(&u.password))
        })
        .collect()
}

/// The demo's principals (deterministic).
pub fn demo() -> Demo {
    Demo {
        warning: DEMO_WARNING,
        office: DEMO_OFFICE,
        users: demo_users(),
        traders: DEMO_TRADER_NAMES
            .iter()
            .chain(std::iter::once(&DEMO_POOR_TRADER_NAME))
            .enumerate()
            .map(|(i, n)| operator(demo_trader_id(i), n))
            .collect(),
        broker: operator(DEMO_BROKER.into(), "Demo Customs Broker LLC"),
    }
}

/// The demo broker's EORI.
pub const DEMO_BROKER: &str = "UZ000000000901";

/// The demo users: one for every role. The central administrator
/// (`admin`) has no office; `office-admin` administers office
/// [`DEMO_OFFICE`] only. `trader1` is a user of demo trader 1, `broker1`
/// of the demo broker.
fn demo_users() -> Vec<DemoUser> {
    let office = || vec![DEMO_OFFICE.to_owned()];
    let user =
        |username: &str, name: &str, role: Role, offices: Vec<String>, operator: Option<String>| {
            let key = matches!(role, Role::Officer | Role::Admin | Role::AppealsOfficer)
                .then(|| demo_officer_key(username));
            let public_key = key
                .as_ref()
                .map(|k| signature::public_key_b64(&k.verifying_key()));
            DemoUser {
                username: username.to_owned(),
                name: name.to_owned(),
                role,
                offices,
                operator,
                token: demo_token(username),
                password: demo_password(username),
                key_id: public_key.as_deref().map(key_id_of),
                signing_key: key.map(|k| {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD.encode(k.to_bytes())
                }),
                public_key,
            }
        };
    vec![
        user("admin", "Demo Administrator", Role::Admin, vec![], None),
        user(
            "officer",
            "Demo Customs Officer",
            Role::Officer,
            office(),
            None,
        ),
        user(
            "analyst",
            "Demo Risk Analyst",
            Role::RiskAnalyst,
            office(),
            None,
        ),
        user(
            "bank",
            "Demo Bank (payments gateway)",
            Role::Bank,
            office(),
            None,
        ),
        user(
            "inspector",
            "Demo Inspector",
            Role::Inspector,
            office(),
            None,
        ),
        user(
            "manager",
            "Demo Customs Manager",
            Role::Manager,
            office(),
            None,
        ),
        user(
            "appeals",
            "Demo Appeals Officer",
            Role::AppealsOfficer,
            vec![],
            None,
        ),
        user(
            "office-admin",
            "Demo Office Administrator",
            Role::Admin,
            office(),
            None,
        ),
        user("agency", "Demo Partner Agency", Role::Agency, vec![], None),
        user(
            "trader1",
            "Demo Trader 1 Clerk",
            Role::Trader,
            vec![],
            Some(demo_trader_id(0)),
        ),
        user(
            "trader2",
            "Demo Trader 2 Clerk",
            Role::Trader,
            vec![],
            Some(demo_trader_id(1)),
        ),
        user(
            "broker1",
            "Demo Broker Clerk",
            Role::Broker,
            vec![],
            Some(DEMO_BROKER.to_owned()),
        ),
    ]
}

/// Creates the demo principals if the database has no parties yet.
/// Returns the demo if it was created now.
pub async fn ensure_demo(store: &dyn Store) -> tamga_store::Result<Option<Demo>> {
    if store.has_parties().await? {
        return Ok(None);
    }
    let demo = demo();
    let now = OffsetDateTime::now_utc();
    create_demo_operators(store, &demo, now).await?;
    let users = demo.users.clone();
    let hashes = tokio::task::spawn_blocking(move || demo_password_hashes(&users))
        .await
        .map_err(|e| tamga_store::StoreError::Open(format!("hashing demo passwords: {e}")))?;
    for (u, hash) in demo.users.iter().zip(hashes) {
        let user = User {
            username: u.username.clone(),
            name: u.name.clone(),
            roles: vec![u.role],
            operator: u
                .operator
                .as_deref()
                .map(|o| Eori::parse(o).expect("valid demo operator")),
            offices: u
                .offices
                .iter()
                .map(|o| OfficeCode::parse(o).expect("valid office"))
                .collect(),
            active: true,
            created_at: now,
        };
        store
            .create_person(
                &tamga_store::NewUser {
                    user,
                    email: None,
                    password_hash: Some(hash),
                    must_change_password: false,
                    totp_required: false,
                },
                "demo",
                now,
            )
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
    grant_demo_mandate(store, &demo, now).await?;
    Ok(Some(demo))
}

/// The demo traders and broker: operators with tokens, signing keys and
/// funded accounts.
async fn create_demo_operators(
    store: &dyn Store,
    demo: &Demo,
    now: OffsetDateTime,
) -> tamga_store::Result<()> {
    for (i, t) in demo
        .traders
        .iter()
        .chain(std::iter::once(&demo.broker))
        .enumerate()
    {
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
        // demo's declarations are released at once (but the poor trader's
        // wait for a deposit).
        let opening = if i == DEMO_POOR_TRADER {
            DEMO_POOR_OPENING_BALANCE_MINOR
        } else {
            DEMO_OPENING_BALANCE_MINOR
        };
        let account = store
            .ensure_ledger_account(&id, AccountKind::Cash, &LedgerCurrency::uzs().code, now)
            .await?;
        if let Some(reference) = &account.payment_reference {
            store
                .deposit(reference, &format!("DEMO-OPENING-{id}"), opening, now)
                .await?;
        }
    }
    Ok(())
}

/// Registers the demo officer ([`DEMO_INSPECTOR`]) as an inspector of the
/// demo office, competent for all goods and transport, taking up to 20
/// open tasks, unless it is registered already. A server does this when it
/// creates the demo set-up; the API story tests start without it (they
/// register their own inspectors).
pub async fn register_demo_inspector(store: &dyn Store) -> tamga_store::Result<()> {
    if store
        .inspectors()
        .await?
        .iter()
        .any(|i| i.username == DEMO_INSPECTOR)
    {
        return Ok(());
    }
    store
        .put_inspector(&tamga_store::ops_sql::Inspector {
            username: DEMO_INSPECTOR.to_owned(),
            office: OfficeCode::parse(DEMO_OFFICE).expect("valid office"),
            competences: Default::default(),
            capacity: 20,
            active: true,
            supervisor: true,
            updated_at: OffsetDateTime::now_utc(),
        })
        .await
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
