//! Sign-up, sign-in, sign-out, email verification and password reset (AC-1, AC-2).
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

pub use wire::auth::CurrentUser;
