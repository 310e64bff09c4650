//! Finding 2 (high): an amendment skipped risk assessment.
