//! The client CRM: clients, their lifecycle, trainer assignments, notes, timeline and dashboard.

pub mod access;
pub mod dashboard;
pub mod export;
pub mod import;
pub mod model;
pub mod notes;
pub mod repo;
pub mod routes;

pub use model::Client;
