//! Trainers: the coaches of an organization. A trainer may be linked to a login account
//! (`user_id`), which is how a trainer-role user finds the clients assigned to them.

pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::Trainer;
