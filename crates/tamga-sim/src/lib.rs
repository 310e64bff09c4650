//! tamga's synthetic traffic, kept out of the domain crate: the declaration
//! generator, the fuzz mutator and the demo trader identities. It depends on
//! `tamga-core` only and is used by the `tamga` binary (`simulate`, `bench`,
//! `example`, the tour) and, as a dev-dependency, by the tests of
//! `tamga-app` and `tamga-http`; nothing in the product's request path uses it.
//!
//! Synthetic declaration traffic for `tamga simulate` (HTTP load) and
//! `tamga bench pipeline` (in-process).
//!
//! A [`Generator`] turns a [`GeneratorConfig`] (traders with behaviours and
//! goods/origin mixes, the lodging office, the date and a seed) into an
//! endless, deterministic stream of [`Synthetic`] declarations: the exact JSON
//! bytes to sign and lodge plus what the receiving side should make of them.
//!
//! - Valid declarations are import declarations (IM / standard / `4000`)
//!   whose figures add up exactly and whose codes all exist in the
//!   reference data.
//! - Erroneous ones carry one realistic mistake that format-logical control
//!   must reject (see [`ERROR_KINDS`]); the mistake is applied to the JSON.
//! - Frauds ([`FraudKind`]) are format-valid and pass control: the data is
//!   plausible but wrong, which is what risk analysis is for.
//!
//! [`mutate()`] produces malformed variants of a body for fuzz-style tests.
//!
//! Pure: no IO, no clock; time and seeds are arguments, and the same
//! configuration always yields the same bytes.
//!
//! Modules: `profile` (the public vocabulary: behaviours, frauds, error
//! kinds, configuration), `identities` (the demo traders), `knowledge`
//! (partners, densities, decoys), `generator` (the stream; its parts
//! `build`, `frauds`, `spoil`, `transport` and `tariff` are submodules) and
//! `mutate`; everything public is re-exported at the crate root.

mod generator;
mod identities;
mod knowledge;
mod mutate;
mod profile;

pub use generator::*;
pub use identities::*;
pub use mutate::*;
pub use profile::*;

