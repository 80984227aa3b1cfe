//! Authentication and authorization: passwords, sessions, bearer tokens, API keys and roles.

pub mod account;
pub mod account_pages;
pub mod actor;
pub mod api_keys;
pub mod cache;
pub mod caller;
pub mod guard;
pub mod mfa;
pub mod pages;
pub mod password;
pub mod principal;
pub mod repo;
pub mod reset;
pub mod roles;
pub mod routes;
pub mod service;
pub mod tokens;

pub use actor::Actor;
pub use principal::{Credential, CurrentUser};
pub use roles::Role;
