//! FitnessCRM: the CRM that personal trainers, studios and gyms run their business on.
//!
//! One binary serves the JSON API under `/api/v1`, the operations endpoints and the web UI.

pub mod app;
#[cfg(test)]
mod architecture;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clients;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod housekeeping;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod organizations;
pub mod portal;
pub mod scheduling;
pub mod seed;
pub mod state;
pub mod telemetry;
pub mod trainers;
pub mod users;
pub mod validation;
pub mod web;
