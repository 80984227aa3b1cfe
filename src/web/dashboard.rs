//! `/app`: the dashboard with the key figures of the viewer's scope and two charts.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, Duration, Utc};

use super::chart::BarChart;
use super::page::{PageResult, Shell, Viewer, render};
use crate::app::AppState;
use crate::auth::Role;
use crate::clients::access::ClientScope;
use crate::clients::dashboard::{
    Dashboard, figures, month_start, schedule_figures, sessions_per_day,
};
use crate::scheduling::access::ScheduleScope;

#[derive(Template)]
#[template(path = "app/dashboard.html")]
struct DashboardPage {
    shell: Shell,
    d: Dashboard,
    attendance: String,
    status_chart: BarChart,
    week_chart: BarChart,
    is_trainer: bool,
}

/// `GET /app`.
pub async fn dashboard(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    if viewer.caller.role == Role::Client {
        return Ok(Redirect::to("/portal").into_response());
    }
    let db = state.db.conn();
    let scope = ClientScope::of(db, &viewer.caller).await?;
    let tz = viewer.org.timezone.clone();
    let mut d = figures(db, &scope, month_start(&tz, Utc::now())).await?;
    let schedule = ScheduleScope::of(db, &viewer.caller).await?;
    schedule_figures(db, &schedule, &tz, &mut d).await?;
    let fmt = &viewer.shell.fmt;
    let today = Utc::now().with_timezone(&fmt.tz()).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let per_day = sessions_per_day(db, &schedule, &tz, monday, 7).await?;
    let week: Vec<(String, u64)> = per_day
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
        d,
        shell: viewer.shell,
    })
}
