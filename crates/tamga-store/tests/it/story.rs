//! Storage stories, run against every backend: SQLite always (in a temporary
//! directory) and PostgreSQL when `TAMGA_TEST_PG_URL` is set (each test in a
//! fresh database it creates and drops, so tests can run in parallel).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::json;
use time::macros::date;
use time::{Duration, OffsetDateTime};

use tamga_core::codes::{
    AdditionalProcedureCode, CountryCode, CurrencyCode, DocumentTypeCode, Eori, HsCode, Lrn, Mrn,
    MrnCategory, OfficeCode, ProcedureCode,
};
use tamga_core::declaration::{
    AdditionalType, Address, Declaration, DeclarationType, DocumentRef, GoodsItem, Invoice,
    Packages, Party, RepresentationKind, Representative, Totals, Transport, TransportMode,
};
use tamga_core::lifecycle::{
    verify_chain, Actor, Channel, Event, EventBody, NewNotification, NotificationKind, State,
};
use tamga_core::pipeline::{DutyResult, PaymentResult};
use tamga_core::reference::{
    CodeDescription, Country, Currency, HsEntry, Office, Procedure, ProcedureDocument,
    ReferenceBundle,
};
use tamga_core::risk::{RandomDraw, RandomSelection, RiskDecision, SelectivityCriterion};
use tamga_store::testing::TestDb;
use tamga_store::{
    Alternative, DeclarationQuery, DeclarationRecord, Operator, Payment, PaymentOp, Principal,
    Role, SigningKeyRecord, Store, StoreError, User, Write, WriteOutcome,
};

// --- harness -------------------------------------------------------------------

/// Where a test's database lives; `open` gives a fresh store over it (a
/// second `open` is a restart). Dropped (PostgreSQL: the database too) at
/// the end, even when the story panics.
type Env = TestDb;

type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;

async fn run(env: Env, story: impl FnOnce(Arc<Env>) -> BoxFut) {
    let env = Arc::new(env);
    let result = tokio::spawn(story(env.clone())).await;
    drop(env);
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn sqlite_env() -> Env {
    TestDb::sqlite().await
}

async fn pg_env() -> Env {
    TestDb::postgres_variant().await
}

/// `story!(name, sqlite_test, postgres_test)` for `async fn name(store:
/// Arc<dyn Store>)`; `story!(restart: …)` for `async fn name(env: Arc<Env>)`
/// stories that reopen the store.
macro_rules! story {
    ($name:ident, $sqlite:ident, $pg:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            run(sqlite_env().await, |env| {
                Box::pin(async move { $name(env.open().await).await })
            })
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
        async fn $pg() {
            run(pg_env().await, |env| {
                Box::pin(async move { $name(env.open().await).await })
            })
            .await;
        }
    };
    (restart: $name:ident, $sqlite:ident, $pg:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            run(sqlite_env().await, |env| Box::pin($name(env))).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
        async fn $pg() {
            run(pg_env().await, |env| Box::pin($name(env))).await;
        }
    };
}

story!(
    reference_load_is_idempotent,
    sqlite_reference_load_is_idempotent,
    postgres_reference_load_is_idempotent
);
story!(
    parties_tokens_keys_round_trip,
    sqlite_parties_tokens_keys_round_trip,
    postgres_parties_tokens_keys_round_trip
);
story!(restart: sequences_never_repeat, sqlite_sequences_never_repeat, postgres_sequences_never_repeat);
story!(
    commit_round_trips,
    sqlite_commit_round_trips,
    postgres_commit_round_trips
);
story!(
    commit_numbers_the_stored_events,
    sqlite_commit_numbers_the_stored_events,
    postgres_commit_numbers_the_stored_events
);
story!(
    duplicate_lrn_writes_nothing,
    sqlite_duplicate_lrn_writes_nothing,
    postgres_duplicate_lrn_writes_nothing
);
story!(
    originals_are_stored_with_their_declaration,
    sqlite_originals_are_stored_with_their_declaration,
    postgres_originals_are_stored_with_their_declaration
);
story!(
    stale_update_writes_nothing,
    sqlite_stale_update_writes_nothing,
    postgres_stale_update_writes_nothing
);
story!(
    paying_writes_reserve_and_debit_across_accounts,
    sqlite_paying_writes_reserve_and_debit_across_accounts,
    postgres_paying_writes_reserve_and_debit_across_accounts
);
story!(
    unsecured_write_stores_its_other_form,
    sqlite_unsecured_write_stores_its_other_form,
    postgres_unsecured_write_stores_its_other_form
);
story!(
    declaration_queries,
    sqlite_declaration_queries,
    postgres_declaration_queries
);
story!(
    notification_cursor,
    sqlite_notification_cursor,
    postgres_notification_cursor
);
story!(webhooks, sqlite_webhooks, postgres_webhooks);
story!(criteria, sqlite_criteria, postgres_criteria);
story!(
    random_selection,
    sqlite_random_selection,
    postgres_random_selection
);
story!(audit_log, sqlite_audit_log, postgres_audit_log);
story!(restart: commits_are_durable, sqlite_commits_are_durable, postgres_commits_are_durable);

// --- builders ------------------------------------------------------------------

fn eori(s: &str) -> Eori {
    Eori::parse(s).unwrap()
}
fn lrn(s: &str) -> Lrn {
    Lrn::parse(s).unwrap()
}
fn office(s: &str) -> OfficeCode {
    OfficeCode::parse(s).unwrap()
}
fn country(s: &str) -> CountryCode {
    CountryCode::parse(s).unwrap()
}
fn mrn(n: u64) -> Mrn {
    Mrn::generate(2026, &country("UZ"), n, MrnCategory::Import).unwrap()
}
fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
/// A time with nanoseconds, to check they survive storage.
fn t(offset_ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_789).unwrap()
        + Duration::milliseconds(offset_ms)
}

const OFFICE_A: &str = "UZ000100";
const OFFICE_B: &str = "UZ000200";

