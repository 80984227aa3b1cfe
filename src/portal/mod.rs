//! The client portal (`/portal`) and the public booking pages (`/book/{organization}`).
//!
//! - `service`: the public class schedule, a client's own bookings and sessions.
//! - `signup`: a client signing up themself from the booking page.
//! - `pages`: the router and what the screens share (class rows grouped by day, the portal viewer).
//! - `booking`: `/book/{slug}` and `/book/{slug}/signup`.
//! - `mine`: `/portal`: bookings, the class list and one class, profile, data export.

pub mod booking;
pub mod mine;
pub mod pages;
pub mod service;
pub mod signup;
