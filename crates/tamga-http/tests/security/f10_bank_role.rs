//! Finding 10 (low): the bank role read more than a deposit needs.
