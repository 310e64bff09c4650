//! Finding 7 (medium): traders could read risk-profile rules through pre-arrival answers.
