//! `/app`: the dashboard page with the key figures of the viewer's scope and two charts.

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::model::{Dashboard, month_start};
use super::service::{figures, schedule_figures, sessions_per_day};
use crate::auth::Role;
use crate::clients::access::ClientScope;
use crate::error::AppError;
use crate::scheduling::access::ScheduleScope;
use crate::state::AppState;
use crate::web::chart::BarChart;
use crate::web::page::{PageResult, Shell, Viewer, render};

#[derive(Template)]
#[template(path = "app/dashboard.html")]
struct DashboardPage {
    shell: Shell,
    figures: Arc<Figures>,
    attendance: String,
    status_chart: BarChart,
    week_chart: BarChart,
    is_trainer: bool,
}

/// The figures of one viewer's dashboard.
struct Figures {
    d: Dashboard,
    per_day: Vec<(NaiveDate, u64)>,
}

/// How long a viewer's figures are reused. Counting 100,000 clients and a month of a big gym's
/// sessions takes 80–150 ms (docs/PERFORMANCE.md); a dashboard opened again within half a minute shows
/// the same figures instead of counting them again. Per user, so every role keeps its own scope.
const FIGURES_TTL: std::time::Duration = std::time::Duration::from_secs(30);

static FIGURES: LazyLock<moka::future::Cache<Uuid, Arc<Figures>>> = LazyLock::new(|| {
    moka::future::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(FIGURES_TTL)
        .build()
});

async fn count_figures(state: &AppState, viewer: &Viewer) -> Result<Figures, AppError> {
    let db = state.db.conn();
    let actor = viewer.actor();
    let scope = ClientScope::for_actor(db, &actor).await?;
    let tz = viewer.org.timezone.clone();
    let mut d = figures(db, &scope, month_start(&tz, Utc::now())).await?;
    let schedule = ScheduleScope::for_actor(db, &actor).await?;
    schedule_figures(db, &schedule, &tz, &mut d).await?;
    let today = Utc::now()
        .with_timezone(&viewer.shell.fmt.tz())
        .date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let per_day = sessions_per_day(db, &schedule, &tz, monday, 7).await?;
    Ok(Figures { d, per_day })
}

/// `GET /app`.
pub async fn dashboard(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    if viewer.caller.role == Role::Client {
        return Ok(Redirect::to("/portal").into_response());
    }
    let figures = FIGURES
        .try_get_with(viewer.user.id, async {
            count_figures(&state, &viewer).await.map(Arc::new)
        })
        .await
        .map_err(|e| {
            Arc::try_unwrap(e)
                .unwrap_or_else(|e| AppError::Internal(anyhow::anyhow!("dashboard figures: {e}")))
        })?;
    let fmt = &viewer.shell.fmt;
    let week: Vec<(String, u64)> = figures
        .per_day
        .iter()
        .map(|(day, n)| {
            (
                fmt.day(day)
                    .split([',', ' '])
                    .next()
                    .unwrap_or("")
                    .to_owned(),
                *n,
            )
        })
        .collect();
    let d = &figures.d;
    let statuses: Vec<(String, u64)> = d
        .clients_by_status
        .iter()
        .map(|(status, n)| (status.replace('_', " "), *n))
        .collect();
    let attendance = d
        .attendance_rate_30d
        .map(|r| format!("{:.0} %", r * 100.0))
        .unwrap_or_else(|| "—".to_owned());
    render(&DashboardPage {
        is_trainer: viewer.caller.role == Role::Trainer,
        status_chart: BarChart::new("Clients by status", &statuses),
        week_chart: BarChart::new("Sessions per day this week", &week),
        attendance,
        figures: figures.clone(),
        shell: viewer.shell,
    })
}
