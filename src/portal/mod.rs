//! The client portal (`/portal`) and the public booking pages (`/book/{organization}`).

pub mod pages;
