//! `/app`: the dashboard page with the key figures of the viewer's scope and two charts.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};

use super::cache::Figures;
use super::service;
use crate::auth::Role;
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

/// `GET /app`.
pub async fn dashboard(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    if viewer.caller.role == Role::Client {
        return Ok(Redirect::to("/portal").into_response());
    }
    let figures = service::dashboard(&state, &viewer.actor()).await?;
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
    let d = &figures.dashboard;
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
