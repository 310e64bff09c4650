//! The reference-price database of customs value control (migration
//! `0029_value_observations.sql`), on SQLite and (when `TAMGA_TEST_PG_URL`
//! is set) PostgreSQL: observations are written by the commit that stores
//! a duty assessment and count only once the declaration is released (in
//! the same write, or by a later one); an amendment replaces them (or
//! drops them when its duties were not assessed again); a sample is read
//! per national code and origin, per subheading with or without origin,
//! within the window, in the national currency, most recent first and
//! bounded.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use tamga_core::codes::{CountryCode, CurrencyCode, Eori, HsCode, Mrn, MrnCategory};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::{Actor, Channel, Event, EventBody, State};
use tamga_core::money::Money;
use tamga_core::pipeline::DutyResult;
use tamga_core::tariff::{DeclarationAssessment, ItemAssessment};
use tamga_core::value_control::{QuantityUnit, ValueKey};
use tamga_store::{DeclarationRecord, Store, Write};

stories!(observations_follow_assessment_release_and_amendment);

const DECLARATION: &str = include_str!("../../../tamga-core/src/testdata/declaration.json");

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::now_utc() - Duration::days(10)
}

/// A one-item declaration of `code` from `origin`, 10 kg net, lodged by
/// `declarant`.
fn declaration(n: u64, declarant: &str, code: &str, origin: &str) -> Declaration {
    let mut decl: Declaration = serde_json::from_str(DECLARATION).unwrap();
    decl.items.truncate(1);
    decl.items[0].hs_code = HsCode::parse(code).unwrap();
    decl.items[0].origin = CountryCode::parse(origin).unwrap();
    decl.items[0].net_mass_kg = d("10");
    decl.items[0].supplementary_units = Some(d("4"));
    decl.declarant.id = Some(Eori::parse(declarant).unwrap());
    decl.lrn = tamga_core::codes::Lrn::parse(&format!("VAL-{n}")).unwrap();
    decl
}

/// Duties assessed with the item's national customs value `value`.
fn assessed(value: &str, currency: &str) -> DutyResult {
    let cur = CurrencyCode::parse(currency).unwrap();
    let m = |x: &str| Money::new(d(x), cur.clone());
    DutyResult::Assessed {
        currency: cur.clone(),
        customs_duty: Decimal::ZERO,
        additional_duties: Decimal::ZERO,
        excise: Decimal::ZERO,
        vat: Decimal::ZERO,
        total: Decimal::ZERO,
        tariff: "test".into(),
        assessment: Box::new(DeclarationAssessment {
            national_currency: currency.into(),
            acceptance_date: t0().date(),
            rounding: tamga_core::tariff::ROUNDING_RULE.into(),
            items: vec![ItemAssessment {
                goods_code: "x".into(),
                origin: "CN".into(),
                date: t0().date(),
                customs_value: m(value),
                exchange_rate: None,
                customs_value_national: m(value),
                lines: vec![],
                notes: vec![],
                quota_draws: vec![],
                customs_duty: m("0"),
                additional_duties: m("0"),
                excise: m("0"),
                vat: m("0"),
                total: m("0"),
            }],
            customs_duty: m("0"),
            additional_duties: m("0"),
            excise: m("0"),
            vat: m("0"),
            total: m("0"),
        }),
    }
}

/// A declaration as stored: its record and events so far.
struct Decl {
    record: DeclarationRecord,
    events: Vec<Event>,
}

impl Decl {
    /// Seals `bodies` after the events so far, at `at`.
    fn append(&mut self, bodies: Vec<EventBody>, at: OffsetDateTime) -> Vec<Event> {
        let mut out = Vec::new();
        for b in bodies {
            let prev = self.events.last().map_or(String::new(), |e| e.hash.clone());
            let seq = self.events.len() as u32 + 1;
            let e = Event::seal(&self.record.mrn, seq, Actor::System, at, b, &prev);
            self.events.push(e.clone());
            out.push(e);
        }
        self.record.last_seq = self.events.len() as u32;
        self.record.last_hash = self.events.last().unwrap().hash.clone();
        self.record.updated_at = at;
        out
    }
}