/// A valid declaration with `items` goods items.
fn declaration(
    lrn_s: &str,
    declarant: &str,
    representative: Option<&str>,
    office_s: &str,
    items: u32,
) -> Declaration {
    let goods = (1..=items)
        .map(|i| GoodsItem {
            sequence: i,
            description: format!("Item {i}: cotton T-shirts, knitted"),
            hs_code: HsCode::parse("6109100000").unwrap(),
            origin: country("CN"),
            preferential_origin: (i % 2 == 0).then(|| country("TR")),
            net_mass_kg: dec("12.345"),
            gross_mass_kg: dec("13.500"),
            supplementary_units: (i % 2 == 1).then(|| dec("100")),
            packages: Packages {
                kind: "CT".into(),
                count: 4,
                marks: Some(format!("MARK-{i}")),
            },
            item_price: dec("1234.50"),
            valuation_method: 1,
            customs_value: Some(dec("1300.00")),
            documents: vec![DocumentRef {
                type_code: DocumentTypeCode::parse("N380").unwrap(),
                reference: format!("INV-{i}"),
                issued_on: Some(date!(2026 - 05 - 01)),
            }],
        })
        .collect();
    Declaration {
        declaration_type: DeclarationType::IM,
        additional_type: AdditionalType::Standard,
        lrn: lrn(lrn_s),
        procedure: ProcedureCode::parse("4000").unwrap(),
        additional_procedures: vec![AdditionalProcedureCode::parse("000").unwrap()],
        declarant: Party {
            id: Some(eori(declarant)),
            name: "Declarant LLC".into(),
            address: Some(Address {
                street: "Amir Temur 1".into(),
                city: "Tashkent".into(),
                postcode: Some("100000".into()),
                country: country("UZ"),
            }),
        },
        importer: None,
        exporter: Some(Party {
            id: None,
            name: "Shenzhen Textiles".into(),
            address: None,
        }),
        seller: None,
        representative: representative.map(|r| Representative {
            id: eori(r),
            name: "Broker".into(),
            kind: RepresentationKind::Direct,
        }),
        declaration_office: office(office_s),
        presentation_office: None,
        exit_office: None,
        dispatch_country: Some(country("CN")),
        destination_country: Some(country("UZ")),
        transport: Transport {
            border_mode: TransportMode::Road,
            inland_mode: Some(TransportMode::Road),
            border_means_id: Some("01A123BC".into()),
            border_means_nationality: Some(country("UZ")),
            container: false,
        },
        transport_documents: vec![],
        delivery_terms: None,
        invoice: Invoice {
            currency: CurrencyCode::parse("USD").unwrap(),
            amount: dec("6172.50"),
            date: Some(date!(2026 - 05 - 01)),
        },
        exchange_rate_date: None,
        totals: Totals {
            packages: 4 * items,
            gross_mass_kg: dec("67.500"),
        },
        items: goods,
    }
}

/// A lodged and released declaration: its record, 6 sealed events and 2
/// notifications (declarant, and representative or declarant again).
struct Lodged {
    record: DeclarationRecord,
    events: Vec<Event>,
    notifications: Vec<NewNotification>,
}

fn lodged(
    n: u64,
    lrn_s: &str,
    declarant: &str,
    representative: Option<&str>,
    office_s: &str,
    at: OffsetDateTime,
) -> Lodged {
    let m = mrn(n);
    let d = declaration(lrn_s, declarant, representative, office_s, 5);
    let lodged_by = eori(representative.unwrap_or(declarant));
    let bodies = vec![
        EventBody::Lodged {
            lrn: lrn(lrn_s),
            body_sha256: "ab".repeat(32),
            signing_key: "k1".into(),
            mandate: None,
            payer: None,
        },
        EventBody::Registered { mrn: m.clone() },
        EventBody::RiskAssessed {
            decision: RiskDecision {
                channel: Channel::Green,
                hits: vec![],
                random: RandomDraw {
                    seed: 42,
                    secret_id: None,
                    draw: dec("0.731200"),
                    yellow_rate: dec("0.01"),
                    red_rate: dec("0.005"),
                    selected: None,
                    salt: None,
                },
                explanation: "no criterion hit and not randomly selected: green".into(),
                combined: Default::default(),
            },
            version: None,
            channel: None,
        },
        EventBody::DutiesAssessed {
            result: DutyResult::NotAssessed {
                reason: "no tariff".into(),
            },
        },
        EventBody::PaymentSecured {
            result: PaymentResult::NothingDue {
                reason: "nothing due".into(),
            },
        },
        EventBody::automatic_release(),
    ];
    let mut events: Vec<Event> = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let prev = events.last().map_or(String::new(), |e| e.hash.clone());
        let actor = if i == 0 {
            Actor::Operator(lodged_by.clone())
        } else {
            Actor::System
        };
        events.push(Event::seal(
            &m,
            i as u32 + 1,
            actor,
            at + Duration::microseconds(i as i64),
            body,
            &prev,
        ));
    }
    let note = |recipient: &str, kind| NewNotification {
        recipient: eori(recipient),
        kind,
        mrn: Some(m.clone()),
        lrn: Some(lrn(lrn_s)),
        at,
        payload: json!({"mrn": m.as_str(), "state": "released", "amount": 1.5, "list": [1, 2, {"x": null}]}),
    };
    let notifications = vec![
        note(declarant, NotificationKind::Registered),
        note(
            representative.unwrap_or(declarant),
            NotificationKind::Released,
        ),
    ];
    let record = DeclarationRecord {
        mrn: m,
        lrn: lrn(lrn_s),
        declaration_type: DeclarationType::IM,
        declarant: eori(declarant),
        representative: representative.map(eori),
        lodged_by,
        office: office(office_s),
        state: State::Released,
        channel: Channel::Green,
        version: 1,
        body_sha256: "ab".repeat(32),
        registered_at: at,
        updated_at: at + Duration::microseconds(5),
        last_seq: events.len() as u32,
        last_hash: events.last().unwrap().hash.clone(),
        declaration: d,
    };
    Lodged {
        record,
        events,
        notifications,
    }
}

fn insert(l: &Lodged) -> Write {
    Write::Insert {
        record: Box::new(l.record.clone()),
        events: l.events.clone(),
        notifications: l.notifications.clone(),
        payment: None,
        quota_draws: vec![],
        original: None,
    }
}

fn simple(n: u64, lrn_s: &str, declarant: &str) -> Lodged {
    lodged(n, lrn_s, declarant, None, OFFICE_A, t(n as i64))
}

/// Stored notifications without their ids.
fn strip(ns: Vec<tamga_store::Notification>) -> Vec<NewNotification> {
    ns.into_iter()
        .map(|n| NewNotification {
            recipient: n.recipient,
            kind: n.kind,
            mrn: n.mrn,
            lrn: n.lrn,
            at: n.at,
            payload: n.payload,
        })
        .collect()
}

// --- stories -------------------------------------------------------------------

