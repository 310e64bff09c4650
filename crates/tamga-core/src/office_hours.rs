//! A customs office's working hours and services (reference data).
//!
//! [`OpeningHours`] is the parsed form of the `hours` column of
//! `reference/offices.csv`, a small subset of the OpenStreetMap
//! `opening_hours` syntax: `24/7`, or rules separated by `;`, each a day
//! set (`Mo`, `Mo-Fr`, `Mo-Fr,Su`) and one or more time spans
//! (`08:00-13:00,14:00-18:00`, end up to `24:00`, no span past midnight).
//! A day no rule names is closed; a later rule for a day replaces an
//! earlier one (as in OSM). [`OpeningHours::is_open`] answers for a local
//! weekday and minute; [`utc_offset`] gives the fixed offset of the
//! countries of the register (none of them moves its clocks), so "open
//! now" is the current UTC time shifted by the office's country offset.
//! Public holidays are not part of the data.
//!
//! [`OfficeService`]: the services an office offers, as stable codes
//! (translated by the portal).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{OffsetDateTime, UtcOffset, Weekday};

/// Two-letter day names, Monday first (OSM's).
pub const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// One rule: the days (bit 0 Monday … bit 6 Sunday) and the spans, in
/// minutes from local midnight, start < end ≤ 1440.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRule {
    pub days: u8,
    pub spans: Vec<(u16, u16)>,
}

/// Working hours: round the clock, or rules per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpeningHours {
    /// `24/7`.
    Always,
    /// In the order written; for a day, the last rule naming it counts.
    Rules(Vec<HoursRule>),
}

/// Why a text is not opening hours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad opening hours {text:?}: {reason}")]
pub struct HoursError {
    pub text: String,
    pub reason: String,
}

fn day_index(s: &str) -> Option<usize> {
    DAYS.iter().position(|d| *d == s)
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn weekday_index(w: Weekday) -> usize {
    usize::from(w.number_days_from_monday())
}

impl OpeningHours {
    pub fn parse(text: &str) -> Result<OpeningHours, HoursError> {
        let bad = |reason: &str| HoursError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let t = text.trim();
        if t == "24/7" {
            return Ok(OpeningHours::Always);
        }
        let mut rules = Vec::new();
        for rule in t.split(';').map(str::trim) {
            let (days, spans) = rule
                .split_once(' ')
                .ok_or_else(|| bad("a rule is days, a space and time spans"))?;
            let mut mask = 0u8;
            for part in days.split(',') {
                let (a, b) = part.split_once('-').unwrap_or((part, part));
                let (a, b) = match (day_index(a), day_index(b)) {
                    (Some(a), Some(b)) if a <= b => (a, b),
                    (Some(_), Some(_)) => return Err(bad("a day range runs Monday to Sunday")),
                    _ => return Err(bad("days are Mo Tu We Th Fr Sa Su")),
                };
                for d in a..=b {
                    mask |= 1 << d;
                }
            }
            let mut parsed: Vec<(u16, u16)> = Vec::new();
            for span in spans.trim().split(',') {
                let (a, b) = span
                    .split_once('-')
                    .ok_or_else(|| bad("a time span is HH:MM-HH:MM"))?;
                let (a, b) = match (minutes(a), minutes(b)) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return Err(bad("times are HH:MM, 00:00 to 24:00")),
                };
                if a >= b {
                    return Err(bad("a time span ends after it starts, by midnight"));
                }
                if parsed.last().is_some_and(|&(_, end)| a < end) {
                    return Err(bad("the time spans of a rule are in order and apart"));
                }
                parsed.push((a, b));
            }
            rules.push(HoursRule {
                days: mask,
                spans: parsed,
            });
        }
        Ok(OpeningHours::Rules(rules))
    }

    /// The spans of local weekday `day` (0 Monday), in minutes.
    pub fn spans_of(&self, day: usize) -> Vec<(u16, u16)> {
        match self {
            OpeningHours::Always => vec![(0, 1440)],
            OpeningHours::Rules(rules) => rules
                .iter()
                .rev()
                .find(|r| r.days & (1 << day) != 0)
                .map(|r| r.spans.clone())
                .unwrap_or_default(),
        }
    }

    /// Whether the office works at local `minute` (0–1439) of `day`.
    pub fn is_open(&self, day: Weekday, minute: u16) -> bool {
        self.spans_of(weekday_index(day))
            .iter()
            .any(|&(a, b)| a <= minute && minute < b)
    }

    /// Whether the office works at `now` (any offset) in local time
    /// `offset`.
    pub fn open_at(&self, now: OffsetDateTime, offset: UtcOffset) -> bool {
        let local = now.to_offset(offset);
        self.is_open(
            local.weekday(),
            u16::from(local.hour()) * 60 + u16::from(local.minute()),
        )
    }

    /// Per day (0 Monday) its spans as `HH:MM–HH:MM` texts, empty when
    /// closed; for pages.
    pub fn week(&self) -> [Vec<String>; 7] {
        std::array::from_fn(|d| {
            self.spans_of(d)
                .iter()
                .map(|&(a, b)| format!("{}–{}", hhmm(a), hhmm(b)))
                .collect()
        })
    }
}

