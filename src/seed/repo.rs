//! Bulk loading for benchmark data: sessions written straight as rows (built by
//! [`crate::scheduling::sessions::new_row`], as a booking through the API stores them), in large
//! transactions. The only part of seeding that touches tables directly.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use uuid::Uuid;

use crate::clients::repo as client_repo;
use crate::db::Db;
use crate::organizations::OrgId;

/// Sessions per write transaction (each multi-row statement holds as many as the bind limits allow).
pub(super) const SESSIONS_PER_TRANSACTION: usize = 20_000;
/// The grid: one-hour slots from 06:00 to 22:00 UTC, every day from a year ago to a year ahead.
pub(super) const SLOTS_PER_DAY: u64 = 16;
pub(super) const FIRST_SLOT_HOUR: i64 = 6;
pub(super) const GRID_DAYS: u64 = 730;

/// Bulk-loads `n` sessions spread evenly over the trainers on the slot grid (a trainer uses a slot at
/// most once, so nobody is double-booked as a trainer), in time order, each with a random client.
/// Past sessions are mostly completed (some cancelled or no-show), future ones mostly scheduled.
/// Rows are built by [`sessions::new_row`], as a booking through the API would store them.
pub(super) async fn seed_sessions(
    db: &Db,
    org: OrgId,
    trainer_ids: &[Uuid],
    client_ids: &[Uuid],
    n: u64,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    use crate::db::entities::training_sessions;
    use crate::scheduling::sessions::{self, Booking, SessionKind};
    use sea_orm::ActiveValue::Set;

    if client_ids.is_empty() || trainer_ids.is_empty() {
        anyhow::bail!("sessions need clients and trainers");
    }
    let slots = GRID_DAYS * SLOTS_PER_DAY;
    let trainers = trainer_ids.len() as u64;
    let per_trainer = n.div_ceil(trainers);
    if per_trainer > slots {
        anyhow::bail!(
            "{n} sessions do not fit on {trainers} trainers' grids of {slots} one-hour slots: add trainers"
        );
    }
    // How many sessions trainer t gets: n / trainers, the first n % trainers one more.
    let quota = |t: u64| n / trainers + u64::from(t < n % trainers);
    let now = crate::db::now();
    let first_day = now.date_naive() - chrono::Duration::days((GRID_DAYS / 2) as i64);
    let origin = first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut batch: Vec<training_sessions::ActiveModel> =
        Vec::with_capacity(SESSIONS_PER_TRANSACTION);
    for slot in 0..slots {
        let day = (slot / SLOTS_PER_DAY) as i64;
        let hour = FIRST_SLOT_HOUR + (slot % SLOTS_PER_DAY) as i64;
        let slot_start = origin + chrono::Duration::days(day) + chrono::Duration::hours(hour);
        for (t, trainer) in trainer_ids.iter().enumerate() {
            let t = t as u64;
            let q = quota(t);
            // Trainer t uses q of the slots, evenly spread (Bresenham), shifted per trainer so
            // that the trainers' free slots differ.
            let s = (slot + t * 7919) % slots;
            if (s + 1) * q / slots == s * q / slots {
                continue;
            }
            let minutes = *[30_i64, 45, 60, 60, 60].choose(rng).unwrap_or(&60);
            let b = Booking {
                trainer_id: *trainer,
                client_id: *client_ids.choose(rng).unwrap_or(&client_ids[0]),
                location_id: None,
                starts_at: slot_start,
                ends_at: slot_start + chrono::Duration::minutes(minutes),
            };
            let kind = *[
                (SessionKind::Personal, 80),
                (SessionKind::Online, 15),
                (SessionKind::Assessment, 5),
            ]
            .choose_weighted(rng, |(_, w)| *w)
            .map(|(k, _)| k)
            .unwrap_or(&SessionKind::Personal);
            let mut row = sessions::new_row(org, &b, kind, None, None, now);
            let roll = rng.random_range(0..100_u32);
            if b.ends_at <= now {
                match roll {
                    0..=84 => {
                        row.status = Set("completed".into());
                        row.checked_in_at = Set(Some(b.starts_at));
                        row.check_in_method = Set(Some("staff".into()));
                    }
                    85..=89 => row.status = Set("no_show".into()),
                    _ => {
                        row.status = Set("cancelled".into());
                        row.cancelled_at = Set(Some(b.starts_at - chrono::Duration::hours(30)));
                    }
                }
            } else if roll < 7 {
                row.status = Set("cancelled".into());
                row.cancelled_at = Set(Some(now));
            }
            batch.push(row);
            if batch.len() == SESSIONS_PER_TRANSACTION {
                write_sessions(db, std::mem::take(&mut batch)).await?;
            }
        }
    }
    if !batch.is_empty() {
        write_sessions(db, batch).await?;
    }
    Ok(())
}

async fn write_sessions(
    db: &Db,
    rows: Vec<crate::db::entities::training_sessions::ActiveModel>,
) -> anyhow::Result<()> {
    let txn = db.begin_write().await?;
    client_repo::insert_in_chunks(&txn, rows)
        .await
        .map_err(|e| anyhow::anyhow!("inserting synthetic sessions: {e}"))?;
    txn.commit().await?;
    Ok(())
}
