//! Customs value control at lodging and for the public value calculator
//! (issue 18, part 4; the domain is [`tamga_core::value_control`]).
//!
//! - **Reference database.** The store writes an observation per goods
//!   item and unit when a declaration's duties are assessed and marks it
//!   released with the declaration's `released` event, in the same
//!   transaction (`tamga_store::value_sql`): incremental, and every
//!   instance reads the same rows. A reference is read per key from the
//!   database (the most recent [`ValueControlSettings::sample_limit`]
//!   observations of the window) and summarised here.
//! - **Cache.** Sufficient references are kept per key for
//!   [`ValueControlSettings::cache_ttl`] (bounded,
//!   [`ValueControlSettings::cache`] keys): a reference built from hundreds
//!   of releases barely moves in a minute, and the database stays the
//!   truth. An insufficient sample is read again each time (it is small,
//!   and the next release may complete it).
//! - **At lodging** ([`ValueControl::check`]), after the duties: each item's
//!   unit value (per supplementary unit when declared and referenced, else
//!   per kg) is compared with the first sufficient reference of its
//!   national code and origin, its subheading and origin, its subheading
//!   from any origin. What it finds goes to the risk decision (`values`)
//!   and the risk profiles' item attributes. **Never in the way:** it runs
//!   within a time budget ([`ValueControlSettings::budget`]); items it has
//!   no time for are not checked and the absence is recorded
//!   (`over_budget`), as is a database error (`failed`, logged) or a
//!   declaration whose duties were not assessed (`not_assessed`).
//! - **Public figures** ([`ValueControl::reference`]) only from a
//!   sufficient sample: at least the rule's minimum observations from at
//!   least its minimum declarants, so no figure is one trader's price
//!   (`docs/security.md`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use time::OffsetDateTime;

use tamga_core::declaration::Declaration;
use tamga_core::pipeline::DutyResult;
use tamga_core::value_control::{
    check_item, unit_value, QuantityUnit, ReferenceLevel, RobustStats, Sample, ValueCheckAbsence,
    ValueChecks, ValueKey, ValueRule,
};
use tamga_store::{Store, StoreError};

/// How the value check runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueControlSettings {
    /// Off: no check runs and nothing is recorded.
    pub enabled: bool,
    pub rule: ValueRule,
    /// Most time one declaration's check may take.
    pub budget: Duration,
    /// Most observations read for one reference (the most recent).
    pub sample_limit: u32,
    /// How long a sufficient reference is kept (zero: not kept).
    pub cache_ttl: Duration,
    /// Most references kept.
    pub cache: usize,
}

impl Default for ValueControlSettings {
    fn default() -> Self {
        ValueControlSettings {
            enabled: true,
            rule: ValueRule::default(),
            budget: Duration::from_millis(50),
            sample_limit: 2_000,
            cache_ttl: Duration::from_secs(60),
            cache: 20_000,
        }
    }
}

/// A sufficient reference as kept.
struct Kept {
    at: Instant,
    stats: Arc<RobustStats>,
}

/// The value control service of this process (see the module doc).
pub struct ValueControl {
    store: Arc<dyn Store>,
    settings: ValueControlSettings,
    cache: Option<Cache<(ValueKey, String), Arc<Kept>>>,
}

impl ValueControl {
    pub fn new(store: Arc<dyn Store>, settings: ValueControlSettings) -> Self {
        ValueControl {
            store,
            settings,
            cache: (settings.cache > 0 && !settings.cache_ttl.is_zero())
                .then(|| Cache::new(settings.cache)),
        }
    }

    pub fn settings(&self) -> &ValueControlSettings {
        &self.settings
    }

    /// The reference of `key` in `currency` at `now`: its summary when
    /// the sample is sufficient under the rule, else `None`.
    pub async fn reference(
        &self,
        key: &ValueKey,
        currency: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Arc<RobustStats>>, StoreError> {
        let cache_key = (key.clone(), currency.to_owned());
        if let Some(k) = self.cache.as_ref().and_then(|c| c.get(&cache_key)) {
            if k.at.elapsed() < self.settings.cache_ttl {
                return Ok(Some(k.stats.clone()));
            }
        }
        let rule = &self.settings.rule;
        let since = now - time::Duration::days(i64::from(rule.window_days));
        let rows = self
            .store
            .value_sample(key, currency, since, self.settings.sample_limit)
            .await?;
        let mut declarants: Vec<&str> = rows.iter().map(|r| r.declarant.as_str()).collect();
        declarants.sort_unstable();
        declarants.dedup();
        let sample = Sample {
            declarants: declarants.len(),
            values: rows.iter().map(|r| r.unit_value).collect(),
        };
        let Some(stats) = sample.sufficient(rule).map(Arc::new) else {
            return Ok(None);
        };
        if let Some(c) = &self.cache {
            c.insert(
                cache_key,
                Arc::new(Kept {
                    at: Instant::now(),
                    stats: stats.clone(),
                }),
            );
        }
        Ok(Some(stats))
    }

    /// The value check of `d` given its duty assessment (see the module
    /// doc); `None` when the check is off. `currency` is the national
    /// currency.
    pub async fn check(
        &self,
        d: &Declaration,
        duties: &DutyResult,
        currency: &str,
        now: OffsetDateTime,
    ) -> Option<ValueChecks> {
        if !self.settings.enabled {
            return None;
        }
        let rule = &self.settings.rule;
        let mut checks = ValueChecks::new(rule, currency);
        let DutyResult::Assessed { assessment, .. } = duties else {
            checks.absent = Some(ValueCheckAbsence::NotAssessed);
            return Some(checks);
        };
        let deadline = tokio::time::Instant::now() + self.settings.budget;
        'items: for (item, assessed) in d.items.iter().zip(&assessment.items) {
            let value = assessed.customs_value_national.amount;
            let per_kg = unit_value(value, item.net_mass_kg);
            let per_unit = item.supplementary_units.and_then(|q| unit_value(value, q));
            let units = [
                (QuantityUnit::Supplementary, per_unit),
                (QuantityUnit::Kg, per_kg),
            ];
            let code = item.hs_code.as_str();
            let origin = item.origin.as_str();
            for (unit, uv) in units {
                let Some(uv) = uv else { continue };
                for level in ReferenceLevel::ALL {
                    // Spent: stop before the read (a read that hangs is
                    // cut at the deadline too).
                    if tokio::time::Instant::now() >= deadline {
                        checks.absent = Some(ValueCheckAbsence::OverBudget);
                        break 'items;
                    }
                    let key = ValueKey::at(level, code, origin, unit);
                    let read =
                        tokio::time::timeout_at(deadline, self.reference(&key, currency, now))
                            .await;
                    match read {
                        Err(_) => {
                            checks.absent = Some(ValueCheckAbsence::OverBudget);
                            break 'items;
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "the value check could not read a reference");
                            checks.absent = Some(ValueCheckAbsence::Failed);
                            break 'items;
                        }
                        Ok(Ok(Some(stats))) => {
                            checks.items.push(check_item(
                                item.sequence,
                                unit,
                                uv,
                                Some((level, &key, &stats)),
                                rule,
                            ));
                            continue 'items;
                        }
                        Ok(Ok(None)) => {}
                    }
                }
            }
            // No sufficient reference: the unit value is recorded alone.
            if let Some((unit, Some(uv))) = units.into_iter().find(|(_, v)| v.is_some()) {
                checks
                    .items
                    .push(check_item(item.sequence, unit, uv, None, rule));
            }
        }
        Some(checks)
    }
}

#[cfg(test)]
mod tests;