impl fmt::Display for OpeningHours {
    /// The canonical text (days as ranges where they run on).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules = match self {
            OpeningHours::Always => return f.write_str("24/7"),
            OpeningHours::Rules(r) => r,
        };
        let mut out = Vec::new();
        for r in rules {
            let mut days = Vec::new();
            let mut d = 0;
            while d < 7 {
                if r.days & (1 << d) == 0 {
                    d += 1;
                    continue;
                }
                let start = d;
                while d + 1 < 7 && r.days & (1 << (d + 1)) != 0 {
                    d += 1;
                }
                days.push(if start == d {
                    DAYS[d].to_owned()
                } else {
                    format!("{}-{}", DAYS[start], DAYS[d])
                });
                d += 1;
            }
            let spans: Vec<String> = r
                .spans
                .iter()
                .map(|&(a, b)| format!("{}-{}", hhmm(a), hhmm(b)))
                .collect();
            out.push(format!("{} {}", days.join(","), spans.join(",")));
        }
        f.write_str(&out.join("; "))
    }
}

impl FromStr for OpeningHours {
    type Err = HoursError;
    fn from_str(s: &str) -> Result<Self, HoursError> {
        OpeningHours::parse(s)
    }
}

impl Serialize for OpeningHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OpeningHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OpeningHours::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The fixed UTC offset of the register's countries: Kyrgyzstan UTC+6,
/// Kazakhstan UTC+5 (one zone since 1 March 2024), Uzbekistan UTC+5;
/// none observes daylight saving time. `None` for any other country.
pub fn utc_offset(country: &str) -> Option<UtcOffset> {
    let hours = match country {
        "KG" => 6,
        "KZ" | "UZ" => 5,
        _ => return None,
    };
    UtcOffset::from_hms(hours, 0, 0).ok()
}

/// A service a customs office offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OfficeService {
    /// Release for free circulation (import declarations).
    Import,
    /// Export declarations.
    Export,
    /// Opening and discharging transit.
    Transit,
    /// Temporary storage and customs warehouses.
    Storage,
    /// Guarantees (comprehensive and individual).
    Guarantee,
    /// Binding tariff and origin information.
    Ruling,
    /// Post-clearance audit.
    Audit,
    /// Customs laboratory (samples).
    Lab,
    /// Veterinary border control.
    Vet,
    /// Phytosanitary border control.
    Phyto,
    /// Travellers and their goods.
    Passenger,
    /// Excise stamps.
    Excise,
}

