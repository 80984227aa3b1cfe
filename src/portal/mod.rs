//! The client portal (`/portal`) and the public booking pages (`/book/{organization}`).
//!
//! - `service`: the public class schedule, a client's own bookings and sessions.
//! - `repo`: the portal's own query (a client's upcoming sessions); classes are read through the
//!   class repository.
//! - `signup`: a client signing up themself from the booking page.
//! - `pages`: the router.
//! - `view`: what the screens share (class rows grouped by day, the portal viewer, refusals).
//! - `booking`: `/book/{slug}` and `/book/{slug}/signup`.
//! - `mine`: `/portal`: bookings, the class list and one class, profile, data export.

pub mod booking;
pub mod mine;
pub mod pages;
pub mod repo;
pub mod service;
pub mod signup;
pub mod view;
