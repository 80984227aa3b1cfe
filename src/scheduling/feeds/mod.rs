//! Calendar feeds: a secret URL per trainer, client or location that calendar apps subscribe to
//! (`GET /calendar/{secret}.ics`). Creating a feed again rotates the secret: the old URL answers 404.
//! Only the secret's hash is stored.
//!
//! `model` → `repo` (every query) → `service` (rules, audit, the calendar) → `routes` (API);
//! `ics` writes the calendar text.

pub mod ics;
pub mod model;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::FeedUrl;
pub use routes::{base_url, client_router, location_router, public_router, trainer_router};
pub use service::{rotate_client_feed, rotate_location_feed, rotate_trainer_feed};
