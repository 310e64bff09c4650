//! Helpers shared by the tests.

#![allow(dead_code)]

pub mod mutate;
pub mod mutate_edi;
pub mod vary;
