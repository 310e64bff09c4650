//! Pre-arrival (advance cargo) information: its model and parsing (pure).
