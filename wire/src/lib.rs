//! The data Gatehouse sends and receives, with no behaviour of its own beyond parsing
//! its names: the web app, the JSON API and the command-line client share these types,
//! so a field renamed on one side breaks the build of the others.
pub mod access;
pub mod accounts;
pub mod api;
pub mod auth;
pub mod instances;
pub mod integrations;
pub mod members;
pub mod platform;
pub mod roles;
pub mod team;
