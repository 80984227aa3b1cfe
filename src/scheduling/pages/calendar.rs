//! `GET /app/calendar` (a day or week per trainer or location) and `GET /app/my-day`.

use askama::Template;
use axum::extract::State;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::shared::{Names, label, location_choices};
use crate::error::AppError;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::agenda::{self, AgendaItem, AgendaParams, View};
use crate::scheduling::locations;
use crate::scheduling::sessions::repo as session_repo;
use crate::state::AppState;
use crate::web::form::Choice;
use crate::web::format::Fmt;
use crate::web::page::{PageResult, Shell, Viewer, render};
use crate::web::page_error::PageQuery;
use crate::web::picker;

/// The query of the calendar (empty values from the picker form count as absent).
#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    trainer_id: Option<String>,
    location_id: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// One session or class as a calendar shows it.
#[derive(Debug, Clone)]
pub(super) struct ItemView {
    pub href: String,
    pub is_class: bool,
    pub start: String,
    pub end: String,
    pub title: String,
    pub client: Option<String>,
    pub trainer: String,
    pub status: String,
    pub status_label: String,
    pub session_id: Option<Uuid>,
    pub checked_in: bool,
}

/// One day column.
#[derive(Debug, Clone)]
pub(super) struct DayView {
    pub heading: String,
    pub today: bool,
    pub items: Vec<ItemView>,
}

pub(super) fn item_view(i: &AgendaItem, names: &Names, fmt: &Fmt) -> ItemView {
    let is_class = i.kind == "class";
    ItemView {
        href: if is_class {
            format!("/app/classes/{}", i.id)
        } else if i.busy {
            String::new()
        } else {
            format!("/app/sessions/{}", i.id)
        },
        is_class,
        start: fmt.time(&i.starts_at),
        end: fmt.time(&i.ends_at),
        title: if is_class {
            i.title.clone()
        } else if i.busy {
            "Busy".to_owned()
        } else {
            format!("{} session", label(&i.title))
        },
        client: i.client_id.map(|c| names.client(&c)),
        trainer: names.trainer(&i.trainer_id),
        status: i.status.clone(),
        status_label: label(&i.status),
        session_id: (!is_class).then_some(i.id),
        checked_in: false,
    }
}

#[derive(Template)]
#[template(path = "scheduling/calendar.html")]
struct CalendarPage {
    shell: Shell,
    too_many: bool,
    heading: String,
    tz: String,
    view: &'static str,
    date: String,
    trainer_id: String,
    location_id: String,
    trainers: Vec<Choice>,
    locations: Vec<Choice>,
    may_pick_trainer: bool,
    days: Vec<DayView>,
    prev: String,
    next: String,
    today: String,
    day_link: String,
    week_link: String,
    empty: bool,
}

fn link(view: &str, date: NaiveDate, trainer: &str, location: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("view", view);
    q.append_pair("date", &date.format("%Y-%m-%d").to_string());
    if !trainer.is_empty() {
        q.append_pair("trainer_id", trainer);
    }
    if !location.is_empty() {
        q.append_pair("location_id", location);
    }
    format!("/app/calendar?{}", q.finish())
}

