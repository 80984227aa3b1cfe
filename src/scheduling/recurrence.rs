//! Repeating series: the subset of RFC 5545 recurrence rules (`RRULE`) that scheduling offers, and
//! their expansion into UTC instants that keep the same local wall-clock time in a named time zone.
//!
//! A [`RecurrenceRule`] can only be built by [`RecurrenceRule::parse`], so a rule that exists is one
//! this module can expand. Supported: `FREQ=DAILY|WEEKLY|MONTHLY`, `INTERVAL` (1 to 52), `BYDAY`
//! (weekdays; with `MONTHLY` also positions such as `1MO` or `-1FR`), `BYMONTHDAY` (with `MONTHLY`),
//! `COUNT` (1 to 1000) or `UNTIL`, and `WKST`. Everything else is refused with a message that names
//! the part. [`occurrences`] expands a rule (its doc comment states the semantics), and
//! [`local_to_utc`] resolves one wall-clock time by the same rules for gaps and overlaps.

mod expand;
mod parse;
#[cfg(test)]
mod properties;
mod rule;

pub use expand::{Limit, local_to_utc, occurrences};
pub use rule::{ByDay, End, Frequency, RecurrenceRule, Until};
