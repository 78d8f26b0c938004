//! Pure types and rules shared by the browser and the server: no leptos, sqlx or axum here.
pub mod email;
pub mod policy;
pub mod roles;
pub mod semver;
pub mod team;
pub mod validate;
