//! The dashboard: key figures of what the caller may see, for the API (`GET /api/v1/dashboard`) and
//! the `/app` home page. A read model: its aggregate queries are in its own repository and read the
//! client and scheduling tables through their scopes. Requests are answered from figures kept in
//! memory ([`cache`]) that a background task recounts when data changes ([`refresh`]).

pub mod cache;
pub mod model;
pub mod pages;
pub mod refresh;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::{Dashboard, month_start};
pub use routes::router;
