//! Effectiveness analytics: hits, controls, findings and yields per
//! profile and for random selection, channel shares and release times.

use std::collections::{BTreeMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use tamga_core::lifecycle::{Channel, ControlOutcome, EventBody};

use crate::error::AppError;
use crate::Caller;

use super::{analyst, period, RiskAdmin};

/// Effectiveness of one profile (or of random selection) over a period.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileEffectiveness {
    pub profile_id: String,
    /// Declarations it hit.
    pub hits: u64,
    /// Of those, declarations with a control result recorded.
    pub controls: u64,
    /// Of those, with findings.
    pub findings: u64,
    /// findings / controls (absent without controls).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub yield_rate: Option<Decimal>,
    /// Hits but no findings: flagged for review.
    pub review: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelFigures {
    pub declarations: u64,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub share: Decimal,
    pub released: u64,
    /// Mean and median seconds from registration to release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_seconds_to_release: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_seconds_to_release: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Analytics {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// Declarations registered in the period with a risk decision.
    pub declarations: u64,
    pub channels: BTreeMap<String, ChannelFigures>,
    /// Green declarations selected for post-release audit.
    pub blue: u64,
    pub profiles: Vec<ProfileEffectiveness>,
    /// The same figures for random selection (a baseline for yields).
    pub random_selection: ProfileEffectiveness,
    /// Profiles flagged for review (hits, no findings).
    pub review: Vec<String>,
}

impl RiskAdmin {
    /// Effectiveness over the declarations registered in `[from, to)`,
    /// computed from their stored events.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn analytics(
        &self,
        caller: &Caller,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Result<Analytics, AppError> {
        analyst(caller)?;
        let (from, to) = period(from, to, OffsetDateTime::now_utc())?;
        let events = self.clearance.store().risk_events(from, to).await?;
        Ok(analyze(from, to, &events))
    }
}

#[derive(Default)]
struct Tally {
    hits: u64,
    controls: u64,
    findings: u64,
}

impl Tally {
    fn add(&mut self, controlled: bool, findings: bool) {
        self.hits += 1;
        self.controls += u64::from(controlled);
        self.findings += u64::from(findings);
    }
    fn figures(&self, id: String) -> ProfileEffectiveness {
        let yield_rate = (self.controls > 0).then(|| {
            (Decimal::from(self.findings) / Decimal::from(self.controls))
                .round_dp(4)
                .normalize()
        });
        let review = self.hits > 0 && self.findings == 0;
        ProfileEffectiveness {
            profile_id: id,
            hits: self.hits,
            controls: self.controls,
            findings: self.findings,
            yield_rate,
            review,
            review_reason: review.then(|| {
                if self.controls == 0 {
                    format!("{} hit(s), no control result recorded yet", self.hits)
                } else {
                    format!(
                        "{} hit(s), {} control(s), no findings",
                        self.hits, self.controls
                    )
                }
            }),
        }
    }
}

/// The analytics fold over events ordered by MRN then sequence.
pub fn analyze(
    from: OffsetDateTime,
    to: OffsetDateTime,
    events: &[tamga_core::lifecycle::Event],
) -> Analytics {
    let mut profiles: BTreeMap<String, Tally> = BTreeMap::new();
    let mut random = Tally::default();
    let mut channels: BTreeMap<Channel, (u64, Vec<i64>)> = BTreeMap::new();
    let (mut total, mut blue) = (0u64, 0u64);
    for group in events.chunk_by(|a, b| a.mrn == b.mrn) {
        let mut registered = None;
        let mut decision = None;
        let (mut controlled, mut findings) = (false, false);
        let mut released = None;
        for e in group {
            match &e.body {
                EventBody::Registered { .. } => registered = Some(e.at),
                EventBody::RiskAssessed { decision: d, .. } => decision = Some(d),
                EventBody::ControlResultRecorded { outcome, .. } => {
                    controlled = true;
                    findings |= *outcome == ControlOutcome::Findings;
                }
                EventBody::Released { .. } => released = Some(e.at),
                _ => {}
            }
        }
        let Some(d) = decision else { continue };
        total += 1;
        blue += u64::from(d.combined.blue);
        let c = channels.entry(d.channel).or_default();
        c.0 += 1;
        if let (Some(r), Some(x)) = (registered, released) {
            c.1.push((x - r).whole_seconds());
        }
        let mut seen = HashSet::new();
        for h in &d.combined.profile_hits {
            if seen.insert(h.profile_id.as_str()) {
                profiles
                    .entry(h.profile_id.clone())
                    .or_default()
                    .add(controlled, findings);
            }
        }
        if d.random.selected.is_some() {
            random.add(controlled, findings);
        }
    }
    let mut out_channels = BTreeMap::new();
    for ch in [Channel::Green, Channel::Yellow, Channel::Red] {
        let (n, mut times) = channels.remove(&ch).unwrap_or_default();
        times.sort_unstable();
        let share = if total == 0 {
            Decimal::ZERO
        } else {
            (Decimal::from(n) / Decimal::from(total))
                .round_dp(4)
                .normalize()
        };
        out_channels.insert(
            ch.as_str().to_owned(),
            ChannelFigures {
                declarations: n,
                share,
                released: times.len() as u64,
                mean_seconds_to_release: (!times.is_empty())
                    .then(|| times.iter().sum::<i64>() / times.len() as i64),
                median_seconds_to_release: times.get(times.len() / 2).copied(),
            },
        );
    }
    let profiles: Vec<ProfileEffectiveness> =
        profiles.into_iter().map(|(id, t)| t.figures(id)).collect();
    let review = profiles
        .iter()
        .filter(|p| p.review)
        .map(|p| p.profile_id.clone())
        .collect();
    Analytics {
        from,
        to,
        declarations: total,
        channels: out_channels,
        blue,
        profiles,
        random_selection: random.figures("random_selection".into()),
        review,
    }
}
