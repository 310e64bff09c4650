//! Training data from tamga's own declarations: every inspected
//! declaration with its control's outcome, as [`Record`]s (one per goods
//! item, [`tamga_model::source`]), and the split into a training period
//! and the latest period a model is validated on.

use time::{Date, Duration, OffsetDateTime};

use tamga_core::codes::Mrn;
use tamga_core::lifecycle::EventBody;
use tamga_core::pipeline::DutyResult;
use tamga_model::Record;
use tamga_store::Store;

use crate::error::AppError;

/// Labelled declarations read per query.
const PAGE: i64 = 2_000;

/// Every inspected declaration with a recorded outcome, as records
/// labelled with whether the control found something, in registration
/// order (the goods items of a declaration together); `progress` is
/// called with the number of declarations read so far.
pub async fn labelled_records(
    store: &dyn Store,
    mut progress: impl FnMut(usize),
) -> Result<Vec<Record>, AppError> {
    let mut by_time: Vec<(OffsetDateTime, Vec<Record>)> = Vec::new();
    let mut after = 0;
    loop {
        let page = store.labelled_declarations(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id;
        for l in &page {
            let duties = duties_of(store, &l.mrn).await?;
            by_time.push((
                l.registered_at,
                tamga_model::source::records_of(
                    l.mrn.as_str(),
                    &l.declaration,
                    l.registered_at.date(),
                    &duties,
                    Some(l.findings),
                ),
            ));
        }
        progress(by_time.len());
    }
    by_time.sort_by_key(|(at, _)| *at);
    Ok(by_time.into_iter().flat_map(|(_, r)| r).collect())
}

/// The declaration's latest duty assessment, as recorded in its events.
pub async fn duties_of(store: &dyn Store, mrn: &Mrn) -> Result<DutyResult, AppError> {
    Ok(store
        .events(mrn)
        .await?
        .into_iter()
        .rev()
        .find_map(|e| match e.body {
            EventBody::DutiesAssessed { result, .. } => Some(result),
            _ => None,
        })
        .unwrap_or(DutyResult::NotAssessed {
            reason: "no assessment recorded".into(),
        }))
}

/// Which part of the labelled declarations is held out for validation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Holdout {
    /// The declarations of the latest this many days.
    Days(i64),
    /// The latest share (0 to 1) of the declarations, by registration.
    Share(f64),
}

/// The declaration a record belongs to (its id is `<mrn>/<item>`).
fn declaration_of(r: &Record) -> &str {
    r.id.rsplit_once('/').map_or(r.id.as_str(), |(d, _)| d)
}

/// Splits `records` (in registration order, as [`labelled_records`]
/// gives them) into those before the latest period (training) and the
/// latest period (validation); never inside a declaration.
pub fn split_latest(records: Vec<Record>, holdout: Holdout) -> (Vec<Record>, Vec<Record>) {
    let mut records = records;
    let Some(last) = records.iter().map(|r| r.date).max() else {
        return (records, Vec::new());
    };
    let mut at = match holdout {
        Holdout::Days(days) => {
            let cutoff: Date = last - Duration::days(days.max(0)) + Duration::days(1);
            records.sort_by_key(|r| r.date);
            records.partition_point(|r| r.date < cutoff)
        }
        Holdout::Share(share) => {
            let keep = 1.0 - share.clamp(0.0, 1.0);
            (records.len() as f64 * keep).ceil() as usize
        }
    };
    // Never split a declaration's goods items.
    while at > 0
        && at < records.len()
        && declaration_of(&records[at]) == declaration_of(&records[at - 1])
    {
        at += 1;
    }
    let tail = records.split_off(at.min(records.len()));
    (records, tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_model::Attribute;
    use time::macros::date;

    fn rec(d: Date) -> Record {
        Record {
            id: format!("{d}/1"),
            date: d,
            cats: vec![String::new(); Attribute::ALL.len()],
            net_mass_kg: None,
            item_price: None,
            tax_rate: None,
            label: Some(false),
            revenue: None,
        }
    }

    #[test]
    fn the_latest_days_are_split_off_by_date() {
        let rs = vec![
            rec(date!(2026 - 11 - 30)),
            rec(date!(2026 - 11 - 01)),
            rec(date!(2026 - 11 - 24)),
            rec(date!(2026 - 11 - 23)),
        ];
        let (train, latest) = split_latest(rs, Holdout::Days(7));
        let days = |v: &[Record]| v.iter().map(|r| r.date.day()).collect::<Vec<_>>();
        assert_eq!(days(&train), vec![1, 23]);
        assert_eq!(days(&latest), vec![24, 30]);
        let (train, latest) = split_latest(Vec::new(), Holdout::Days(7));
        assert!(train.is_empty() && latest.is_empty());
    }

    #[test]
    fn a_share_is_split_off_at_a_declaration_boundary() {
        let d = date!(2026 - 12 - 01);
        let mut rs = Vec::new();
        for k in 0..10 {
            for item in 1..=2 {
                let mut r = rec(d);
                r.id = format!("M{k}/{item}");
                rs.push(r);
            }
        }
        // 20 records, 25 % held out: 15 kept would cut M7 in two.
        let (train, latest) = split_latest(rs, Holdout::Share(0.25));
        assert_eq!(train.len(), 16);
        assert_eq!(latest.len(), 4);
        assert_eq!(latest[0].id, "M8/1");
    }
}
