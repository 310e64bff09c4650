//! The tariff file loader: JSON text in, a validated [`Tariff`] or every
//! problem at once, each with a JSON pointer and a stable code. Never panics.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use time::{Date, Month};

use super::expr::DutyExpression;
use super::units;
use super::{
    Condition, ConditionAction, ConditionTest, ExchangeRate, GeoArea, GoodsCode, Measure,
    MeasureKind, MeasureType, Membership, Quota, Tariff, Validity,
};

/// One problem in a tariff file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadError {
    /// Stable machine code, e.g. `TARIFF-UNKNOWN-AREA`.
    pub code: &'static str,
    /// JSON pointer (RFC 6901) to the offending value.
    pub pointer: String,
    pub message: String,
}

/// Counts of what a tariff holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TariffSummary {
    pub name: String,
    pub national_currency: String,
    pub goods_codes: usize,
    pub geographical_areas: usize,
    pub measure_types: usize,
    pub measures: usize,
    pub additional_codes: usize,
    pub quotas: usize,
    pub exchange_rates: usize,
    pub currencies: usize,
    pub measures_by_kind: Vec<(MeasureKind, usize)>,
}

struct Ctx {
    errors: Vec<LoadError>,
}

impl Ctx {
    fn err(&mut self, code: &'static str, pointer: &str, message: impl Into<String>) {
        self.errors.push(LoadError {
            code,
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    fn obj<'a>(&mut self, v: &'a Value, ptr: &str) -> Option<&'a Map<String, Value>> {
        match v.as_object() {
            Some(o) => Some(o),
            None => {
                self.err("TARIFF-TYPE", ptr, "expected an object");
                None
            }
        }
    }

    fn array<'a>(&mut self, o: &'a Map<String, Value>, ptr: &str, name: &str) -> &'a [Value] {
        match o.get(name) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.err("TARIFF-TYPE", &format!("{ptr}/{name}"), "expected an array");
                &[]
            }
        }
    }

    fn string(
        &mut self,
        o: &Map<String, Value>,
        ptr: &str,
        name: &str,
        required: bool,
    ) -> Option<String> {
        match o.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.err(
                        "TARIFF-MISSING",
                        &format!("{ptr}/{name}"),
                        format!("{name} is required"),
                    );
                }
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err("TARIFF-TYPE", &format!("{ptr}/{name}"), "expected a string");
                None
            }
        }
    }

    fn decimal(
        &mut self,
        o: &Map<String, Value>,
        ptr: &str,
        name: &str,
        required: bool,
    ) -> Option<Decimal> {
        let p = format!("{ptr}/{name}");
        let text = match o.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.err("TARIFF-MISSING", &p, format!("{name} is required"));
                }
                return None;
            }
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                self.err("TARIFF-TYPE", &p, "expected a decimal string");
                return None;
            }
        };
        match text.parse::<Decimal>() {
            Ok(d) => Some(d),
            Err(_) => {
                self.err(
                    "TARIFF-BAD-DECIMAL",
                    &p,
                    format!("{text:?} is not a decimal"),
                );
                None
            }
        }
    }

    fn date(
        &mut self,
        o: &Map<String, Value>,
        ptr: &str,
        name: &str,
        required: bool,
    ) -> Option<Date> {
        let s = self.string(o, ptr, name, required)?;
        match parse_date(&s) {
            Some(d) => Some(d),
            None => {
                self.err(
                    "TARIFF-BAD-DATE",
                    &format!("{ptr}/{name}"),
                    format!("{s:?} is not a date YYYY-MM-DD"),
                );
                None
            }
        }
    }

    /// `from` (required) and `to` (optional, inclusive, not before `from`).
    fn validity(&mut self, o: &Map<String, Value>, ptr: &str) -> Option<Validity> {
        let from = self.date(o, ptr, "from", true);
        let to = self.date(o, ptr, "to", false);
        let from = from?;
        if let Some(t) = to {
            if t < from {
                self.err(
                    "TARIFF-BAD-PERIOD",
                    &format!("{ptr}/to"),
                    format!("period ends ({t}) before it starts ({from})"),
                );
                return None;
            }
        }
        if o.get("to").is_some_and(|v| !v.is_null()) && to.is_none() {
            return None;
        }
        Some(Validity { from, to })
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s.get(0..4)?.parse().ok()?;
    let m: u8 = s.get(5..7)?.parse().ok()?;
    let d: u8 = s.get(8..10)?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

fn is_country(id: &str) -> bool {
    id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_currency(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
}

fn kind_of(s: &str) -> Option<MeasureKind> {
    serde_json::from_value(Value::String(s.to_string())).ok()
}

/// Loads a tariff file. See `tariff/README.md` for the format.
pub fn load(json: &str) -> Result<Tariff, Vec<LoadError>> {
    load_with_progress(json, &mut |_, _| {})
}

/// [`load`], calling `progress(done, total)` as measures are validated.
pub fn load_with_progress(
    json: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Tariff, Vec<LoadError>> {
    let root: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![LoadError {
                code: "TARIFF-JSON-SYNTAX",
                pointer: String::new(),
                message: format!("not JSON: {e}"),
            }])
        }
    };
    let mut cx = Ctx { errors: Vec::new() };
    let Some(top) = cx.obj(&root, "") else {
        return Err(cx.errors);
    };
    let name = cx.string(top, "", "name", false).unwrap_or_default();
    let national = cx
        .string(top, "", "nationalCurrency", true)
        .unwrap_or_default();

    // currencies
    let mut currencies = HashMap::new();
    for (i, v) in cx.array(top, "", "currencies").iter().enumerate() {
        let p = format!("/currencies/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let code = cx.string(o, &p, "code", true);
        let minor = cx.decimal(o, &p, "minorUnits", true);
        if let (Some(code), Some(minor)) = (code, minor) {
            if !is_currency(&code) {
                cx.err(
                    "TARIFF-BAD-CURRENCY",
                    &format!("{p}/code"),
                    format!("{code:?} is not an ISO 4217 code"),
                );
                continue;
            }
            let m = u32::try_from(minor.normalize().mantissa())
                .ok()
                .filter(|m| *m <= 4 && minor.normalize().scale() == 0);
            let Some(m) = m else {
                cx.err(
                    "TARIFF-BAD-DECIMAL",
                    &format!("{p}/minorUnits"),
                    "minorUnits must be an integer 0..4",
                );
                continue;
            };
            if currencies.insert(code.clone(), m).is_some() {
                cx.err(
                    "TARIFF-DUPLICATE",
                    &format!("{p}/code"),
                    format!("currency {code} listed twice"),
                );
            }
        }
    }
    if !national.is_empty() && !currencies.contains_key(&national) {
        cx.err(
            "TARIFF-UNKNOWN-CURRENCY",
            "/nationalCurrency",
            format!("national currency {national} is not in /currencies"),
        );
    }

    // nomenclature
    let mut nomenclature: HashMap<String, Vec<GoodsCode>> = HashMap::new();
    let mut prefixes: HashSet<String> = HashSet::new();
    for (i, v) in cx.array(top, "", "nomenclature").iter().enumerate() {
        let p = format!("/nomenclature/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let code = cx.string(o, &p, "code", true);
        let description = cx.string(o, &p, "description", false).unwrap_or_default();
        let validity = cx.validity(o, &p);
        let su = cx.string(o, &p, "supplementaryUnit", false);
        if let Some(u) = &su {
            if units::unit(u).is_none() {
                cx.err(
                    "TARIFF-UNKNOWN-UNIT",
                    &format!("{p}/supplementaryUnit"),
                    format!("unknown unit {u:?}"),
                );
            }
        }
        let Some(code) = code else { continue };
        if !(code.bytes().all(|b| b.is_ascii_digit()) && matches!(code.len(), 6 | 8 | 10)) {
            cx.err(
                "TARIFF-BAD-GOODS-CODE",
                &format!("{p}/code"),
                format!("{code:?}: a goods code has 6, 8 or 10 digits"),
            );
            continue;
        }
        let Some(validity) = validity else { continue };
        let entries = nomenclature.entry(code.clone()).or_default();
        if entries.iter().any(|e| overlaps(&e.validity, &validity)) {
            cx.err(
                "TARIFF-DUPLICATE",
                &format!("{p}/code"),
                format!("goods code {code} has overlapping validity periods"),
            );
            continue;
        }
        for len in [2, 4, 6, 8, 10] {
            if let Some(pre) = code.get(..len) {
                prefixes.insert(pre.to_string());
            }
        }
        entries.push(GoodsCode {
            code,
            description,
            validity,
            supplementary_unit: su.map(|u| u.to_ascii_uppercase()),
        });
    }

    // geographical areas
    let mut areas: HashMap<String, GeoArea> = HashMap::new();
    let area_vals = cx.array(top, "", "geographicalAreas");
    for (i, v) in area_vals.iter().enumerate() {
        let p = format!("/geographicalAreas/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let Some(id) = cx.string(o, &p, "id", true) else {
            continue;
        };
        let description = cx.string(o, &p, "description", false).unwrap_or_default();
        let all = o
            .get("allCountries")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let group = !is_country(&id);
        if areas.contains_key(&id) {
            cx.err(
                "TARIFF-DUPLICATE",
                &format!("{p}/id"),
                format!("area {id} listed twice"),
            );
            continue;
        }
        areas.insert(
            id.clone(),
            GeoArea {
                id,
                description,
                group,
                all_countries: all,
                members: Vec::new(),
            },
        );
    }
    for (i, v) in area_vals.iter().enumerate() {
        let p = format!("/geographicalAreas/{i}");
        let Some(o) = v.as_object() else { continue };
        let Some(id) = o.get("id").and_then(Value::as_str) else {
            continue;
        };
        let mut members = Vec::new();
        for (j, mv) in cx.array(o, &p, "members").iter().enumerate() {
            let mp = format!("{p}/members/{j}");
            let Some(mo) = cx.obj(mv, &mp) else { continue };
            let country = cx.string(mo, &mp, "country", true);
            let validity = cx.validity(mo, &mp);
            let Some(country) = country else { continue };
            if !is_country(&country) || !areas.contains_key(&country) {
                cx.err(
                    "TARIFF-UNKNOWN-AREA",
                    &format!("{mp}/country"),
                    format!("{country:?} is not a country in /geographicalAreas"),
                );
                continue;
            }
            if let Some(validity) = validity {
                members.push(Membership { country, validity });
            }
        }
        if !members.is_empty() {
            if is_country(id) {
                cx.err(
                    "TARIFF-BAD-AREA",
                    &format!("{p}/members"),
                    format!("{id} is a country and cannot have members"),
                );
            } else if let Some(a) = areas.get_mut(id) {
                a.members = members;
            }
        }
    }

    // measure types
    let mut measure_types = HashMap::new();
    for (i, v) in cx.array(top, "", "measureTypes").iter().enumerate() {
        let p = format!("/measureTypes/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let id = cx.string(o, &p, "id", true);
        let kind = cx.string(o, &p, "kind", true);
        let description = cx.string(o, &p, "description", false).unwrap_or_default();
        let (Some(id), Some(kind)) = (id, kind) else {
            continue;
        };
        let Some(kind) = kind_of(&kind) else {
            cx.err(
                "TARIFF-UNKNOWN-MEASURE-KIND",
                &format!("{p}/kind"),
                format!("unknown measure kind {kind:?}"),
            );
            continue;
        };
        if measure_types
            .insert(
                id.clone(),
                MeasureType {
                    id: id.clone(),
                    kind,
                    description,
                },
            )
            .is_some()
        {
            cx.err(
                "TARIFF-DUPLICATE",
                &format!("{p}/id"),
                format!("measure type {id} listed twice"),
            );
        }
    }

    // additional codes
    let mut additional_codes = HashMap::new();
    for (i, v) in cx.array(top, "", "additionalCodes").iter().enumerate() {
        let p = format!("/additionalCodes/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let code = cx.string(o, &p, "code", true);
        let description = cx.string(o, &p, "description", false).unwrap_or_default();
        if let Some(code) = code {
            if additional_codes.insert(code.clone(), description).is_some() {
                cx.err(
                    "TARIFF-DUPLICATE",
                    &format!("{p}/code"),
                    format!("additional code {code} listed twice"),
                );
            }
        }
    }

    // quotas
    let mut quotas: HashMap<String, Vec<Quota>> = HashMap::new();
    for (i, v) in cx.array(top, "", "quotas").iter().enumerate() {
        let p = format!("/quotas/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let on = cx.string(o, &p, "orderNumber", true);
        let validity = cx.validity(o, &p);
        let volume = cx.decimal(o, &p, "volume", true);
        let unit = cx.string(o, &p, "unit", true);
        let description = cx.string(o, &p, "description", false).unwrap_or_default();
        if let Some(u) = &unit {
            if units::unit(u).is_none() {
                cx.err(
                    "TARIFF-UNKNOWN-UNIT",
                    &format!("{p}/unit"),
                    format!("unknown unit {u:?}"),
                );
                continue;
            }
        }
        if volume.is_some_and(|v| v.is_sign_negative()) {
            cx.err(
                "TARIFF-BAD-DECIMAL",
                &format!("{p}/volume"),
                "volume must not be negative",
            );
            continue;
        }
        if let (Some(on), Some(validity), Some(volume), Some(unit)) = (on, validity, volume, unit) {
            let defs = quotas.entry(on.clone()).or_default();
            if defs.iter().any(|q| overlaps(&q.validity, &validity)) {
                cx.err(
                    "TARIFF-DUPLICATE",
                    &format!("{p}/from"),
                    format!("quota {on} has overlapping periods"),
                );
                continue;
            }
            defs.push(Quota {
                order_number: on,
                validity,
                volume,
                unit: unit.to_ascii_uppercase(),
                description,
            });
        }
    }

    // exchange rates
    let mut rates: HashMap<String, Vec<ExchangeRate>> = HashMap::new();
    for (i, v) in cx.array(top, "", "exchangeRates").iter().enumerate() {
        let p = format!("/exchangeRates/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        let currency = cx.string(o, &p, "currency", true);
        let validity = cx.validity(o, &p);
        let rate = cx.decimal(o, &p, "rate", true);
        let Some(currency) = currency else { continue };
        if !currencies.contains_key(&currency) || currency == national {
            cx.err(
                "TARIFF-UNKNOWN-CURRENCY",
                &format!("{p}/currency"),
                format!("{currency:?} is not a foreign currency in /currencies"),
            );
            continue;
        }
        if rate.is_some_and(|r| r <= Decimal::ZERO) {
            cx.err(
                "TARIFF-BAD-RATE",
                &format!("{p}/rate"),
                "an exchange rate must be positive",
            );
            continue;
        }
        if let (Some(validity), Some(rate)) = (validity, rate) {
            let list = rates.entry(currency.clone()).or_default();
            if list.iter().any(|r| overlaps(&r.validity, &validity)) {
                cx.err(
                    "TARIFF-OVERLAPPING-RATES",
                    &format!("{p}/from"),
                    format!("two {currency} rates overlap"),
                );
                continue;
            }
            list.push(ExchangeRate {
                currency,
                validity,
                rate,
            });
        }
    }

    // measures
    let mvals = cx.array(top, "", "measures");
    let total = mvals.len();
    let mut measures = Vec::with_capacity(total);
    let mut ids = HashSet::new();
    for (i, v) in mvals.iter().enumerate() {
        if i % 1024 == 0 {
            progress(i, total);
        }
        let p = format!("/measures/{i}");
        let Some(o) = cx.obj(v, &p) else { continue };
        if let Some(m) = measure(
            &mut cx,
            o,
            &p,
            &Refs {
                currencies: &currencies,
                prefixes: &prefixes,
                areas: &areas,
                measure_types: &measure_types,
                additional_codes: &additional_codes,
                quotas: &quotas,
            },
        ) {
            if !ids.insert(m.id.clone()) {
                cx.err(
                    "TARIFF-DUPLICATE",
                    &format!("{p}/id"),
                    format!("measure id {} listed twice", m.id),
                );
                continue;
            }
            measures.push(m);
        }
    }
    progress(total, total);

    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let mut by_code: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, m) in measures.iter().enumerate() {
        by_code.entry(m.goods_code.clone()).or_default().push(i);
    }
    Ok(Tariff {
        name,
        national_currency: national,
        currencies,
        nomenclature,
        areas,
        measure_types,
        additional_codes,
        measures,
        quotas,
        exchange_rates: rates,
        by_code,
    })
}

fn overlaps(a: &Validity, b: &Validity) -> bool {
    a.to.is_none_or(|t| b.from <= t) && b.to.is_none_or(|t| a.from <= t)
}

struct Refs<'a> {
    currencies: &'a HashMap<String, u32>,
    prefixes: &'a HashSet<String>,
    areas: &'a HashMap<String, GeoArea>,
    measure_types: &'a HashMap<String, MeasureType>,
    additional_codes: &'a HashMap<String, String>,
    quotas: &'a HashMap<String, Vec<Quota>>,
}

fn expression(cx: &mut Ctx, text: &str, ptr: &str, r: &Refs<'_>) -> Option<DutyExpression> {
    match DutyExpression::parse(text) {
        Ok(e) => {
            let mut ok = true;
            for c in e.currencies() {
                if !r.currencies.contains_key(c) {
                    cx.err(
                        "TARIFF-UNKNOWN-CURRENCY",
                        ptr,
                        format!("unknown currency {c} in {text:?}"),
                    );
                    ok = false;
                }
            }
            ok.then_some(e)
        }
        Err(e) => {
            cx.err(e.code, ptr, e.message);
            None
        }
    }
}

fn measure(cx: &mut Ctx, o: &Map<String, Value>, p: &str, r: &Refs<'_>) -> Option<Measure> {
    let before = cx.errors.len();
    let id = cx.string(o, p, "id", true);
    let mt = cx.string(o, p, "type", true);
    let goods = cx.string(o, p, "goodsCode", true);
    let area = cx.string(o, p, "area", true);
    let validity = cx.validity(o, p);
    let additional_code = cx.string(o, p, "additionalCode", false);
    let duty_text = cx.string(o, p, "duty", false);
    let quota = cx.string(o, p, "quota", false);
    let legal_base = cx.string(o, p, "legalBase", false);

    let kind = mt.as_ref().and_then(|t| match r.measure_types.get(t) {
        Some(t) => Some(t.kind),
        None => {
            cx.err(
                "TARIFF-UNKNOWN-MEASURE-TYPE",
                &format!("{p}/type"),
                format!("unknown measure type {t:?}"),
            );
            None
        }
    });
    if let Some(g) = &goods {
        if !(g.bytes().all(|b| b.is_ascii_digit()) && matches!(g.len(), 2 | 4 | 6 | 8 | 10)) {
            cx.err(
                "TARIFF-BAD-GOODS-CODE",
                &format!("{p}/goodsCode"),
                format!("{g:?}: 2, 4, 6, 8 or 10 digits"),
            );
        } else if g.len() > 6 && !r.prefixes.contains(g) {
            // Chapters, headings and subheadings are HS levels: measures
            // on them reach the HS nomenclature the tariff is completed
            // with (`Tariff::with_base_nomenclature`). National codes must
            // be in /nomenclature.
            cx.err(
                "TARIFF-UNKNOWN-GOODS-CODE",
                &format!("{p}/goodsCode"),
                format!("no goods code in /nomenclature is or starts with {g}"),
            );
        }
    }
    if let Some(a) = &area {
        if !r.areas.contains_key(a) {
            cx.err(
                "TARIFF-UNKNOWN-AREA",
                &format!("{p}/area"),
                format!("unknown geographical area {a:?}"),
            );
        }
    }
    let mut excluded = Vec::new();
    for (j, v) in cx.array(o, p, "excludedAreas").iter().enumerate() {
        match v.as_str() {
            Some(a) if r.areas.contains_key(a) => excluded.push(a.to_string()),
            _ => cx.err(
                "TARIFF-UNKNOWN-AREA",
                &format!("{p}/excludedAreas/{j}"),
                format!("unknown geographical area {v}"),
            ),
        }
    }
    if let Some(a) = &additional_code {
        if !r.additional_codes.contains_key(a) {
            cx.err(
                "TARIFF-UNKNOWN-ADDITIONAL-CODE",
                &format!("{p}/additionalCode"),
                format!("{a:?} is not in /additionalCodes"),
            );
        }
    }
    let duty = duty_text
        .as_ref()
        .and_then(|t| expression(cx, t, &format!("{p}/duty"), r));
    if let Some(k) = kind {
        if k.needs_expression() && duty_text.is_none() {
            cx.err(
                "TARIFF-MISSING",
                &format!("{p}/duty"),
                format!("a {k:?} measure needs a duty expression"),
            );
        }
        if !k.needs_expression() && duty_text.is_some() {
            cx.err(
                "TARIFF-UNEXPECTED-DUTY",
                &format!("{p}/duty"),
                "prohibitions and restrictions carry no duty",
            );
        }
        if k == MeasureKind::Vat && duty.as_ref().is_some_and(|d| !d.is_pure_ad_valorem()) {
            cx.err(
                "TARIFF-VAT-NOT-AD-VALOREM",
                &format!("{p}/duty"),
                "VAT must be a single ad valorem rate",
            );
        }
        if k == MeasureKind::TariffQuota && quota.is_none() {
            cx.err(
                "TARIFF-QUOTA-REQUIRED",
                &format!("{p}/quota"),
                "a tariff-quota measure needs a quota order number",
            );
        }
    }
    if let Some(q) = &quota {
        if !r.quotas.contains_key(q) {
            cx.err(
                "TARIFF-UNKNOWN-QUOTA",
                &format!("{p}/quota"),
                format!("quota {q:?} is not in /quotas"),
            );
        }
    }
    let mut conditions = Vec::new();
    for (j, v) in cx.array(o, p, "conditions").iter().enumerate() {
        let cp = format!("{p}/conditions/{j}");
        let Some(co) = cx.obj(v, &cp) else { continue };
        if let Some(c) = condition(cx, co, &cp, r) {
            conditions.push(c);
        }
    }
    if cx.errors.len() > before {
        return None;
    }
    Some(Measure {
        id: id?,
        measure_type: mt?,
        kind: kind?,
        goods_code: goods?,
        area: area?,
        excluded_areas: excluded,
        validity: validity?,
        additional_code,
        duty,
        duty_text: duty_text.unwrap_or_default(),
        conditions,
        quota,
        legal_base,
    })
}

fn condition(cx: &mut Ctx, o: &Map<String, Value>, p: &str, r: &Refs<'_>) -> Option<Condition> {
    let before = cx.errors.len();
    let mut tests = Vec::new();
    if let Some(d) = cx.string(o, p, "document", false) {
        tests.push(ConditionTest::Document(d));
    }
    for (name, above) in [("quantityAtMost", false), ("quantityAbove", true)] {
        if let Some(v) = o.get(name) {
            let qp = format!("{p}/{name}");
            if let Some(qo) = cx.obj(v, &qp) {
                let unit = cx.string(qo, &qp, "unit", true);
                let value = cx.decimal(qo, &qp, "value", true);
                if let Some(u) = &unit {
                    if units::unit(u).is_none() {
                        cx.err(
                            "TARIFF-UNKNOWN-UNIT",
                            &format!("{qp}/unit"),
                            format!("unknown unit {u:?}"),
                        );
                    }
                }
                if let (Some(unit), Some(value)) = (unit, value) {
                    let unit = unit.to_ascii_uppercase();
                    tests.push(if above {
                        ConditionTest::QuantityAbove { unit, value }
                    } else {
                        ConditionTest::QuantityAtMost { unit, value }
                    });
                }
            }
        }
    }
    if let Some(v) = cx.decimal(o, p, "valueAtMost", false) {
        tests.push(ConditionTest::ValueAtMost(v));
    }
    if let Some(v) = cx.decimal(o, p, "valueAbove", false) {
        tests.push(ConditionTest::ValueAbove(v));
    }
    if o.get("always").and_then(Value::as_bool) == Some(true) {
        tests.push(ConditionTest::Always);
    }
    let action = cx.string(o, p, "action", true).and_then(|a| {
        match serde_json::from_value::<ConditionAction>(Value::String(a.clone())) {
            Ok(a) => Some(a),
            Err(_) => {
                cx.err(
                    "TARIFF-BAD-CONDITION",
                    &format!("{p}/action"),
                    format!("action {a:?}: apply, waive or stop"),
                );
                None
            }
        }
    });
    let duty = cx
        .string(o, p, "duty", false)
        .and_then(|t| expression(cx, &t, &format!("{p}/duty"), r));
    if tests.len() != 1 {
        cx.err(
            "TARIFF-BAD-CONDITION",
            p,
            "a condition has exactly one test: document, quantityAtMost, quantityAbove, valueAtMost, valueAbove or always",
        );
    }
    if cx.errors.len() > before {
        return None;
    }
    Some(Condition {
        test: tests.pop()?,
        action: action?,
        duty,
    })
}