/// `GET /app/calendar`.
pub async fn show_calendar(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(q): PageQuery<CalendarQuery>,
) -> PageResult {
    viewer.require(crate::auth::Role::Trainer)?;
    let db = state.db.conn();
    let scope = ScheduleScope::for_actor(db, &viewer.actor()).await?;
    let bad = |f: &str| AppError::bad_param(f, "is not valid");
    let view = match nonempty(&q.view) {
        Some("week") => View::Week,
        Some("day") | None => View::Day,
        Some(_) => return Err(bad("view").into()),
    };
    let date = match nonempty(&q.date) {
        Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad("date"))?),
        None => None,
    };
    let location_id: Option<Uuid> = match nonempty(&q.location_id) {
        Some(l) => Some(l.parse().map_err(|_| bad("location_id"))?),
        None => None,
    };
    let mut trainer_id: Option<Uuid> = match nonempty(&q.trainer_id) {
        Some(t) => Some(t.parse().map_err(|_| bad("trainer_id"))?),
        None => None,
    };
    if location_id.is_some() {
        trainer_id = None;
    }
    // A trainer's calendar is their own unless they pick a location (as the agenda API allows).
    if let (Who::Trainer(me), None, None) = (scope.who, trainer_id, location_id) {
        trainer_id = Some(me);
    }
    let mut too_many = false;
    let (fmt, tz_name, agenda_items, first, days) = if trainer_id.is_some() || location_id.is_some()
    {
        let a = agenda::agenda(
            db,
            &scope,
            &AgendaParams {
                trainer_id,
                location_id,
                date,
                view: Some(view),
            },
        )
        .await?;
        let fmt = Fmt::new(&a.timezone, &viewer.org.locale, &viewer.org.currency);
        let (first, days, _, _) = agenda::period(fmt.tz(), date, view);
        (fmt, a.timezone, a.items, first, days)
    } else if scope.is_front_desk() {
        // Staff without a pick: everyone's, in the organization's time zone.
        let fmt = viewer.shell.fmt.clone();
        let (first, days, from, to) = agenda::period(fmt.tz(), date, view);
        // A big team's week is thousands of sessions: too much for one page (and one request).
        too_many = picker::trainers(db, scope.org, None).await?.len() > EVERYONE_MAX_TRAINERS;
        let items = if too_many {
            Vec::new()
        } else {
            agenda::items(db, scope.org, None, None, from, to).await?
        };
        (fmt.clone(), fmt.tz().name().to_owned(), items, first, days)
    } else {
        return Err(
            AppError::Forbidden("Your account is not linked to a trainer profile.".into()).into(),
        );
    };
    let names = Names::load(
        db,
        scope.org,
        agenda_items.iter().filter_map(|i| i.client_id),
        agenda_items.iter().map(|i| i.trainer_id),
    )
    .await?;
    let today = Utc::now().with_timezone(&fmt.tz()).date_naive();
    let mut day_views: Vec<DayView> = (0..days)
        .map(|n| {
            let d = first + Duration::days(n);
            DayView {
                heading: fmt.day(&d),
                today: d == today,
                items: Vec::new(),
            }
        })
        .collect();
    for i in &agenda_items {
        let local = i.starts_at.with_timezone(&fmt.tz()).date_naive();
        let n = (local - first).num_days().clamp(0, days - 1);
        if let Some(day) = usize::try_from(n).ok().and_then(|n| day_views.get_mut(n)) {
            day.items.push(item_view(i, &names, &fmt));
        }
    }
    let (tstr, lstr) = (
        trainer_id.map(|t| t.to_string()).unwrap_or_default(),
        location_id.map(|l| l.to_string()).unwrap_or_default(),
    );
    let view_str = if view == View::Week { "week" } else { "day" };
    let step = if view == View::Week { 7 } else { 1 };
    let heading = match (trainer_id, location_id) {
        (Some(t), _) => {
            let names = Names::load(db, scope.org, [], [t]).await?;
            format!("Calendar of {}", names.trainer(&t))
        }
        (None, Some(l)) => {
            let loc = locations::find(db, scope.org, l)
                .await?
                .ok_or(AppError::NotFound)?;
            format!("Calendar of {}", loc.name)
        }
        _ => "Calendar of everyone".to_owned(),
    };
    let may_pick_trainer = scope.is_front_desk();
    let trainers = if may_pick_trainer {
        picker::trainers(db, scope.org, None).await?
    } else {
        Vec::new()
    };
    render(&CalendarPage {
        heading,
        tz: tz_name,
        view: view_str,
        date: first.format("%Y-%m-%d").to_string(),
        prev: link(view_str, first - Duration::days(step), &tstr, &lstr),
        next: link(view_str, first + Duration::days(step), &tstr, &lstr),
        today: link(view_str, today, &tstr, &lstr),
        day_link: link("day", date.unwrap_or(first), &tstr, &lstr),
        week_link: link("week", date.unwrap_or(first), &tstr, &lstr),
        empty: agenda_items.is_empty(),
        too_many,
        trainer_id: tstr,
        location_id: lstr,
        trainers,
        locations: location_choices(db, scope.org).await?,
        may_pick_trainer,
        days: day_views,
        shell: viewer.shell,
    })
}

#[derive(Template)]
#[template(path = "scheduling/my_day.html")]
struct MyDayPage {
    shell: Shell,
    heading: String,
    day: String,
    items: Vec<ItemView>,
    unlinked: bool,
}

/// Up to this many trainers, staff who pick nobody see everyone's calendar at once.
const EVERYONE_MAX_TRAINERS: usize = 12;

/// `GET /app/my-day`: a trainer's today (staff: everyone's today), in time order.
pub async fn my_day(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    viewer.require(crate::auth::Role::Trainer)?;
    let db = state.db.conn();
    let scope = ScheduleScope::for_actor(db, &viewer.actor()).await?;
    let fmt = viewer.shell.fmt.clone();
    let (first, _, from, to) = agenda::period(fmt.tz(), None, View::Day);
    let trainer = match scope.who {
        Who::Trainer(t) => Some(t),
        _ => None,
    };
    let unlinked = !scope.is_front_desk() && trainer.is_none();
    let items = if unlinked {
        Vec::new()
    } else {
        agenda::items(db, scope.org, trainer, None, from, to).await?
    };
    let names = Names::load(
        db,
        scope.org,
        items.iter().filter_map(|i| i.client_id),
        items.iter().map(|i| i.trainer_id),
    )
    .await?;
    let checked = checked_in_sessions(db, &scope, &items).await?;
    let items = items
        .iter()
        .map(|i| {
            let mut v = item_view(i, &names, &fmt);
            v.checked_in = checked.contains(&i.id);
            v
        })
        .collect();
    render(&MyDayPage {
        heading: if trainer.is_some() {
            "My day".to_owned()
        } else {
            "Today".to_owned()
        },
        day: fmt.day(&first),
        items,
        unlinked,
        shell: viewer.shell,
    })
}

/// Which of these sessions have been checked in.
async fn checked_in_sessions(
    db: &impl sea_orm::ConnectionTrait,
    scope: &ScheduleScope,
    items: &[AgendaItem],
) -> Result<std::collections::HashSet<Uuid>, AppError> {
    let ids: Vec<Uuid> = items
        .iter()
        .filter(|i| i.kind == "session")
        .map(|i| i.id)
        .collect();
    Ok(session_repo::visible_among(db, scope, ids)
        .await?
        .into_iter()
        .filter(|s| s.checked_in_at.is_some())
        .map(|s| s.id)
        .collect())
}
