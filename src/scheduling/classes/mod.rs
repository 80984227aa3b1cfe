//! Group classes: a class with its capacity and waitlist, clients' places in it, and check-in.
//!
//! - `model`: the types (`Class`, `Booking`, request bodies) and the checks of a new class.
//! - `repo`: every query of classes and bookings.
//! - `service`: the rules (who may do what, booking windows, capacity, the waitlist), each change in
//!   one transaction with its audit event. Capacity holds under concurrency because booking locks the
//!   class before it counts the places (see `repo::outlook`); a booking that is refused anyway (full,
//!   already holding a place, cancelled class) is decided from one read before the write queue.
//! - `routes`: `/api/v1/classes`.
//! - `pages`: `/app/classes` and the roster.

pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::{BookClass, Booking, Class, ClassRecord, CreateClass, ListClasses};
pub use repo::counts;
pub use routes::router;
pub use service::{
    book_class, cancel_booking, cancel_class, check_in_booking, create_class, get_class,
    list_bookings, list_classes,
};