fn bundle(hs_count: usize) -> ReferenceBundle {
    let mut hs = vec![
        HsEntry {
            code: "61".into(),
            description: "Articles of apparel, knitted".into(),
            parent: None,
            level: 2,
            section: "XI".into(),
            valid_from: date!(2022 - 01 - 01),
            valid_to: None,
        },
        HsEntry {
            code: "6109".into(),
            description: "T-shirts, singlets".into(),
            parent: Some("61".into()),
            level: 4,
            section: "XI".into(),
            valid_from: date!(2022 - 01 - 01),
            valid_to: Some(date!(2027 - 12 - 31)),
        },
    ];
    // Enough rows to need several statements under SQLite's parameter limit.
    for i in 0..hs_count {
        hs.push(HsEntry {
            code: format!("{:06}", 900_000 + i),
            description: format!("Synthetic subheading {i} with ünïcödé"),
            parent: Some("6109".into()),
            level: 6,
            section: "XI".into(),
            valid_from: date!(2022 - 01 - 01),
            valid_to: None,
        });
    }
    ReferenceBundle {
        hs,
        countries: vec![
            Country {
                code: "UZ".into(),
                name: "Uzbekistan".into(),
            },
            Country {
                code: "CN".into(),
                name: "China".into(),
            },
        ],
        currencies: vec![
            Currency {
                code: "USD".into(),
                name: "US Dollar".into(),
                minor_units: 2,
            },
            Currency {
                code: "UZS".into(),
                name: "Uzbek Sum".into(),
                minor_units: 2,
            },
            Currency {
                code: "JPY".into(),
                name: "Yen".into(),
                minor_units: 0,
            },
        ],
        procedures: vec![
            Procedure {
                code: "4000".into(),
                declaration_types: vec![DeclarationType::IM],
                description: "Release for free circulation".into(),
            },
            Procedure {
                code: "1000".into(),
                declaration_types: vec![DeclarationType::EX, DeclarationType::CO],
                description: "Permanent export".into(),
            },
        ],
        additional_procedures: vec![CodeDescription {
            code: "000".into(),
            description: "None".into(),
        }],
        procedure_combinations: vec![("4000".into(), "000".into()), ("1000".into(), "000".into())],
        document_types: vec![CodeDescription {
            code: "N380".into(),
            description: "Commercial invoice".into(),
        }],
        procedure_documents: vec![ProcedureDocument {
            procedure: "4000".into(),
            document_code: "N380".into(),
            reason: "invoice required".into(),
        }],
        offices: vec![Office {
            code: OFFICE_A.into(),
            name: "Tashkent Central".into(),
            country: "UZ".into(),
            roles: vec!["IMP".into(), "EXP".into()],
            city: "Tashkent".into(),
            latitude: 41.311_081_234_567_89,
            longitude: 69.240_562_1,
            // Stored and read back with the rest (a quoted list of spans).
            hours: Some(
                tamga_core::office_hours::OpeningHours::parse(
                    "Mo-Fr 09:00-13:00,14:00-18:00; Sa 09:00-13:00",
                )
                .unwrap(),
            ),
            services: vec![
                tamga_core::office_hours::OfficeService::Import,
                tamga_core::office_hours::OfficeService::Lab,
            ],
        }],
    }
}

fn sorted(mut b: ReferenceBundle) -> ReferenceBundle {
    b.hs.sort_by(|a, b| a.code.cmp(&b.code));
    b.countries.sort_by(|a, b| a.code.cmp(&b.code));
    b.currencies.sort_by(|a, b| a.code.cmp(&b.code));
    b.procedures.sort_by(|a, b| a.code.cmp(&b.code));
    b.additional_procedures.sort_by(|a, b| a.code.cmp(&b.code));
    b.procedure_combinations.sort();
    b.document_types.sort_by(|a, b| a.code.cmp(&b.code));
    b.procedure_documents
        .sort_by(|a, b| (&a.procedure, &a.document_code).cmp(&(&b.procedure, &b.document_code)));
    b.offices.sort_by(|a, b| a.code.cmp(&b.code));
    b
}

async fn reference_load_is_idempotent(store: Arc<dyn Store>) {
    assert_eq!(store.reference().await.unwrap(), ReferenceBundle::default());
    let b = bundle(6000);
    let rows: u64 = b.counts().iter().map(|(_, n)| *n as u64).sum();
    let first = store.load_reference(&b).await.unwrap();
    assert_eq!(first.total(), rows, "{first:?}");
    let second = store.load_reference(&b).await.unwrap();
    assert_eq!(second.total(), 0, "{second:?}");
    assert_eq!(store.reference().await.unwrap(), sorted(b.clone()));

    // One changed row, one new row: exactly those count.
    let mut changed = b.clone();
    changed.countries[1].name = "People's Republic of China".into();
    changed.offices[0].roles.push("TRA".into());
    changed.currencies.push(Currency {
        code: "EUR".into(),
        name: "Euro".into(),
        minor_units: 2,
    });
    let third = store.load_reference(&changed).await.unwrap();
    assert_eq!(third.total(), 3, "{third:?}");
    let by_table: std::collections::HashMap<_, _> = third.changed.iter().cloned().collect();
    assert_eq!(by_table["countries"], 1);
    assert_eq!(by_table["offices"], 1);
    assert_eq!(by_table["currencies"], 1);
    assert_eq!(store.reference().await.unwrap(), sorted(changed));
}

