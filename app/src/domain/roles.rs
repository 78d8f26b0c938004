//! The roles a person can hold (defined in the `wire` crate, shared with API clients).
pub use wire::roles::*;
