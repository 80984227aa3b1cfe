//! Verifying the chains: every event's hash recomputed, every `prev_hash` link and every `seq` checked.
//!
//! A chain proves that its events were not modified, removed or inserted, as long as its last event
//! is intact: removing the newest events leaves a shorter chain that is valid in itself. Compare the
//! reported head hash with one noted earlier to catch that.

use super::model::GENESIS_HASH;
use super::repo::{self, event_hash};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;

/// Events read per query while walking a chain.
const BATCH: u64 = 1000;

/// The result of walking one organization's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The organization.
    pub org: OrgId,
    /// Events verified intact (all of them when the chain is intact; those before the break if not).
    pub events: u64,
    /// The hash of the last intact event; `None` when there is none.
    pub head: Option<String>,
    /// The first break, when there is one.
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    /// Whether every event checked out.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

impl std::fmt::Display for ChainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.broken, &self.head) {
            (None, None) => write!(f, "organization {}: intact, no events", self.org),
            (None, Some(head)) => write!(
                f,
                "organization {}: intact, {} events, head {head}",
                self.org, self.events
            ),
            (Some(b), _) => write!(
                f,
                "organization {}: BROKEN at seq {}: {} ({} events before it intact)",
                self.org, b.seq, b.problem, self.events
            ),
        }
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first seq that does not check out.
    pub seq: i64,
    /// What is wrong with it.
    pub problem: BreakKind,
}

/// What is wrong at a break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The event with this seq is missing: the chain goes on at `next`.
    Missing {
        /// The seq that follows the gap.
        next: i64,
    },
    /// An event with a seq that no chain has (zero or negative) was inserted.
    Unexpected,
    /// The event's `prev_hash` is not the hash of the event before it: it, or the one before it,
    /// was replaced or re-linked.
    Unlinked,
    /// The event's columns do not match its hash: it was modified.
    Modified,
}

impl std::fmt::Display for BreakKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BreakKind::Missing { next } => {
                write!(f, "the event is missing (the chain goes on at seq {next})")
            }
            BreakKind::Unexpected => write!(f, "an event with an impossible seq was inserted"),
            BreakKind::Unlinked => write!(
                f,
                "prev_hash does not match the event before it (an event was replaced, inserted or re-linked)"
            ),
            BreakKind::Modified => write!(f, "the event does not match its hash (it was modified)"),
        }
    }
}

/// Walks the chain of `org`, or of every organization when `None`, in seq order, and reports on each.
/// An organization that does not exist is a 404.
pub async fn verify(
    db: &impl sea_orm::ConnectionTrait,
    org: Option<OrgId>,
) -> AppResult<Vec<ChainReport>> {
    let orgs = match org {
        Some(org) => {
            if !repo::organization_exists(db, org).await? {
                return Err(AppError::NotFound);
            }
            vec![org]
        }
        None => repo::organization_ids(db).await?,
    };
    let mut reports = Vec::with_capacity(orgs.len());
    for org in orgs {
        reports.push(verify_chain(db, org).await?);
    }
    Ok(reports)
}

async fn verify_chain(db: &impl sea_orm::ConnectionTrait, org: OrgId) -> AppResult<ChainReport> {
    let mut report = ChainReport {
        org,
        events: 0,
        head: None,
        broken: None,
    };
    let mut expected: i64 = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut after = None;
    loop {
        let batch = repo::chain_after(db, org, after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(report);
        };
        after = Some(last.seq);
        for event in batch {
            let problem = if event.seq < 1 {
                report.broken = Some(ChainBreak {
                    seq: event.seq,
                    problem: BreakKind::Unexpected,
                });
                return Ok(report);
            } else if event.seq != expected {
                Some(BreakKind::Missing { next: event.seq })
            } else if event.prev_hash != prev_hash {
                Some(BreakKind::Unlinked)
            } else if event_hash(&event) != event.hash {
                Some(BreakKind::Modified)
            } else {
                None
            };
            if let Some(problem) = problem {
                report.broken = Some(ChainBreak {
                    seq: expected,
                    problem,
                });
                return Ok(report);
            }
            report.events += 1;
            expected += 1;
            prev_hash = event.hash;
            report.head = Some(prev_hash.clone());
        }
    }
}
