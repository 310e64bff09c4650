//! Finding 3 (high): random selection was predictable from the event record.