async fn parties_tokens_keys_round_trip(store: Arc<dyn Store>) {
    assert!(!store.has_parties().await.unwrap());
    let op = Operator {
        id: eori("UZ123456789"),
        name: "Silk Road Trading".into(),
        created_at: t(0),
    };
    store.create_operator(&op).await.unwrap();
    assert!(store.has_parties().await.unwrap());
    assert_eq!(store.operator(&op.id).await.unwrap(), Some(op.clone()));
    assert_eq!(store.operator(&eori("UZ999")).await.unwrap(), None);
    assert!(matches!(
        store.create_operator(&op).await,
        Err(StoreError::AlreadyExists(_))
    ));

    let user = User::staff(
        "officer1",
        "Officer One",
        Role::Officer,
        vec![office(OFFICE_B), office(OFFICE_A)],
        t(1),
    );
    store.create_user(&user).await.unwrap();
    assert_eq!(store.user("officer1").await.unwrap(), Some(user.clone()));
    assert_eq!(store.user("nobody").await.unwrap(), None);
    assert!(matches!(
        store.create_user(&user).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let admin = User::staff("admin", "Admin", Role::Admin, vec![], t(2));
    store.create_user(&admin).await.unwrap();
    assert_eq!(store.user("admin").await.unwrap(), Some(admin));

    let op_token = "a".repeat(64);
    let user_token = "b".repeat(64);
    store
        .add_token(&op_token, &Principal::Operator { id: op.id.clone() }, "ci")
        .await
        .unwrap();
    store
        .add_token(
            &user_token,
            &Principal::User {
                username: "officer1".into(),
            },
            "desk",
        )
        .await
        .unwrap();
    assert_eq!(
        store.principal_for_token(&op_token).await.unwrap(),
        Some(Principal::Operator { id: op.id.clone() })
    );
    assert_eq!(
        store.principal_for_token(&user_token).await.unwrap(),
        Some(Principal::User {
            username: "officer1".into()
        })
    );
    assert_eq!(
        store.principal_for_token(&"c".repeat(64)).await.unwrap(),
        None
    );

    let k1 = SigningKeyRecord {
        key_id: "k1".into(),
        operator: op.id.clone(),
        public_key: "MCowBQYDK2VwAyEA".into(),
        created_at: t(10),
        revoked: false,
    };
    let k2 = SigningKeyRecord {
        key_id: "k2".into(),
        created_at: t(20),
        revoked: true,
        ..k1.clone()
    };
    store.add_signing_key(&k2).await.unwrap();
    store.add_signing_key(&k1).await.unwrap();
    assert!(matches!(
        store.add_signing_key(&k1).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.signing_keys(&op.id).await.unwrap(), vec![k1, k2]);
    assert_eq!(store.signing_keys(&eori("UZ999")).await.unwrap(), vec![]);

    // Officers' keys: by user, by id (revoked too), ids unique, and only
    // for users that exist.
    let o1 = tamga_store::OfficerKeyRecord {
        key_id: "ok1".into(),
        username: "officer1".into(),
        public_key: "MCowBQYDK2VwAyEA".into(),
        created_at: t(30),
        revoked: false,
    };
    let o2 = tamga_store::OfficerKeyRecord {
        key_id: "ok2".into(),
        created_at: t(40),
        revoked: true,
        ..o1.clone()
    };
    store.add_officer_key(&o2).await.unwrap();
    store.add_officer_key(&o1).await.unwrap();
    assert!(matches!(
        store.add_officer_key(&o1).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(store
        .add_officer_key(&tamga_store::OfficerKeyRecord {
            key_id: "ok3".into(),
            username: "nobody".into(),
            ..o1.clone()
        })
        .await
        .is_err());
    assert_eq!(
        store.officer_keys("officer1").await.unwrap(),
        vec![o1.clone(), o2.clone()]
    );
    assert_eq!(store.officer_key("ok2").await.unwrap(), Some(o2));
    assert_eq!(store.officer_key("k1").await.unwrap(), None);
    assert_eq!(store.officer_keys("nobody").await.unwrap(), vec![]);
    store.ping().await.unwrap();
}

async fn sequences_never_repeat(env: Arc<Env>) {
    let store = env.open().await;
    assert_eq!(store.reserve_sequence("mrn", 1).await.unwrap(), 1);
    assert_eq!(store.reserve_sequence("mrn", 5).await.unwrap(), 2);
    assert_eq!(store.reserve_sequence("other", 3).await.unwrap(), 1);
    assert_eq!(store.reserve_sequence("mrn", 1).await.unwrap(), 7);
    drop(store);
    let store = env.open().await;
    assert_eq!(store.reserve_sequence("mrn", 10).await.unwrap(), 8);
    assert_eq!(store.reserve_sequence("other", 1).await.unwrap(), 4);
    // Concurrent reservations never overlap.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.reserve_sequence("mrn", 4).await.unwrap()
        }));
    }
    let mut firsts = Vec::new();
    for task in tasks {
        firsts.push(task.await.unwrap());
    }
    firsts.sort();
    assert_eq!(firsts, (0..8).map(|i| 18 + 4 * i).collect::<Vec<u64>>());
}

async fn commit_round_trips(store: Arc<dyn Store>) {
    let l = lodged(1, "INV-2026/001", "UZ100", Some("UZ200"), OFFICE_A, t(0));
    let outcomes = store.commit(&[insert(&l)]).await.unwrap();
    assert_eq!(outcomes, vec![WriteOutcome::Committed]);
    assert_eq!(
        store.declaration(&l.record.mrn).await.unwrap(),
        Some(l.record.clone())
    );
    assert_eq!(
        store
            .declaration_by_lrn(&eori("UZ100"), &lrn("INV-2026/001"))
            .await
            .unwrap(),
        Some(l.record.clone())
    );
    assert_eq!(
        store
            .declaration_by_lrn(&eori("UZ200"), &lrn("INV-2026/001"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.declaration(&mrn(2)).await.unwrap(), None);
    let events = store.events(&l.record.mrn).await.unwrap();
    assert_eq!(events, l.events);
    verify_chain(&events).unwrap();
    let to_declarant = store.notifications(&eori("UZ100"), 0, 100).await.unwrap();
    let to_rep = store.notifications(&eori("UZ200"), 0, 100).await.unwrap();
    assert_eq!(
        strip(to_declarant.clone()),
        vec![l.notifications[0].clone()]
    );
    assert_eq!(strip(to_rep.clone()), vec![l.notifications[1].clone()]);
    assert!(to_declarant[0].id < to_rep[0].id);
    assert_eq!(store.count_declarations().await.unwrap(), 1);
    assert_eq!(store.commit(&[]).await.unwrap(), vec![]);

    // Rejected lodgings register nothing but notify.
    let rejected = NewNotification {
        recipient: eori("UZ100"),
        kind: NotificationKind::Rejected,
        mrn: None,
        lrn: Some(lrn("BAD-1")),
        at: t(50),
        payload: json!({"errors": [{"code": "HS_CODE_FORMAT", "pointer": "/items/0/hsCode"}]}),
    };
    let outcomes = store
        .commit(&[Write::Notify {
            notifications: vec![rejected.clone()],
        }])
        .await
        .unwrap();
    assert_eq!(outcomes, vec![WriteOutcome::Committed]);
    let after = to_declarant[0].id;
    assert_eq!(
        strip(
            store
                .notifications(&eori("UZ100"), after, 100)
                .await
                .unwrap()
        ),
        vec![rejected]
    );
    assert_eq!(store.count_declarations().await.unwrap(), 1);
}

/// Every stored event's id is handed back to its write, in the order of
/// its events; writes that stored nothing get none. Ids grow from commit
/// to commit, as the operations pump's cursor expects.
async fn commit_numbers_the_stored_events(store: Arc<dyn Store>) {
    let a = simple(1, "L-1", "UZ100");
    let dup = simple(2, "L-1", "UZ100");
    let b = simple(3, "L-2", "UZ101");
    let note = Write::Notify {
        notifications: vec![a.notifications[0].clone()],
    };
    let first = store
        .commit_numbered(&[insert(&a), insert(&dup), note, insert(&b)])
        .await
        .unwrap();
    assert_eq!(
        first.outcomes,
        vec![
            WriteOutcome::Committed,
            WriteOutcome::DuplicateLrn {
                existing: a.record.mrn.clone()
            },
            WriteOutcome::Committed,
            WriteOutcome::Committed,
        ]
    );
    let c = simple(4, "L-3", "UZ100");
    let second = store.commit_numbered(&[insert(&c)]).await.unwrap();
    let logged = store.ops_events_after(0, 1000).await.unwrap();
    let ids_of = |m: &Mrn| -> Vec<i64> {
        logged
            .iter()
            .filter(|e| &e.mrn == m)
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids_of(&a.record.mrn).len(), a.events.len());
    assert_eq!(
        first.event_ids,
        vec![ids_of(&a.record.mrn), vec![], vec![], ids_of(&b.record.mrn)]
    );
    assert_eq!(second.event_ids, vec![ids_of(&c.record.mrn)]);
    // In the log's order, event by event.
    let all: Vec<i64> = first
        .event_ids
        .iter()
        .chain(&second.event_ids)
        .flatten()
        .copied()
        .collect();
    assert_eq!(all, logged.iter().map(|e| e.id).collect::<Vec<_>>());
    for (e, id) in a.events.iter().zip(&first.event_ids[0]) {
        let l = logged.iter().find(|l| l.id == *id).unwrap();
        assert_eq!((&l.mrn, l.kind.as_str()), (&e.mrn, e.body.kind()));
    }
    assert_eq!(
        store.commit_numbered(&[]).await.unwrap(),
        Default::default()
    );
}

async fn duplicate_lrn_writes_nothing(store: Arc<dyn Store>) {
    let a = simple(1, "L-1", "UZ100");
    assert_eq!(
        store.commit(&[insert(&a)]).await.unwrap(),
        vec![WriteOutcome::Committed]
    );

    let b = simple(2, "L-1", "UZ100"); // same declarant and LRN as a
    let c = simple(3, "L-2", "UZ100");
    let d = simple(4, "L-3", "UZ100");
    let e = simple(5, "L-3", "UZ100"); // same as d, in the same batch
    let f = simple(6, "L-1", "UZ101"); // same LRN, another declarant: fine
    let outcomes = store
        .commit(&[insert(&b), insert(&c), insert(&d), insert(&e), insert(&f)])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            WriteOutcome::DuplicateLrn {
                existing: a.record.mrn.clone()
            },
            WriteOutcome::Committed,
            WriteOutcome::Committed,
            WriteOutcome::DuplicateLrn {
                existing: d.record.mrn.clone()
            },
            WriteOutcome::Committed,
        ]
    );
    for refused in [&b, &e] {
        assert_eq!(store.declaration(&refused.record.mrn).await.unwrap(), None);
        assert_eq!(store.events(&refused.record.mrn).await.unwrap(), vec![]);
    }
    for ok in [&a, &c, &d, &f] {
        assert_eq!(
            store.declaration(&ok.record.mrn).await.unwrap(),
            Some(ok.record.clone())
        );
        assert_eq!(store.events(&ok.record.mrn).await.unwrap(), ok.events);
    }
    // UZ100 got 2 notifications for each of a, c, d only.
    let notes = store.notifications(&eori("UZ100"), 0, 100).await.unwrap();
    let mrns: Vec<Mrn> = notes.iter().filter_map(|n| n.mrn.clone()).collect();
    assert_eq!(
        mrns,
        vec![
            a.record.mrn.clone(),
            a.record.mrn.clone(),
            c.record.mrn.clone(),
            c.record.mrn.clone(),
            d.record.mrn.clone(),
            d.record.mrn.clone()
        ]
    );
    assert_eq!(store.count_declarations().await.unwrap(), 4);
}

/// A declaration lodged as a message, as a lodging would store it.
fn xml_original(l: &Lodged) -> tamga_store::Original {
    let body = format!(
        "<Declaration><FunctionalReferenceID>{}</FunctionalReferenceID></Declaration>",
        l.record.lrn
    )
    .into_bytes();
    tamga_store::Original {
        act: tamga_store::LODGEMENT.to_owned(),
        format: tamga_store::WCO_DEC_DMS_XML.to_owned(),
        body_sha256: format!("sha-of-{}", l.record.lrn),
        body,
        not_used: vec![
            "/Declaration/Extra".to_owned(),
            "/Declaration/@a".to_owned(),
        ],
    }
}

/// A cancellation sent as a message, as an invalidation would store it.
fn cancellation_original(reason: &str) -> tamga_store::Original {
    let body = format!("<Declaration><TypeCode>INV</TypeCode>{reason}</Declaration>").into_bytes();
    tamga_store::Original {
        act: tamga_store::CANCELLATION.to_owned(),
        format: tamga_store::WCO_DEC_DMS_XML.to_owned(),
        body_sha256: format!("sha-of-{reason}"),
        body,
        not_used: vec![],
    }
}

/// A declaration lodged as a message is stored with its bytes, in the
/// commit that stores it; one refused (a duplicate LRN) stores none, and
/// one lodged as JSON has none.
async fn originals_are_stored_with_their_declaration(store: Arc<dyn Store>) {
    let with = |l: &Lodged| {
        let mut w = insert(l);
        if let Write::Insert { original, .. } = &mut w {
            *original = Some(Box::new(xml_original(l)));
        }
        w
    };
    let a = simple(1, "L-1", "UZ100");
    let b = simple(2, "L-1", "UZ100"); // a's LRN again: refused
    let c = simple(3, "L-2", "UZ100"); // JSON
    let d = simple(4, "L-3", "UZ100");
    let before = OffsetDateTime::now_utc();
    let outcomes = store
        .commit(&[with(&a), with(&b), insert(&c), with(&d)])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            WriteOutcome::Committed,
            WriteOutcome::DuplicateLrn {
                existing: a.record.mrn.clone()
            },
            WriteOutcome::Committed,
            WriteOutcome::Committed,
        ]
    );
    for l in [&a, &d] {
        let stored = store.original(&l.record.mrn).await.unwrap().unwrap();
        assert_eq!(stored.mrn, l.record.mrn);
        assert_eq!(stored.original, xml_original(l));
        assert!(stored.at >= before - Duration::seconds(1));
        assert_eq!(
            store.original_format(&l.record.mrn).await.unwrap(),
            Some(stored.original.format)
        );
    }
    for l in [&b, &c] {
        assert_eq!(store.original(&l.record.mrn).await.unwrap(), None);
        assert_eq!(store.original_format(&l.record.mrn).await.unwrap(), None);
        assert!(store.originals(&l.record.mrn).await.unwrap().is_empty());
    }
    let all = store.originals(&a.record.mrn).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].original.act, tamga_store::LODGEMENT);
}

