//! Organizations: the tenants. Nothing ever crosses between two of them.

pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::{OrgId, Organization};