impl OfficeService {
    pub const ALL: [OfficeService; 12] = [
        OfficeService::Import,
        OfficeService::Export,
        OfficeService::Transit,
        OfficeService::Storage,
        OfficeService::Guarantee,
        OfficeService::Ruling,
        OfficeService::Audit,
        OfficeService::Lab,
        OfficeService::Vet,
        OfficeService::Phyto,
        OfficeService::Passenger,
        OfficeService::Excise,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OfficeService::Import => "import",
            OfficeService::Export => "export",
            OfficeService::Transit => "transit",
            OfficeService::Storage => "storage",
            OfficeService::Guarantee => "guarantee",
            OfficeService::Ruling => "ruling",
            OfficeService::Audit => "audit",
            OfficeService::Lab => "lab",
            OfficeService::Vet => "vet",
            OfficeService::Phyto => "phyto",
            OfficeService::Passenger => "passenger",
            OfficeService::Excise => "excise",
        }
    }
    pub fn parse(s: &str) -> Option<OfficeService> {
        OfficeService::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// A `;` list of codes (empty text: none).
    pub fn parse_list(s: &str) -> Result<Vec<OfficeService>, String> {
        s.split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| OfficeService::parse(c).ok_or_else(|| format!("unknown service {c:?}")))
            .collect()
    }
    /// The `;` list of `services`.
    pub fn list_text(services: &[OfficeService]) -> String {
        services
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hours_parse_answer_and_print_back() {
        let h = OpeningHours::parse("Mo-Fr 08:00-18:00; Sa 09:00-13:00").unwrap();
        assert!(h.is_open(Weekday::Monday, 8 * 60));
        assert!(h.is_open(Weekday::Friday, 18 * 60 - 1));
        assert!(!h.is_open(Weekday::Friday, 18 * 60), "the end is not open");
        assert!(!h.is_open(Weekday::Tuesday, 7 * 60 + 59));
        assert!(h.is_open(Weekday::Saturday, 12 * 60));
        assert!(!h.is_open(Weekday::Saturday, 13 * 60));
        assert!(
            !h.is_open(Weekday::Sunday, 12 * 60),
            "a day not named is closed"
        );
        assert_eq!(h.to_string(), "Mo-Fr 08:00-18:00; Sa 09:00-13:00");
        assert_eq!(h.week()[0], vec!["08:00–18:00".to_owned()]);
        assert!(h.week()[6].is_empty());

        let always = OpeningHours::parse(" 24/7 ").unwrap();
        assert_eq!(always, OpeningHours::Always);
        assert!(always.is_open(Weekday::Sunday, 0) && always.is_open(Weekday::Sunday, 1439));
        assert_eq!(always.to_string(), "24/7");

        // Day lists, lunch breaks, midnight, and a later rule overriding.
        let h = OpeningHours::parse("Mo,We-Fr 09:00-13:00,14:00-24:00; Th 10:00-11:00").unwrap();
        assert_eq!(
            h.to_string(),
            "Mo,We-Fr 09:00-13:00,14:00-24:00; Th 10:00-11:00"
        );
        assert!(!h.is_open(Weekday::Tuesday, 10 * 60));
        assert!(!h.is_open(Weekday::Monday, 13 * 60 + 30), "lunch");
        assert!(h.is_open(Weekday::Monday, 1439));
        assert!(!h.is_open(Weekday::Thursday, 12 * 60), "Th is replaced");
        assert!(h.is_open(Weekday::Thursday, 10 * 60 + 30));
        // Round trip through serde as the text.
        let j = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<OpeningHours>(&j).unwrap(), h);
    }

    #[test]
    fn bad_hours_are_refused_with_a_reason() {
        for bad in [
            "",
            "Mo-Fr",
            "Xx 08:00-18:00",
            "Fr-Mo 08:00-18:00",
            "Mo 8:00-18:00",
            "Mo 08:00-25:00",
            "Mo 08:60-09:00",
            "Mo 18:00-08:00",
            "Mo 08:00-08:00",
            "Mo 10:00-12:00,11:00-13:00",
            "Mo 08:00",
            "24/7; Mo 08:00-09:00",
        ] {
            let e = OpeningHours::parse(bad).expect_err(bad);
            assert!(!e.reason.is_empty() && e.text == bad, "{bad}");
        }
        assert!(serde_json::from_str::<OpeningHours>("\"Mo 9-5\"").is_err());
    }

    #[test]
    fn open_now_is_utc_shifted_by_the_country_offset() {
        let h = OpeningHours::parse("Mo-Fr 08:00-18:00").unwrap();
        // Monday 02:30 UTC is 08:30 in Bishkek (UTC+6), 07:30 in Tashkent.
        let now = datetime!(2026-12-07 02:30 UTC);
        assert!(h.open_at(now, utc_offset("KG").unwrap()));
        assert!(!h.open_at(now, utc_offset("UZ").unwrap()));
        assert!(!h.open_at(now, UtcOffset::UTC));
        // Friday 20:00 UTC is already Saturday 02:00 in Almaty.
        let late = datetime!(2026-12-04 20:00 UTC);
        assert!(!h.open_at(late, utc_offset("KZ").unwrap()));
        assert!(h.open_at(datetime!(2026-12-04 12:59 UTC), utc_offset("KZ").unwrap()));
        assert_eq!(utc_offset("DE"), None);
    }

    #[test]
    fn services_are_codes() {
        assert_eq!(
            OfficeService::parse_list("import; transit;;lab").unwrap(),
            vec![
                OfficeService::Import,
                OfficeService::Transit,
                OfficeService::Lab
            ]
        );
        assert!(OfficeService::parse_list("import;teleport").is_err());
        assert_eq!(OfficeService::parse_list("").unwrap(), vec![]);
        for s in OfficeService::ALL {
            assert_eq!(OfficeService::parse(s.as_str()), Some(s));
            let j = serde_json::to_value(s).unwrap();
            assert_eq!(j, serde_json::json!(s.as_str()));
        }
        assert_eq!(
            OfficeService::list_text(&[OfficeService::Vet, OfficeService::Phyto]),
            "vet;phyto"
        );
    }
}
