//! Users: the staff and portal accounts of an organization, and the role rules between them.

pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::User;