/// A lodging whose duties the account cannot cover: the form stored is the
/// other one, which keeps the first events of the write (lodged,
/// registered, risk, duties) and continues with its own; money is not
/// moved. An other form that claims more shared events than the write has
/// is refused as corrupt, and nothing of the batch is stored.
async fn unsecured_write_stores_its_other_form(store: Arc<dyn Store>) {
    use tamga_core::ledger::AccountKind;
    let account = store
        .ensure_ledger_account(
            &eori("UZ100"),
            AccountKind::Cash,
            &CurrencyCode::parse("UZS").unwrap(),
            t(0),
        )
        .await
        .unwrap();
    let other_form = |l: &Lodged, shared: usize| -> Alternative {
        let prev = &l.events[3];
        let tail = vec![Event::seal(
            &l.record.mrn,
            prev.seq + 1,
            Actor::System,
            prev.at,
            EventBody::PaymentSecured {
                result: PaymentResult::Unsecured {
                    currency: CurrencyCode::parse("UZS").unwrap(),
                    amount: dec("1.00"),
                    reason: "short".into(),
                },
            },
            &prev.hash,
        )];
        let mut record = l.record.clone();
        record.state = State::AwaitingPayment;
        record.last_seq = tail[0].seq;
        record.last_hash = tail[0].hash.clone();
        Alternative {
            record: Box::new(record),
            shared_events: shared,
            events: tail,
            notifications: vec![NewNotification {
                kind: NotificationKind::AwaitingPayment,
                ..l.notifications[0].clone()
            }],
        }
    };
    let paying = |l: &Lodged, alt: Alternative| Write::Insert {
        record: Box::new(l.record.clone()),
        events: l.events.clone(),
        notifications: l.notifications.clone(),
        payment: Some(Payment {
            op: PaymentOp::Secure {
                accounts: vec![account.id],
                amount: 100,
                debit: true,
            },
            otherwise: Some(Box::new(alt)),
        }),
        quota_draws: vec![],
        original: Some(Box::new(xml_original(l))),
    };

    let l = simple(1, "L-1", "UZ100");
    let alt = other_form(&l, 4);
    let done = store
        .commit_numbered(&[paying(&l, alt.clone())])
        .await
        .unwrap();
    assert_eq!(done.outcomes, vec![WriteOutcome::Unsecured]);
    // The ids are those of the stored form's 5 events, as the log has them.
    let logged: Vec<(i64, String)> = store
        .ops_events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.kind))
        .collect();
    assert_eq!(logged.len(), 5);
    assert_eq!(
        done.event_ids,
        vec![logged.iter().map(|(id, _)| *id).collect::<Vec<_>>()]
    );
    assert_eq!(logged[4].1, "payment_secured");
    assert_eq!(
        store.declaration(&l.record.mrn).await.unwrap().as_ref(),
        Some(&*alt.record)
    );
    // The message it was lodged as is stored with the other form too.
    let original = store.original(&l.record.mrn).await.unwrap().unwrap();
    assert_eq!(original.original, xml_original(&l));
    let events = store.events(&l.record.mrn).await.unwrap();
    let expected: Vec<Event> = l.events[..4].iter().chain(&alt.events).cloned().collect();
    assert_eq!(events, expected);
    verify_chain(&events).unwrap();
    assert_eq!(
        strip(store.notifications(&eori("UZ100"), 0, 100).await.unwrap()),
        alt.notifications
    );
    let b = store
        .ledger_account(account.id)
        .await
        .unwrap()
        .unwrap()
        .balances;
    assert_eq!((b.available, b.reserved), (0, 0));

    // More shared events than the write has: refused, nothing stored.
    let l2 = simple(2, "L-2", "UZ100");
    let bad = other_form(&l2, l2.events.len() + 1);
    let err = store
        .commit(&[paying(&l2, bad), insert(&simple(3, "L-3", "UZ100"))])
        .await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    assert_eq!(store.declaration(&l2.record.mrn).await.unwrap(), None);
    assert_eq!(store.original(&l2.record.mrn).await.unwrap(), None);
    assert_eq!(store.declaration(&mrn(3)).await.unwrap(), None);
    assert_eq!(store.count_declarations().await.unwrap(), 1);
}

