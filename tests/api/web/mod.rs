//! The web UI, through HTTP as a browser sends it: cookies, CSRF tokens, forms, escaping, headers.
//! (The journeys in a real browser are in tests/browser.)

pub mod client;

mod admin;
mod clients;
mod custom_fields;
mod foundation;
mod locations;
mod portal;
mod scheduling;
