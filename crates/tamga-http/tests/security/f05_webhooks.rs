//! Finding 5 (medium): webhooks reached internal addresses and were unsigned.