/// New declarations released at once, in one batch: one paid from a
/// funded cash account, one whose empty cash account sends it on to the
/// trader's guarantee, one that finds nothing and is stored in its other
/// form. Each secured one is reserved and debited on the account that
/// covered it; nothing moves for the third; the ledger stays sound.
async fn paying_writes_reserve_and_debit_across_accounts(store: Arc<dyn Store>) {
    use tamga_core::ledger::{AccountKind, LedgerOp, ReservationStatus};
    let uzs = CurrencyCode::parse("UZS").unwrap();
    let mut opened = Vec::new();
    for (owner, kind) in [
        ("UZ100", AccountKind::Cash),
        ("UZ101", AccountKind::Cash),
        ("UZ101", AccountKind::Guarantee),
        ("UZ102", AccountKind::Cash),
    ] {
        let owner = eori(owner);
        let a = store.ensure_ledger_account(&owner, kind, &uzs, t(0));
        opened.push(a.await.unwrap());
    }
    let [cash_a, cash_b, guarantee_b, cash_c] = <[_; 4]>::try_from(opened).unwrap();
    store
        .deposit(
            cash_a.payment_reference.as_deref().unwrap(),
            "BANK-1",
            1_000,
            t(1),
        )
        .await
        .unwrap();
    store
        .ledger_one(
            LedgerOp::GrantGuarantee {
                account: guarantee_b.id,
                amount: 5_000,
            },
            t(1),
        )
        .await
        .unwrap();
    let (a, b, c) = (
        simple(1, "L-1", "UZ100"),
        simple(2, "L-2", "UZ101"),
        simple(3, "L-3", "UZ102"),
    );
    let paying = |l: &Lodged, accounts: Vec<i64>, amount: i64, otherwise: bool| {
        let mut w = insert(l);
        if let Write::Insert { payment, .. } = &mut w {
            *payment = Some(Payment {
                op: PaymentOp::Secure {
                    accounts,
                    amount,
                    debit: true,
                },
                otherwise: otherwise.then(|| {
                    Box::new(Alternative {
                        record: Box::new(l.record.clone()),
                        shared_events: l.events.len(),
                        events: vec![],
                        notifications: vec![],
                    })
                }),
            });
        }
        w
    };
    let outcomes = store
        .commit(&[
            paying(&a, vec![cash_a.id], 600, false),
            paying(&b, vec![cash_b.id, guarantee_b.id], 2_000, false),
            paying(&c, vec![cash_c.id], 10, true),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            WriteOutcome::Committed,
            WriteOutcome::Committed,
            WriteOutcome::Unsecured
        ]
    );
    let balances = |id: i64| {
        let store = store.clone();
        async move {
            let b = store.ledger_account(id).await.unwrap().unwrap().balances;
            (b.available, b.reserved)
        }
    };
    assert_eq!(balances(cash_a.id).await, (400, 0));
    assert_eq!(balances(cash_b.id).await, (0, 0));
    assert_eq!(balances(guarantee_b.id).await, (3_000, 0));
    assert_eq!(balances(cash_c.id).await, (0, 0));
    for (l, account, amount) in [(&a, cash_a.id, 600), (&b, guarantee_b.id, 2_000)] {
        let r = store.reservation(&l.record.mrn).await.unwrap().unwrap();
        assert_eq!(
            (r.account, r.amount, r.status),
            (account, amount, ReservationStatus::Debited)
        );
        assert!(r.settle_txn.is_some_and(|d| d > r.txn));
    }
    assert_eq!(store.reservation(&c.record.mrn).await.unwrap(), None);
    let check = store.ledger_check().await.unwrap();
    assert!(check.is_sound(), "{check:?}");
}

