//! Risk profiles: a small expression language compiled into an index (being written).
