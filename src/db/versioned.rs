//! Optimistic concurrency, shared by every versioned record: a change names the version it was made
//! against (`If-Match` or `version`), and an update or delete filters on it, so two writers can never
//! both win.

use std::future::Future;

use crate::error::{AppError, AppResult};

/// 412 when the caller expected another version than the current one (`None`: no expectation).
pub fn expect_version(expected: Option<i64>, current: i64) -> AppResult<()> {
    match expected {
        Some(v) if v != current => Err(AppError::PreconditionFailed {
            current_version: current,
        }),
        _ => Ok(()),
    }
}

/// Reads the outcome of an update or delete filtered on id, tenant and version: no row touched means
/// the record is gone (404) or was changed in between (412 naming the version it has now, which
/// `current_version` looks up).
pub async fn check_touched<F, Fut>(rows_affected: u64, current_version: F) -> AppResult<()>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Option<i64>>>,
{
    if rows_affected > 0 {
        return Ok(());
    }
    match current_version().await? {
        None => Err(AppError::NotFound),
        Some(current_version) => Err(AppError::PreconditionFailed { current_version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_expectation_is_refused_with_the_current_version() {
        assert!(expect_version(None, 3).is_ok());
        assert!(expect_version(Some(3), 3).is_ok());
        assert!(matches!(
            expect_version(Some(2), 3),
            Err(AppError::PreconditionFailed { current_version: 3 })
        ));
    }

    #[tokio::test]
    async fn an_untouched_row_is_gone_or_changed() {
        assert!(check_touched(1, || async { Ok(Some(1)) }).await.is_ok());
        assert!(matches!(
            check_touched(0, || async { Ok(None) }).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            check_touched(0, || async { Ok(Some(7)) }).await,
            Err(AppError::PreconditionFailed { current_version: 7 })
        ));
    }
}