async fn stale_update_writes_nothing(store: Arc<dyn Store>) {
    // Registered, not yet released: 2 events.
    let mut l = simple(1, "L-1", "UZ100");
    l.events.truncate(2);
    l.record.state = State::Registered;
    l.record.last_seq = 2;
    l.record.last_hash = l.events[1].hash.clone();
    assert_eq!(
        store.commit(&[insert(&l)]).await.unwrap(),
        vec![WriteOutcome::Committed]
    );

    let invalidation = |expected: u32, reason: &str| {
        let prev = store_hash(&l.events, expected);
        let ev = Event::seal(
            &l.record.mrn,
            expected + 1,
            Actor::Operator(eori("UZ100")),
            t(1000),
            EventBody::Invalidated {
                reason: reason.into(),
                signing_key: "k1".into(),
                body_sha256: None,
            },
            &prev,
        );
        let mut record = l.record.clone();
        record.state = State::Invalidated;
        record.last_seq = expected + 1;
        record.last_hash = ev.hash.clone();
        record.updated_at = t(1000);
        record.declaration.totals.packages = 99;
        (
            Write::Update {
                record: Box::new(record.clone()),
                expected_last_seq: expected,
                events: vec![ev.clone()],
                notifications: vec![NewNotification {
                    recipient: eori("UZ100"),
                    kind: NotificationKind::Invalidated,
                    mrn: Some(l.record.mrn.clone()),
                    lrn: Some(l.record.lrn.clone()),
                    at: t(1000),
                    payload: json!({ "reason": reason }),
                }],
                payment: None,
                original: Some(Box::new(cancellation_original(reason))),
            },
            record,
            ev,
        )
    };
    let (first, first_record, first_event) = invalidation(2, "first");
    let (second, _, _) = invalidation(2, "second");
    let unknown = Write::Update {
        record: Box::new(simple(9, "L-9", "UZ100").record),
        expected_last_seq: 0,
        events: vec![],
        notifications: vec![],
        payment: None,
        original: None,
    };
    let outcomes = store.commit(&[first, second, unknown]).await.unwrap();
    assert_eq!(
        outcomes,
        vec![
            WriteOutcome::Committed,
            WriteOutcome::Stale,
            WriteOutcome::Stale
        ]
    );
    assert_eq!(
        store.declaration(&l.record.mrn).await.unwrap(),
        Some(first_record)
    );
    let mut expected_events = l.events.clone();
    expected_events.push(first_event);
    let events = store.events(&l.record.mrn).await.unwrap();
    assert_eq!(events, expected_events);
    verify_chain(&events).unwrap();
    let notes = store.notifications(&eori("UZ100"), 0, 100).await.unwrap();
    let invalidations: Vec<_> = notes
        .iter()
        .filter(|n| n.kind == NotificationKind::Invalidated)
        .collect();
    assert_eq!(invalidations.len(), 1);
    assert_eq!(invalidations[0].payload, json!({"reason": "first"}));
    assert_eq!(store.declaration(&mrn(9)).await.unwrap(), None);
    // The committed act's message is stored, the stale one's is not; the
    // declaration was lodged as JSON, so it has no lodgement original.
    let originals = store.originals(&l.record.mrn).await.unwrap();
    assert_eq!(originals.len(), 1);
    assert_eq!(originals[0].original, cancellation_original("first"));
    assert_eq!(store.original(&l.record.mrn).await.unwrap(), None);
    assert_eq!(store.original_format(&l.record.mrn).await.unwrap(), None);

    // A stale retry later is still refused and changes nothing.
    let (again, _, _) = invalidation(2, "again");
    assert_eq!(
        store.commit(&[again]).await.unwrap(),
        vec![WriteOutcome::Stale]
    );
    assert_eq!(store.events(&l.record.mrn).await.unwrap().len(), 3);
}

fn store_hash(events: &[Event], seq: u32) -> String {
    events[seq as usize - 1].hash.clone()
}