/// The reference data shipped in `reference/` (tests of this crate only).
#[cfg(test)]
fn shipped_for_tests() -> &'static tamga_core::reference::ReferenceBundle {
    use tamga_core::reference::ReferenceBundle;
    static B: std::sync::OnceLock<ReferenceBundle> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        ReferenceBundle::from_csv(&tamga_core::reference::SHIPPED)
            .expect("shipped reference data loads")
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rust_decimal::prelude::ToPrimitive;
    use rust_decimal::Decimal;
    use serde_json::Value;
    use time::{Date, Duration};

    use crate::knowledge::*;
    use tamga_core::codes::*;
    use tamga_core::declaration::*;
    use tamga_core::reference::ReferenceBundle;

    use std::collections::HashMap;
    use std::sync::OnceLock;

    use super::*;
    use tamga_core::declaration::INCOTERMS;
    use tamga_core::reference::ReferenceData;

    const TODAY: Date = time::macros::date!(2026 - 03 - 15);

    fn bundle() -> &'static ReferenceBundle {
        crate::shipped_for_tests()
    }

    fn refdata() -> &'static ReferenceData {
        static R: OnceLock<ReferenceData> = OnceLock::new();
        R.get_or_init(|| ReferenceData::new(bundle()))
    }

    fn generator(cfg: GeneratorConfig) -> Generator {
        Generator::new(cfg, bundle()).expect("config is valid")
    }

    /// An independent statement of everything a valid synthetic declaration
    /// promises; returns the first broken promise.
    fn check(d: &Declaration, office: &OfficeCode) -> Result<(), String> {
        let r = refdata();
        let today = TODAY;
        let fail = |m: String| Err(m);
        if d.declaration_type != DeclarationType::IM
            || d.additional_type != AdditionalType::Standard
        {
            return fail("type".into());
        }
        if d.procedure.as_str() != "4000"
            || d.additional_procedures
                .iter()
                .map(|a| a.as_str())
                .ne(["000"])
        {
            return fail("procedure".into());
        }
        if r.procedure_types(&d.procedure)
            .is_none_or(|t| !t.contains(&DeclarationType::IM))
            || !r.combination_allowed(&d.procedure, &d.additional_procedures[0])
        {
            return fail("procedure not allowed".into());
        }
        if &d.declaration_office != office || r.office_roles(office).is_none() {
            return fail("office".into());
        }
        if d.destination_country.as_ref().map(|c| c.as_str()) != Some("UZ") {
            return fail("destination".into());
        }
        let declarant = &d.declarant;
        if declarant.id.is_none()
            || declarant
                .address
                .as_ref()
                .is_none_or(|a| a.country.as_str() != "UZ")
        {
            return fail("declarant".into());
        }
        if d.importer.as_ref() != Some(declarant) {
            return fail(format!("importer {:?}", d.importer));
        }
        match &d.seller {
            Some(Party {
                id: None,
                address: Some(a),
                ..
            }) if a.country.as_str() != "UZ" && r.country_exists(&a.country) => {}
            other => return fail(format!("seller {other:?}")),
        }
        let dispatch = d.dispatch_country.as_ref().ok_or("dispatch")?;
        if !r.country_exists(dispatch) {
            return fail(format!("dispatch {dispatch}"));
        }
        let t = &d.transport;
        if t.border_means_id.as_deref().is_none_or(str::is_empty)
            || t.border_means_nationality
                .as_ref()
                .is_none_or(|c| !r.country_exists(c))
        {
            return fail("transport means".into());
        }
        let expected_doc = match t.border_mode {
            TransportMode::Road => "N730",
            TransportMode::Rail => "N720",
            TransportMode::Air => "N740",
            TransportMode::Sea => "N705",
            m => return fail(format!("mode {m:?}")),
        };
        if d.transport_documents.len() != 1
            || d.transport_documents[0].type_code.as_str() != expected_doc
            || d.transport_documents[0].reference.is_empty()
        {
            return fail(format!("transport documents {:?}", d.transport_documents));
        }
        let terms = d.delivery_terms.as_ref().ok_or("delivery terms")?;
        if !INCOTERMS.contains(&terms.incoterm.as_str()) || terms.place.is_empty() {
            return fail(format!("terms {terms:?}"));
        }
        let minor = r
            .currency_minor_units(&d.invoice.currency)
            .ok_or(format!("currency {}", d.invoice.currency))?;
        let date = d.invoice.date.ok_or("invoice date")?;
        if date > today || date < today - Duration::days(20) {
            return fail(format!("invoice date {date}"));
        }
        if d.exchange_rate_date != Some(date) {
            return fail("exchange rate date".into());
        }
        if d.items.is_empty() {
            return fail("no items".into());
        }
        let required = r.required_documents(&d.procedure);
        if required.is_empty() {
            return fail("4000 requires documents in the reference data".into());
        }
        let invoice_ref = &d.items[0].documents[0].reference;
        for (i, item) in d.items.iter().enumerate() {
            let at = |m: &str| format!("item {}: {m}", i + 1);
            if item.sequence as usize != i + 1 {
                return fail(at("sequence"));
            }
            if item.description.is_empty() || item.description.len() > 512 {
                return fail(at("description"));
            }
            if item.hs_code.as_str().len() != 6 || !r.hs_code_valid(&item.hs_code, today) {
                return fail(at(&format!("hs {}", item.hs_code)));
            }
            if !r.country_exists(&item.origin)
                || item
                    .preferential_origin
                    .as_ref()
                    .is_some_and(|c| !r.country_exists(c))
            {
                return fail(at("origin"));
            }
            let (net, gross) = (item.net_mass_kg, item.gross_mass_kg);
            if !(Decimal::ZERO < net && net < gross) || net.scale() > 3 || gross.scale() > 3 {
                return fail(at(&format!("masses {net} {gross}")));
            }
            if item.item_price <= Decimal::ZERO || item.item_price.scale() > minor {
                return fail(at(&format!("price {}", item.item_price)));
            }
            match item.customs_value {
                Some(v) if v >= item.item_price && v.scale() <= minor => {}
                v => return fail(at(&format!("customs value {v:?}"))),
            }
            if item.preferential_origin.is_some()
                && !item
                    .documents
                    .iter()
                    .any(|doc| doc.type_code.as_str() == PROOF_OF_ORIGIN)
            {
                return fail(at("preference without proof of origin"));
            }
            if item.valuation_method != 1 {
                return fail(at("valuation method"));
            }
            if !["CT", "PK", "PL", "BX"].contains(&item.packages.kind.as_str())
                || item.packages.count == 0
            {
                return fail(at("packages"));
            }
            if item
                .documents
                .iter()
                .any(|doc| !r.document_type_exists(&doc.type_code))
            {
                return fail(at("document type"));
            }
            for (code, _) in required {
                if !item
                    .documents
                    .iter()
                    .any(|doc| doc.type_code.as_str() == code)
                {
                    return fail(at(&format!("missing {code}")));
                }
            }
            if !item
                .documents
                .iter()
                .any(|doc| doc.type_code.as_str() == "N935" && &doc.reference == invoice_ref)
            {
                return fail(at("N935 reference"));
            }
        }
        if d.totals.packages != d.items.iter().map(|i| i.packages.count).sum::<u32>() {
            return fail("total packages".into());
        }
        if d.totals.gross_mass_kg != d.items.iter().map(|i| i.gross_mass_kg).sum::<Decimal>() {
            return fail("total gross mass".into());
        }
        if d.invoice.amount != d.items.iter().map(|i| i.item_price).sum::<Decimal>() {
            return fail("invoice amount".into());
        }
        Ok(())
    }

    fn parse(body: &[u8]) -> Declaration {
        serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let run = |seed| {
            let mut g = generator(GeneratorConfig::demo(20, TODAY, seed));
            (0..500).map(|_| g.next()).collect::<Vec<_>>()
        };
        let (a, b, c) = (run(7), run(7), run(8));
        assert_eq!(a, b);
        assert_ne!(
            a.iter().map(|s| &s.body).collect::<Vec<_>>(),
            c.iter().map(|s| &s.body).collect::<Vec<_>>()
        );
        // Different seeds use different LRN prefixes.
        assert_ne!(a[0].lrn.as_str()[..6], c[0].lrn.as_str()[..6]);
    }

    #[test]
    fn valid_bodies_keep_every_promise_over_10000() {
        let cfg = GeneratorConfig::demo(40, TODAY, 42);
        let office = cfg.office.clone();
        let mut g = generator(cfg);
        let mut lrns = HashSet::new();
        let (mut valid, mut modes, mut currencies, mut item_counts) =
            (0, HashSet::new(), HashSet::new(), HashSet::new());
        for _ in 0..10_000 {
            let s = g.next();
            assert!(s.lrn.as_str().len() <= 22);
            assert!(lrns.insert(s.lrn.clone()), "duplicate LRN {}", s.lrn);
            if !s.expect.is_valid() {
                continue;
            }
            valid += 1;
            let d = parse(&s.body);
            assert_eq!(d.lrn, s.lrn);
            assert_eq!(d.declarant.id.as_ref(), Some(&s.trader));
            if let Err(e) = check(&d, &office) {
                panic!("{e} in {}", String::from_utf8_lossy(&s.body));
            }
            // The body is the canonical wire form of the declaration.
            assert_eq!(serde_json::to_vec(&d).unwrap(), s.body);
            modes.insert(d.transport.border_mode);
            currencies.insert(d.invoice.currency.as_str().to_owned());
            item_counts.insert(d.items.len());
        }
        assert!(valid > 9_000, "{valid}");
        assert_eq!(modes.len(), 4, "{modes:?}");
        assert_eq!(currencies.len(), 4, "{currencies:?}");
        assert_eq!(
            item_counts,
            (1..=8).collect(),
            "items per declaration 1..=8"
        );
        assert_eq!(g.generated(), 10_000);
    }

    #[test]
    fn bench_config_has_exactly_five_items() {
        let mut g = generator(GeneratorConfig::bench(10, TODAY, 3));
        for _ in 0..2_000 {
            let s = g.next();
            if s.expect.is_valid() {
                assert_eq!(parse(&s.body).items.len(), 5);
            }
        }
    }

    #[test]
    fn configured_error_share_is_respected() {
        let mut cfg = GeneratorConfig::demo(20, TODAY, 11);
        cfg.error_share = Some(0.05);
        let mut g = generator(cfg);
        assert_eq!(g.expected_error_share(), 0.05);
        let errors = (0..10_000).filter(|_| !g.next().expect.is_valid()).count();
        let share = errors as f64 / 10_000.0;
        assert!((share - 0.05).abs() < 0.015, "{share}");

        let mut cfg = GeneratorConfig::demo(20, TODAY, 12);
        cfg.error_share = Some(0.0);
        let mut g = generator(cfg);
        assert!((0..2_000).all(|_| g.next().expect.is_valid()));
    }

    #[test]
    fn per_trader_error_rates_average_about_five_percent() {
        let mut g = generator(GeneratorConfig::demo(20, TODAY, 13));
        let expected = g.expected_error_share();
        assert!((0.03..=0.07).contains(&expected), "{expected}");
        let mut per_trader: HashMap<Eori, (u32, u32)> = HashMap::new();
        for _ in 0..10_000 {
            let s = g.next();
            let e = per_trader.entry(s.trader).or_default();
            e.0 += 1;
            e.1 += u32::from(!s.expect.is_valid());
        }
        let errors: u32 = per_trader.values().map(|v| v.1).sum();
        let share = f64::from(errors) / 10_000.0;
        assert!((share - expected).abs() < 0.015, "{share} vs {expected}");
        // The sloppy trader (index 4) errs far more than a reliable one (0).
        let rate = |i| {
            let (n, e) = per_trader[&demo_trader_id(i)];
            f64::from(e) / f64::from(n)
        };
        assert!(rate(4) > 3.0 * rate(0), "{} vs {}", rate(4), rate(0));
        // Reliable traders are more active than occasional ones.
        assert!(per_trader[&demo_trader_id(0)].0 > per_trader[&demo_trader_id(2)].0);
    }

    #[test]
    fn every_error_kind_occurs_and_breaks_what_it_says() {
        let mut cfg = GeneratorConfig::demo(20, TODAY, 5);
        cfg.error_share = Some(1.0);
        let office = cfg.office.clone();
        let mut g = generator(cfg);
        let r = refdata();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for _ in 0..3_000 {
            let s = g.next();
            let Expectation::Erroneous { what } = s.expect else {
                panic!("expected an error")
            };
            assert_eq!(s.fraud, None);
            *seen.entry(what).or_default() += 1;
            let parsed = serde_json::from_slice::<Declaration>(&s.body);
            match what {
                ERR_TRUNCATED => {
                    assert!(serde_json::from_slice::<Value>(&s.body).is_err());
                    continue;
                }
                ERR_WRONG_TYPE => {
                    assert!(parsed.is_err(), "{}", String::from_utf8_lossy(&s.body));
                    assert!(serde_json::from_slice::<Value>(&s.body).is_ok());
                    continue;
                }
                _ => {}
            }
            let d = parsed.unwrap_or_else(|e| panic!("{what}: {e}"));
            let problem = check(&d, &office).expect_err(what);
            let items = || d.items.iter();
            let ok = match what {
                ERR_NET_MASS => items().any(|i| i.net_mass_kg > i.gross_mass_kg),
                ERR_TOTAL_PACKAGES => problem == "total packages",
                ERR_TOTAL_MASS => problem == "total gross mass",
                ERR_UNKNOWN_HS => items().any(|i| !r.hs_code_valid(&i.hs_code, TODAY)),
                ERR_UNKNOWN_COUNTRY => {
                    d.dispatch_country
                        .as_ref()
                        .is_some_and(|c| !r.country_exists(c))
                        || items().any(|i| !r.country_exists(&i.origin))
                }
                ERR_MISSING_IMPORTER => d.importer.is_none(),
                ERR_NEGATIVE_PRICE => items().any(|i| i.item_price < Decimal::ZERO),
                ERR_FUTURE_DATE => d.invoice.date.is_some_and(|x| x > TODAY),
                ERR_CURRENCY => r.currency_minor_units(&d.invoice.currency).is_none(),
                ERR_HUGE_STRING => items().any(|i| i.description.len() >= HUGE_STRING_BYTES),
                other => panic!("unexpected kind {other}"),
            };
            assert!(ok, "{what}: {problem}");
        }
        for kind in ERROR_KINDS {
            assert!(
                seen.get(kind).copied().unwrap_or(0) >= 20,
                "{kind}: {seen:?}"
            );
        }
    }

    fn usd_per_kg_of(d: &Declaration, i: &GoodsItem) -> f64 {
        let price = i.item_price.to_f64().unwrap() / fx_per_usd(d.invoice.currency.as_str());
        price / i.gross_mass_kg.to_f64().unwrap()
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn frauds_are_format_valid_and_plausibly_wrong() {
        let mut cfg = GeneratorConfig::demo(14, TODAY, 9);
        cfg.error_share = Some(0.0);
        for t in &mut cfg.traders {
            t.fraud_rate = 0.5;
            t.fraud_mix = FraudKind::ALL.iter().map(|k| (*k, 1.0)).collect();
        }
        let office = cfg.office.clone();
        let mut g = generator(cfg);
        let by_code: HashMap<&str, &str> = bundle()
            .hs
            .iter()
            .map(|e| (e.code.as_str(), e.description.as_str()))
            .collect();
        let mut counts: HashMap<Option<FraudKind>, usize> = HashMap::new();
        let mut honest: HashMap<String, Vec<f64>> = HashMap::new();
        let mut under: HashMap<String, Vec<f64>> = HashMap::new();
        for _ in 0..6_000 {
            let s = g.next();
            assert!(s.expect.is_valid());
            let d = parse(&s.body);
            check(&d, &office).unwrap_or_else(|e| panic!("{:?}: {e}", s.fraud));
            *counts.entry(s.fraud).or_default() += 1;
            match s.fraud {
                None => {
                    for i in &d.items {
                        // Honest items describe their own subheading.
                        assert_eq!(by_code[i.hs_code.as_str()], i.description);
                        honest
                            .entry(i.hs_code.to_string())
                            .or_default()
                            .push(usd_per_kg_of(&d, i));
                    }
                }
                Some(FraudKind::Undervaluation) => {
                    for i in &d.items {
                        under
                            .entry(i.hs_code.to_string())
                            .or_default()
                            .push(usd_per_kg_of(&d, i));
                    }
                }
                Some(FraudKind::Misclassification) => {
                    let wrong: Vec<_> = d
                        .items
                        .iter()
                        .filter(|i| by_code[i.hs_code.as_str()] != i.description)
                        .collect();
                    assert!(!wrong.is_empty(), "no misclassified item");
                    for i in wrong {
                        let true_code = by_code
                            .iter()
                            .find(|(_, desc)| **desc == i.description)
                            .unwrap()
                            .0;
                        assert_eq!(
                            &true_code[..2],
                            i.hs_code.chapter(),
                            "decoy stays in the chapter"
                        );
                    }
                }
                Some(FraudKind::FalseOrigin) => {
                    for i in &d.items {
                        assert!(PREFERENTIAL_PARTNERS.contains(&i.origin.as_str()));
                        assert_eq!(i.preferential_origin.as_ref(), Some(&i.origin));
                        assert!(i
                            .documents
                            .iter()
                            .any(|doc| doc.type_code.as_str() == PROOF_OF_ORIGIN));
                    }
                }
            }
        }
        for k in FraudKind::ALL {
            assert!(
                counts.get(&Some(k)).copied().unwrap_or(0) > 300,
                "{counts:?}"
            );
        }
        let mut compared = 0;
        for (code, u) in &mut under {
            let Some(h) = honest.get_mut(code) else {
                continue;
            };
            if u.len() < 20 || h.len() < 20 {
                continue;
            }
            let (mu, mh) = (median(u), median(h));
            assert!(
                mu < mh / 3.0,
                "{code}: undervalued {mu} vs honest {mh} USD/kg"
            );
            compared += 1;
        }
        assert!(compared >= 10, "{compared}");
    }

    #[test]
    fn reliable_traders_do_not_commit_fraud_and_frauds_can_be_disabled() {
        let mut g = generator(GeneratorConfig::demo(20, TODAY, 21));
        for _ in 0..5_000 {
            let s = g.next();
            if s.fraud.is_some() {
                let i = demo_traders(20)
                    .iter()
                    .position(|t| t.id == s.trader)
                    .unwrap();
                assert_ne!(BEHAVIOUR_CYCLE[i % 10], Behaviour::Reliable);
            }
        }
        let mut cfg = GeneratorConfig::demo(20, TODAY, 21);
        cfg.frauds = false;
        let mut g = generator(cfg);
        assert!((0..5_000).all(|_| g.next().fraud.is_none()));
    }

    #[test]
    fn demo_traders_match_the_demo_setup() {
        let t = demo_traders(30);
        assert_eq!(t[0].id.as_str(), "UZ000000000101");
        assert_eq!(t[29].id.as_str(), "UZ000000000130");
        assert_eq!(t.iter().map(|p| &p.id).collect::<HashSet<_>>().len(), 30);
        assert_eq!(t.iter().map(|p| &p.name).collect::<HashSet<_>>().len(), 30);
        assert!(t.iter().all(|p| p.address.country.as_str() == "UZ"));
        // Every sector's codes, decoys and origins exist in the reference data.
        let g = generator(GeneratorConfig::demo(SECTORS.len() * 10, TODAY, 1));
        let r = refdata();
        for tr in &g.traders {
            assert!(tr.origins.iter().all(|c| r.country_exists(c)));
            for goods in &tr.goods {
                let decoy = goods.decoy.as_ref().expect("every demo good has a decoy");
                assert!(r.hs_code_valid(decoy, TODAY));
                assert_ne!(decoy, &goods.hs);
                assert_eq!(decoy.chapter(), goods.hs.chapter());
            }
        }
        for code in &g.unknown_hs {
            assert!(
                !r.hs_code_valid(&HsCode::parse(code).unwrap(), TODAY),
                "{code}"
            );
        }
        let office = OfficeCode::parse(DEMO_OFFICE).unwrap();
        assert!(r
            .office_roles(&office)
            .is_some_and(|roles| roles.iter().any(|x| x == "IMP")));
        for p in PARTNERS {
            assert!(r.country_exists(&cc(p.code)));
            assert!(p
                .currencies
                .iter()
                .all(|(c, _)| r.currency_minor_units(&CurrencyCode::parse(c).unwrap()) == Some(2)));
        }
        assert!(SEA_FLAGS
            .iter()
            .chain(&PREFERENTIAL_PARTNERS)
            .all(|c| r.country_exists(&cc(c))));
        for code in ["XX", "QZ"] {
            assert!(!r.country_exists(&cc(code)));
        }
        assert!(r
            .currency_minor_units(&CurrencyCode::parse("ZZZ").unwrap())
            .is_none());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let refuse = |cfg: GeneratorConfig| Generator::new(cfg, bundle()).err().expect("refused");
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[1].hs_mix.push(("770000".into(), 1.0));
        assert!(
            matches!(refuse(cfg), SynthError::Trader { trader, .. } if trader == "UZ000000000102")
        );
        // The pseudo-code for unspecified commodities is not goods.
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[0].hs_mix.push(("999999".into(), 1.0));
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[0].hs_mix.push(("8471".into(), 1.0));
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders[2].origin_mix.clear();
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.items_per_declaration = (3, 2);
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.error_share = Some(1.5);
        refuse(cfg);
        let mut cfg = GeneratorConfig::demo(3, TODAY, 1);
        cfg.traders.push(cfg.traders[0].clone());
        refuse(cfg);
        assert_eq!(
            refuse(GeneratorConfig::demo(0, TODAY, 1)),
            SynthError::NoTraders
        );
    }

    #[test]
    fn mutate_10000_bodies() {
        let mut g = generator(GeneratorConfig::demo(10, TODAY, 77));
        let bodies: Vec<Vec<u8>> = std::iter::repeat_with(|| g.next())
            .filter(|s| s.expect.is_valid())
            .take(200)
            .map(|s| s.body)
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut seen: HashMap<Mutation, usize> = HashMap::new();
        for n in 0..10_000 {
            let body = &bodies[n % bodies.len()];
            let (out, kind) = mutate_with_kind(body, &mut rng);
            *seen.entry(kind).or_default() += 1;
            assert_ne!(&out, body, "{kind:?} left the body unchanged");
            let parsed = serde_json::from_slice::<Declaration>(&out);
            match kind {
                Mutation::Truncate => assert!(serde_json::from_slice::<Value>(&out).is_err()),
                Mutation::DeepNesting => {
                    assert!(out.windows(1000).any(|w| w.iter().all(|b| *b == b'[')));
                    assert!(parsed.is_err());
                }
                Mutation::WrongType => {
                    assert!(parsed.is_err(), "{}", String::from_utf8_lossy(&out))
                }
                Mutation::HugeString => assert!(out.len() > HUGE_STRING_BYTES),
                _ => {}
            }
        }
        for k in Mutation::ALL {
            assert!(seen.get(&k).copied().unwrap_or(0) > 800, "{seen:?}");
        }
        // Same seed, same mutations; garbage in still mutates.
        let a = mutate(&bodies[0], &mut ChaCha8Rng::seed_from_u64(1));
        let b = mutate(&bodies[0], &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(a, b);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..100 {
            let _ = mutate(b"not json", &mut rng);
            let _ = mutate(b"", &mut rng);
            let _ = mutate(b"[]", &mut rng);
        }
    }

    /// The point of the generator: format-logical control passes every
    /// valid and fraudulent body without even a warning, and rejects every
    /// erroneous one.
    #[test]
    fn control_agrees_with_expectations() {
        use tamga_core::control::{run, ControlContext};
        let mut cfg = GeneratorConfig::demo(40, TODAY, 4);
        cfg.error_share = Some(0.3);
        let mut g = generator(cfg);
        let mut rejected: HashMap<&str, usize> = HashMap::new();
        for _ in 0..3_000 {
            let s = g.next();
            let Ok(doc) = serde_json::from_slice::<Value>(&s.body) else {
                assert_eq!(
                    s.expect,
                    Expectation::Erroneous {
                        what: ERR_TRUNCATED
                    }
                );
                continue;
            };
            let ctx = ControlContext {
                reference: refdata(),
                today: TODAY,
                lodged_by: &s.trader,
            };
            let report = run(&doc, &ctx);
            match s.expect {
                Expectation::Valid => assert!(
                    report.passed() && report.violations.is_empty(),
                    "{:?}: {:?}",
                    s.fraud,
                    report.violations
                ),
                Expectation::Erroneous { what } => {
                    assert!(!report.passed(), "{what} passed control");
                    *rejected.entry(what).or_default() += 1;
                }
            }
        }
        assert_eq!(rejected.len(), ERROR_KINDS.len() - 1, "{rejected:?}");
    }
}
