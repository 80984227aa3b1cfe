//! Database access for clients, their tags, assignments, status history and consents. Every query
//! goes through a [`ClientScope`], so a caller can only ever reach the clients they may see.
//!
//! Split by concern: the scope condition, the shared row mapping and reading one client in [`rows`], the list and search in
//! [`list`], creating in [`write`], changing in [`update`], erasure in [`erase`], notes and the
//! timeline in [`notes`].

mod erase;
mod list;
pub mod notes;
mod rows;
mod update;
mod write;

pub use erase::erase;
pub use list::{ClientFilter, list};
pub use notes::consents;
pub use rows::{
    ClientPageRequest, SORT_FIELDS, by_ids, ensure_visible, find_row, get, id_by_user, visible,
};
pub(crate) use rows::{EMERGENCY_NAME, EMERGENCY_PHONE, MEDICAL_NOTES, opened};
pub use update::{assign, delete, set_status_unchecked, unassign, update};
pub use write::{insert, insert_in_chunks, insert_many};

pub use crate::validation::person_sort_key as sort_name;