async fn declaration_queries(store: Arc<dyn Store>) {
    // 12 declarations, registered in order 1..=12:
    // declarant UZ100 (odd) / UZ101 (even); representative UZ200 on every
    // third; office A for n <= 6, B after; state released, every fourth
    // under control.
    let mut all = Vec::new();
    for n in 1..=12u64 {
        let declarant = if n % 2 == 1 { "UZ100" } else { "UZ101" };
        let rep = (n % 3 == 0).then_some("UZ200");
        let off = if n <= 6 { OFFICE_A } else { OFFICE_B };
        let mut l = lodged(
            n,
            &format!("L-{n}"),
            declarant,
            rep,
            off,
            t(n as i64 * 1000),
        );
        if n % 4 == 0 {
            l.record.state = State::UnderControl;
            l.record.channel = Channel::Red;
        }
        all.push(l);
    }
    // Two batches, to check order across commits too.
    let w: Vec<Write> = all.iter().map(insert).collect();
    store.commit(&w[..5]).await.unwrap();
    store.commit(&w[5..]).await.unwrap();
    assert_eq!(store.count_declarations().await.unwrap(), 12);

    let ids = |rs: Vec<DeclarationRecord>| -> Vec<u64> {
        rs.iter()
            .map(|r| all.iter().position(|l| l.record.mrn == r.mrn).unwrap() as u64 + 1)
            .collect()
    };
    let q = |f: fn(&mut DeclarationQuery)| {
        let mut q = DeclarationQuery {
            limit: 100,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    // Everything, newest first, and records equal what was written.
    let everything = store.declarations(&q(|_| {})).await.unwrap();
    assert_eq!(everything[0], all[11].record);
    assert_eq!(ids(everything), (1..=12).rev().collect::<Vec<_>>());
    // Party: declarant or representative.
    let r = store
        .declarations(&q(|q| q.party = Some(eori("UZ100"))))
        .await
        .unwrap();
    assert_eq!(ids(r), vec![11, 9, 7, 5, 3, 1]);
    let r = store
        .declarations(&q(|q| q.party = Some(eori("UZ200"))))
        .await
        .unwrap();
    assert_eq!(ids(r), vec![12, 9, 6, 3]);
    // Offices and states.
    let r = store
        .declarations(&q(|q| q.offices = Some(vec![office(OFFICE_B)])))
        .await
        .unwrap();
    assert_eq!(ids(r), vec![12, 11, 10, 9, 8, 7]);
    let r = store
        .declarations(&q(|q| {
            q.offices = Some(vec![office(OFFICE_A), office(OFFICE_B)])
        }))
        .await
        .unwrap();
    assert_eq!(r.len(), 12);
    let r = store
        .declarations(&q(|q| q.offices = Some(vec![])))
        .await
        .unwrap();
    assert_eq!(r.len(), 0);
    let r = store
        .declarations(&q(|q| q.states = Some(vec![State::UnderControl])))
        .await
        .unwrap();
    assert_eq!(ids(r), vec![12, 8, 4]);
    let r = store
        .declarations(&q(|q| {
            q.states = Some(vec![State::UnderControl, State::Refused])
        }))
        .await
        .unwrap();
    assert_eq!(ids(r), vec![12, 8, 4]);
    // Everything combined.
    let r = store
        .declarations(&q(|q| {
            q.party = Some(eori("UZ101"));
            q.offices = Some(vec![office(OFFICE_A)]);
            q.states = Some(vec![State::Released]);
        }))
        .await
        .unwrap();
    assert_eq!(ids(r), vec![6, 2]);
    // Pagination with `before`.
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .declarations(&DeclarationQuery {
                party: Some(eori("UZ101")),
                before: before.clone(),
                limit: 4,
                ..Default::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        before = Some(page.last().unwrap().mrn.clone());
        pages.push(ids(page));
    }
    assert_eq!(pages, vec![vec![12, 10, 8, 6], vec![4, 2]]);
}

async fn notification_cursor(store: Arc<dyn Store>) {
    // Interleaved notifications for two recipients, over several commits.
    let note = |who: &str, i: u32| NewNotification {
        recipient: eori(who),
        kind: NotificationKind::Rejected,
        mrn: None,
        lrn: Some(lrn(&format!("{who}-{i}"))),
        at: t(i64::from(i)),
        payload: json!({ "i": i }),
    };
    let mut expected_a = Vec::new();
    for batch in 0..3u32 {
        let mut ns = Vec::new();
        for i in 0..4u32 {
            let k = batch * 4 + i;
            let who = if k % 3 == 0 { "UZ300" } else { "UZ400" };
            let n = note(who, k);
            if who == "UZ400" {
                expected_a.push(n.clone());
            }
            ns.push(n);
        }
        store
            .commit(&[Write::Notify { notifications: ns }])
            .await
            .unwrap();
    }
    assert_eq!(expected_a.len(), 8);
    let a = eori("UZ400");
    let mut got = Vec::new();
    let mut after = 0;
    loop {
        let page = store.notifications(&a, after, 3).await.unwrap();
        assert!(page.len() <= 3);
        if page.is_empty() {
            break;
        }
        assert!(page.iter().all(|n| n.recipient == a));
        assert!(page.iter().all(|n| n.id > after));
        assert!(page.windows(2).all(|w| w[0].id < w[1].id));
        after = page.last().unwrap().id;
        got.extend(page);
    }
    assert_eq!(strip(got), expected_a);
    assert_eq!(
        store
            .notifications(&eori("UZ300"), 0, 100)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        store.notifications(&eori("UZ500"), 0, 100).await.unwrap(),
        vec![]
    );
}

async fn webhooks(store: Arc<dyn Store>) {
    assert_eq!(store.webhooks().await.unwrap(), vec![]);
    let (a, b) = (eori("UZ100"), eori("UZ200"));
    store
        .set_webhook(&b, Some("https://b.example/hook"))
        .await
        .unwrap();
    store
        .set_webhook(&a, Some("https://a.example/hook"))
        .await
        .unwrap();
    assert_eq!(
        store.webhooks().await.unwrap(),
        vec![
            (a.clone(), "https://a.example/hook".to_owned(), 0),
            (b.clone(), "https://b.example/hook".to_owned(), 0)
        ]
    );
    store.set_webhook_cursor(&a, 42).await.unwrap();
    // Changing the URL keeps the cursor.
    store
        .set_webhook(&a, Some("https://a.example/v2"))
        .await
        .unwrap();
    assert_eq!(
        store.webhooks().await.unwrap()[0],
        (a.clone(), "https://a.example/v2".to_owned(), 42)
    );
    store.set_webhook(&b, None).await.unwrap();
    assert_eq!(
        store.webhooks().await.unwrap(),
        vec![(a, "https://a.example/v2".to_owned(), 42)]
    );
    // A new webhook starts after the operator's latest notification.
    let c = eori("UZ300");
    let note = NewNotification {
        recipient: c.clone(),
        kind: NotificationKind::Rejected,
        mrn: None,
        lrn: None,
        at: OffsetDateTime::now_utc(),
        payload: json!({}),
    };
    store
        .commit(&[Write::Notify {
            notifications: vec![note.clone(), note],
        }])
        .await
        .unwrap();
    let latest = store.notifications(&c, 0, 10).await.unwrap()[1].id;
    assert!(latest > 0);
    store
        .set_webhook(&c, Some("https://c.example/hook"))
        .await
        .unwrap();
    let hooks = store.webhooks().await.unwrap();
    assert_eq!(hooks.iter().find(|h| h.0 == c).unwrap().2, latest);
}

async fn criteria(store: Arc<dyn Store>) {
    assert_eq!(store.criteria().await.unwrap(), vec![]);
    let tobacco = SelectivityCriterion {
        id: "tobacco".into(),
        description: "HS chapter 24: red".into(),
        hs_prefix: Some("24".into()),
        origin: None,
        dispatch_country: None,
        office: None,
        declaration_type: Some(DeclarationType::IM),
        channel: Channel::Red,
        active: true,
    };
    let origin = SelectivityCriterion {
        id: "origin-xx".into(),
        description: "origin CN: yellow".into(),
        hs_prefix: None,
        origin: Some(country("CN")),
        dispatch_country: Some(country("KZ")),
        office: Some(office(OFFICE_A)),
        declaration_type: None,
        channel: Channel::Yellow,
        active: true,
    };
    store.put_criterion(&tobacco).await.unwrap();
    store.put_criterion(&origin).await.unwrap();
    assert_eq!(
        store.criteria().await.unwrap(),
        vec![origin.clone(), tobacco.clone()]
    );
    let retired = SelectivityCriterion {
        active: false,
        channel: Channel::Yellow,
        ..tobacco
    };
    store.put_criterion(&retired).await.unwrap();
    assert_eq!(store.criteria().await.unwrap(), vec![origin, retired]);
}

async fn random_selection(store: Arc<dyn Store>) {
    assert_eq!(store.random_selection().await.unwrap(), None);
    let r = RandomSelection {
        yellow_rate: dec("0.0250"),
        red_rate: dec("0.005"),
        seed: u64::MAX - 7,
    };
    store.set_random_selection(&r).await.unwrap();
    let got = store.random_selection().await.unwrap().unwrap();
    assert_eq!(got, r);
    assert_eq!(
        got.yellow_rate.to_string(),
        "0.0250",
        "decimal scale survives"
    );
    let r2 = RandomSelection::default();
    store.set_random_selection(&r2).await.unwrap();
    assert_eq!(store.random_selection().await.unwrap(), Some(r2));
}

async fn audit_log(store: Arc<dyn Store>) {
    assert_eq!(store.audit_log(0, 10).await.unwrap(), vec![]);
    let mut ids = Vec::new();
    for i in 0..5 {
        let payload = json!({ "criterion": format!("c{i}"), "rate": "0.01", "n": i });
        ids.push(
            store
                .append_audit("admin", "put_criterion", t(i), &payload)
                .await
                .unwrap(),
        );
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let all = store.audit_log(0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(all[3].actor, "admin");
    assert_eq!(all[3].action, "put_criterion");
    assert_eq!(all[3].at, t(3));
    assert_eq!(
        all[3].payload,
        json!({ "criterion": "c3", "rate": "0.01", "n": 3 })
    );
    let page = store.audit_log(ids[1], 2).await.unwrap();
    assert_eq!(page, all[2..4].to_vec());
}

async fn commits_are_durable(env: Arc<Env>) {
    let store = env.open().await;
    let batch: Vec<Lodged> = (1..=256u64)
        .map(|n| {
            lodged(
                n,
                &format!("D-{n}"),
                "UZ100",
                Some("UZ200"),
                OFFICE_A,
                t(n as i64),
            )
        })
        .collect();
    let writes: Vec<Write> = batch.iter().map(insert).collect();
    let outcomes = store.commit(&writes).await.unwrap();
    assert!(outcomes.iter().all(|o| *o == WriteOutcome::Committed));
    store
        .set_random_selection(&RandomSelection::default())
        .await
        .unwrap();
    drop(store);

    let store = env.open().await;
    assert_eq!(store.count_declarations().await.unwrap(), 256);
    for l in [&batch[0], &batch[127], &batch[255]] {
        assert_eq!(
            store.declaration(&l.record.mrn).await.unwrap(),
            Some(l.record.clone())
        );
        assert_eq!(store.events(&l.record.mrn).await.unwrap(), l.events);
    }
    assert_eq!(
        store
            .notifications(&eori("UZ100"), 0, 1000)
            .await
            .unwrap()
            .len(),
        256
    );
    assert_eq!(
        store
            .notifications(&eori("UZ200"), 0, 1000)
            .await
            .unwrap()
            .len(),
        256
    );
    assert_eq!(
        store.random_selection().await.unwrap(),
        Some(RandomSelection::default())
    );
}
