//! Declaration-level assessment: the [`ItemInput`] of each goods item of a
//! declaration, assessed in order with quota draws shared between items,
//! and the declaration's totals.

use rust_decimal::Decimal;
use time::Date;

use super::super::units::Quantity;
use super::super::Tariff;
use super::error_codes;
use super::quota::{Drawn, QuotaBalances};
use super::types::{derr, DeclarationAssessment, DutyError, ItemInput};
use super::{add, assess_item, national_code, round, ROUNDING_RULE};
use crate::declaration::Declaration;
use crate::money::Money;

/// The [`ItemInput`] for a declaration's goods item: goods code from
/// `hsCode`, origin and preferential origin, customs value (else item
/// price) in the invoice currency, quantities `KGM` = net mass, `KGMG` =
/// gross mass and the supplementary units in the nomenclature's
/// supplementary unit, documents from the item's documents.
pub fn item_input(tariff: &Tariff, d: &Declaration, index: usize, date: Date) -> Option<ItemInput> {
    let it = d.items.get(index)?;
    let code = it.hs_code.as_str();
    let mut quantities = vec![
        Quantity::new("KGM", it.net_mass_kg),
        Quantity::new("KGMG", it.gross_mass_kg),
    ];
    if let (Some(su), Some(unit)) = (
        it.supplementary_units,
        tariff
            .resolve_code(code)
            .and_then(|(_, v)| v.iter().find(|g| g.validity.contains(date)))
            .and_then(|g| g.supplementary_unit.as_deref()),
    ) {
        quantities.push(Quantity::new(unit, su));
    }
    Some(ItemInput {
        goods_code: code.to_string(),
        origin: it.origin.as_str().to_string(),
        preferential_origin: it
            .preferential_origin
            .as_ref()
            .map(|c| c.as_str().to_string()),
        customs_value: it.customs_value.unwrap_or(it.item_price),
        currency: d.invoice.currency.as_str().to_string(),
        quantities,
        date,
        additional_code: None,
        documents: it
            .documents
            .iter()
            .map(|x| x.type_code.as_str().to_string())
            .collect(),
    })
}

/// Assesses every goods item of a declaration on its acceptance date.
/// Quota draws of earlier items reduce the balance seen by later ones. The
/// first item that cannot be assessed stops it (`DutyError::item` says which).
pub fn assess_declaration(
    tariff: &Tariff,
    d: &Declaration,
    acceptance_date: Date,
    quotas: &dyn QuotaBalances,
) -> Result<DeclarationAssessment, DutyError> {
    let drawn = Drawn::new(quotas);
    let nat = tariff.national_currency.as_str();
    let mut items = Vec::with_capacity(d.items.len());
    let (mut cd, mut ad, mut ex, mut vat, mut tot) = (
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
    );
    for (i, it) in d.items.iter().enumerate() {
        let with_item = |mut e: DutyError| {
            e.item = Some(it.sequence);
            e
        };
        let input = item_input(tariff, d, i, acceptance_date)
            .ok_or_else(|| with_item(derr(error_codes::BAD_ITEM, "no such item".into())))?;
        let a = assess_item(tariff, &input, &drawn).map_err(with_item)?;
        for q in &a.quota_draws {
            drawn.record(q);
        }
        cd = add(cd, a.customs_duty.amount).map_err(with_item)?;
        ad = add(ad, a.additional_duties.amount).map_err(with_item)?;
        ex = add(ex, a.excise.amount).map_err(with_item)?;
        vat = add(vat, a.vat.amount).map_err(with_item)?;
        tot = add(tot, a.total.amount).map_err(with_item)?;
        items.push(a);
    }
    let minor = tariff.national_minor_units();
    let money = |x: Decimal| Money::new(round(x, minor), national_code(nat));
    Ok(DeclarationAssessment {
        national_currency: nat.to_string(),
        acceptance_date,
        rounding: ROUNDING_RULE.to_owned(),
        items,
        customs_duty: money(cd),
        additional_duties: money(ad),
        excise: money(ex),
        vat: money(vat),
        total: money(tot),
    })
}
