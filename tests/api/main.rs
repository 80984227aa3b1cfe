//! The API test suite: one binary, each test against a real server on a fresh database, on SQLite and
//! (when `TEST_DATABASE_URL` is set) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod account;
mod api_keys;
mod audit;
mod auth;
mod auth_cache;
mod authz;
mod classes;
mod cli;
mod client_data;
mod clients;
mod conventions;
mod dashboard;
mod jobs;
mod limits;
mod mail;
mod mfa;
mod operations;
mod reset;
mod resilience;
mod scheduling;
mod sealed;
mod seed;
mod tenancy;
mod trainers;
mod users;
mod web;
