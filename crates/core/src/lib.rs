//! Wangge's pure core: the types, validation and rules that every layer shares.
//!
//! Nothing here performs I/O or reads the clock: "today" is a parameter, so that
//! rules that depend on it (birth dates not in the future) are testable.

pub mod auth;
pub mod calendar;
pub mod cases;
pub mod equipment;
pub mod error;
pub mod geo;
pub mod ids;
pub mod inspections;
pub mod mask;
pub mod organisations;
pub mod passwords;
pub mod people;
pub mod positions;
pub mod units;
pub mod wire;

pub use error::{Error, Result};
