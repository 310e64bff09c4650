//! Tariff: nomenclature, measures, duty expressions and duty assessment (being written).