/// Lodges declaration `n`; released at once when `released`.
async fn lodge(
    store: &Arc<dyn Store>,
    n: u64,
    decl: Declaration,
    duties: DutyResult,
    released: bool,
    at: OffsetDateTime,
) -> Decl {
    let mrn = Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        n,
        MrnCategory::Import,
    )
    .unwrap();
    let declarant = decl.declarant.id.clone().unwrap();
    let mut x = Decl {
        record: DeclarationRecord {
            mrn: mrn.clone(),
            lrn: decl.lrn.clone(),
            declaration_type: decl.declaration_type,
            declarant: declarant.clone(),
            representative: None,
            lodged_by: declarant,
            office: decl.declaration_office.clone(),
            state: if released {
                State::Released
            } else {
                State::UnderControl
            },
            channel: Channel::Green,
            version: 1,
            body_sha256: "ab".repeat(32),
            registered_at: at,
            updated_at: at,
            last_seq: 0,
            last_hash: String::new(),
            declaration: decl,
        },
        events: Vec::new(),
    };
    let mut bodies = vec![
        EventBody::Registered { mrn },
        EventBody::DutiesAssessed { result: duties },
    ];
    if released {
        bodies.push(EventBody::automatic_release());
    }
    let events = x.append(bodies, at);
    let out = store
        .commit(&[Write::Insert {
            record: Box::new(x.record.clone()),
            events,
            notifications: vec![],
            payment: None,
            quota_draws: vec![],
            original: None,
        }])
        .await
        .unwrap();
    assert!(out[0].is_written(), "{out:?}");
    x
}

/// Appends `bodies` to `x` in an update write.
async fn update(store: &Arc<dyn Store>, x: &mut Decl, bodies: Vec<EventBody>, at: OffsetDateTime) {
    let expected = x.record.last_seq;
    let events = x.append(bodies, at);
    let out = store
        .commit(&[Write::Update {
            record: Box::new(x.record.clone()),
            expected_last_seq: expected,
            events,
            notifications: vec![],
            payment: None,
            original: None,
        }])
        .await
        .unwrap();
    assert!(out[0].is_written(), "{out:?}");
}

/// An officer's release of `x`.
async fn release(store: &Arc<dyn Store>, x: &mut Decl, at: OffsetDateTime) {
    let released = EventBody::Released {
        automatic: false,
        signature: None,
    };
    update(store, x, vec![released], at).await;
}

async fn sample(
    store: &Arc<dyn Store>,
    code: &str,
    origin: Option<&str>,
    unit: QuantityUnit,
) -> Vec<Decimal> {
    let key = ValueKey {
        code: code.into(),
        origin: origin.map(str::to_owned),
        unit,
    };
    store
        .value_sample(&key, "UZS", t0() - Duration::days(1), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.unit_value)
        .collect()
}

