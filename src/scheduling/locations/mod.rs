//! Locations: rooms and branches, each with its time zone. Owners and admins manage them through
//! the API (`/api/v1/locations`) and the pages (`/app/locations`).
//!
//! `model` (type, validation) → `repo` (every query) → `service` (rules, audit) → `routes` (API) and
//! `pages` (UI).

pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::{Location, LocationInput};
pub use repo::{all, find};
pub use routes::router;
