//! Who can reach an integration, an instance or an account, by which road, since when
//! and until when (AX-1); grants that start and end on given dates (AX-2, AX-3, AX-4).
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
#[cfg(feature = "ssr")]
pub mod worker;

pub use wire::access::{
    AccessPage, PersonAccess, PersonReach, ReachItem, Road, RoadDates, RoadKind, RoadRevokePreview,
    RoadState,
};