async fn observations_follow_assessment_release_and_amendment(store: Arc<dyn Store>) {
    const NAT: &str = "8473300000";
    let traders = ["UZ100000001", "UZ100000002", "UZ100000003"];
    // Six released at lodging: 1000, 1100, … per 10 kg → 100, 110, … per kg.
    for i in 0..6u64 {
        let value = (1000 + 100 * i).to_string();
        let decl = declaration(i, traders[i as usize % 3], NAT, "CN");
        lodge(
            &store,
            i,
            decl,
            assessed(&value, "UZS"),
            true,
            t0() + Duration::minutes(i as i64),
        )
        .await;
    }
    let mut kg = sample(&store, NAT, Some("CN"), QuantityUnit::Kg).await;
    kg.sort();
    assert_eq!(
        kg,
        ["100", "110", "120", "130", "140", "150"].map(d).to_vec()
    );
    // Per supplementary unit too (4 declared): 1000 / 4 = 250.
    let su = sample(&store, NAT, Some("CN"), QuantityUnit::Supplementary).await;
    assert!(su.contains(&d("250")), "{su:?}");
    // Most recent first.
    assert_eq!(kg.len(), 6);
    let recent = sample(&store, NAT, Some("CN"), QuantityUnit::Kg).await;
    assert_eq!(recent[0], d("150"), "{recent:?}");

    // Lodged but not released: not in the sample, until an officer
    // releases it in a later write.
    let mut held = lodge(
        &store,
        10,
        declaration(10, traders[0], NAT, "CN"),
        assessed("9000", "UZS"),
        false,
        t0() + Duration::hours(1),
    )
    .await;
    assert_eq!(
        sample(&store, NAT, Some("CN"), QuantityUnit::Kg)
            .await
            .len(),
        6
    );
    release(&store, &mut held, t0() + Duration::hours(2)).await;
    let after = sample(&store, NAT, Some("CN"), QuantityUnit::Kg).await;
    assert_eq!(after.len(), 7);
    assert_eq!(after[0], d("900"), "released last, read first: {after:?}");

    // An amendment whose duties are assessed again replaces the rows; one
    // whose duties are not drops them (the values were not converted).
    let mut amended = lodge(
        &store,
        20,
        declaration(20, traders[1], NAT, "CN"),
        assessed("2000", "UZS"),
        false,
        t0() + Duration::hours(3),
    )
    .await;
    amended.record.declaration.items[0].net_mass_kg = d("20");
    update(
        &store,
        &mut amended,
        vec![
            EventBody::Amended {
                version: 2,
                body_sha256: "cd".repeat(32),
                signing_key: "k".into(),
            },
            EventBody::DutiesAssessed {
                result: assessed("3000", "UZS"),
            },
        ],
        t0() + Duration::hours(4),
    )
    .await;
    release(&store, &mut amended, t0() + Duration::hours(5)).await;
    let after = sample(&store, NAT, Some("CN"), QuantityUnit::Kg).await;
    assert_eq!(after.len(), 8);
    assert_eq!(after[0], d("150"), "3000 / 20 kg: {after:?}");
    assert!(
        !after.contains(&d("200")),
        "the first version's 2000 / 10 kg: {after:?}"
    );

    let mut dropped = lodge(
        &store,
        30,
        declaration(30, traders[2], NAT, "CN"),
        assessed("5000", "UZS"),
        false,
        t0() + Duration::hours(6),
    )
    .await;
    update(
        &store,
        &mut dropped,
        vec![EventBody::Amended {
            version: 2,
            body_sha256: "ef".repeat(32),
            signing_key: "k".into(),
        }],
        t0() + Duration::hours(7),
    )
    .await;
    release(&store, &mut dropped, t0() + Duration::hours(8)).await;
    let after = sample(&store, NAT, Some("CN"), QuantityUnit::Kg).await;
    assert_eq!(after.len(), 8, "{after:?}");
    assert!(!after.contains(&d("500")), "{after:?}");

    // Other keys: another national code under the same subheading and
    // another origin.
    lodge(
        &store,
        40,
        declaration(40, traders[0], "8473309000", "CN"),
        assessed("700", "UZS"),
        true,
        t0(),
    )
    .await;
    lodge(
        &store,
        41,
        declaration(41, traders[0], NAT, "DE"),
        assessed("800", "UZS"),
        true,
        t0(),
    )
    .await;
    assert_eq!(
        sample(&store, NAT, Some("CN"), QuantityUnit::Kg)
            .await
            .len(),
        8
    );
    assert_eq!(sample(&store, NAT, None, QuantityUnit::Kg).await.len(), 9);
    assert_eq!(
        sample(&store, "847330", Some("CN"), QuantityUnit::Kg)
            .await
            .len(),
        9
    );
    assert_eq!(
        sample(&store, "847330", Some("DE"), QuantityUnit::Kg).await,
        vec![d("80")]
    );
    assert_eq!(
        sample(&store, "847330", None, QuantityUnit::Kg).await.len(),
        10
    );
    assert!(sample(&store, "847340", None, QuantityUnit::Kg)
        .await
        .is_empty());

    // Another currency, an old release, no duty assessment: not read.
    lodge(
        &store,
        50,
        declaration(50, traders[0], NAT, "CN"),
        assessed("1", "USD"),
        true,
        t0(),
    )
    .await;
    lodge(
        &store,
        51,
        declaration(51, traders[0], NAT, "CN"),
        assessed("1", "UZS"),
        true,
        t0() - Duration::days(30),
    )
    .await;
    lodge(
        &store,
        52,
        declaration(52, traders[0], NAT, "CN"),
        DutyResult::NotAssessed {
            reason: "no tariff".into(),
        },
        true,
        t0(),
    )
    .await;
    assert_eq!(
        sample(&store, NAT, Some("CN"), QuantityUnit::Kg)
            .await
            .len(),
        8
    );

    // Bounded, with declarants.
    let key = ValueKey {
        code: NAT.into(),
        origin: Some("CN".into()),
        unit: QuantityUnit::Kg,
    };
    let few = store
        .value_sample(&key, "UZS", t0() - Duration::days(1), 3)
        .await
        .unwrap();
    assert_eq!(few.len(), 3);
    let all = store
        .value_sample(&key, "UZS", t0() - Duration::days(1), 100)
        .await
        .unwrap();
    let mut who: Vec<&str> = all.iter().map(|o| o.declarant.as_str()).collect();
    who.sort();
    who.dedup();
    assert_eq!(who, traders.to_vec());
    assert!(all.windows(2).all(|w| w[0].released_at >= w[1].released_at));
}
