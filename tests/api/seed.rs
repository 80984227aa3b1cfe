//! Synthetic benchmark data (`fitnesscrm seed --clients N`): seeded clients are stored like API-created
//! ones (listed, searchable, filterable, visible to their trainer) and stay inside their organization.

use std::collections::HashSet;

use fitnesscrm::seed::synthetic::{self, Plan};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, expect_problem, expect_status};
use crate::on_both_databases;

async fn all_clients(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = match query {
            "" => "/api/v1/clients?limit=200".to_owned(),
            q if q.contains("limit=") => format!("/api/v1/clients?{q}"),
            q => format!("/api/v1/clients?limit=200&{q}"),
        };
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = expect_status(app.get(&path, Some(token)).await, StatusCode::OK).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

fn norm(s: &str) -> String {
    s.to_lowercase()
}

on_both_databases! {
    async fn seeded_clients_are_listed_searchable_and_isolated_per_organization(app) {
        let plan = Plan { clients: 450, second_org_clients: 60, trainers: 4, sessions: 0, rng_seed: 7 };
        let orgs = synthetic::run(&app.db, &plan).await.unwrap();
        assert_eq!(orgs.len(), 2);
        let (main, second) = (&orgs[0], &orgs[1]);
        assert_eq!((main.clients, second.clients), (450, 60));
        assert_eq!(main.trainer_ids.len(), 4);

        let owner = app.login(&main.owner.email, &main.owner.password).await;
        let other = app.login(&second.owner.email, &second.owner.password).await;

        // Every client, in name order, with the normalised fields the API would have stored.
        let page = expect_status(
            app.get("/api/v1/clients?include_total=true", Some(&owner)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["total"], 450, "{}", page["total"]);
        let clients = all_clients(&app, &owner, "").await;
        assert_eq!(clients.len(), 450);
        let sort_keys: Vec<String> = clients
            .iter()
            .map(|c| norm(&format!("{} {}", c["last_name"].as_str().unwrap(), c["first_name"].as_str().unwrap())))
            .collect();
        assert!(sort_keys.windows(2).all(|w| w[0] <= w[1]), "listed in name order");
        let ids: HashSet<&str> = clients.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 450);
        assert!(
            clients.iter().any(|c| !c["first_name"].as_str().unwrap().is_ascii()
                || !c["last_name"].as_str().unwrap().is_ascii()),
            "the names include non-ASCII ones"
        );
        let statuses: HashSet<&str> = clients.iter().map(|c| c["status"].as_str().unwrap()).collect();
        assert!(statuses.len() >= 4, "varied statuses: {statuses:?}");
        for c in &clients {
            if let Some(e) = c["email"].as_str() {
                assert_eq!(e, e.to_lowercase());
            }
            if let Some(p) = c["phone"].as_str() {
                assert!(p.trim_start_matches('+').chars().all(|ch| ch.is_ascii_digit()), "{p}");
            }
        }

        // A name prefix finds exactly the clients whose first or family name starts with it, whatever
        // the case and accents; an email finds its client.
        let sample = clients
            .iter()
            .find(|c| !c["last_name"].as_str().unwrap().is_ascii())
            .unwrap();
        let last = sample["last_name"].as_str().unwrap();
        let prefix: String = last.chars().take(3).collect::<String>().to_uppercase();
        let found = all_clients(&app, &owner, &format!("q={}", urlencode(&prefix))).await;
        let expected = clients
            .iter()
            .filter(|c| {
                let p = norm(&prefix);
                norm(c["first_name"].as_str().unwrap()).starts_with(&p)
                    || norm(c["last_name"].as_str().unwrap()).starts_with(&p)
                    || c["email"].as_str().is_some_and(|e| e.starts_with(&p))
            })
            .count();
        assert_eq!(found.len(), expected, "search for {prefix}");
        assert!(found.iter().any(|c| c["id"] == sample["id"]));
        let with_email = clients.iter().find(|c| c["email"].is_string()).unwrap();
        let by_email = all_clients(
            &app,
            &owner,
            &format!("q={}", urlencode(with_email["email"].as_str().unwrap())),
        )
        .await;
        assert_eq!(by_email.len(), 1);
        assert_eq!(by_email[0]["id"], with_email["id"]);

        // Searching pages through every match in the order asked for, a few at a time.
        let matching = |c: &&Value, p: &str| {
            norm(c["first_name"].as_str().unwrap()).starts_with(p)
                || norm(c["last_name"].as_str().unwrap()).starts_with(p)
                || c["email"].as_str().is_some_and(|e| e.starts_with(p))
        };
        let ids_of = |v: &[Value]| v.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let mut by_name: Vec<&Value> = clients.iter().filter(|c| matching(c, "m")).collect();
        assert!(by_name.len() > 20, "{}", by_name.len());
        assert_eq!(
            ids_of(&all_clients(&app, &owner, "q=M&limit=9").await),
            ids_of(&by_name.iter().map(|c| (*c).clone()).collect::<Vec<_>>()),
            "name order, page by page"
        );
        by_name.reverse();
        assert_eq!(
            ids_of(&all_clients(&app, &owner, "q=m&limit=9&sort=-name").await),
            ids_of(&by_name.iter().map(|c| (*c).clone()).collect::<Vec<_>>()),
            "reverse name order, page by page"
        );
        let mut by_created: Vec<(chrono::DateTime<chrono::Utc>, String)> = by_name
            .iter()
            .map(|c| (c["created_at"].as_str().unwrap().parse().unwrap(), c["id"].as_str().unwrap().to_owned()))
            .collect();
        by_created.sort();
        assert_eq!(
            ids_of(&all_clients(&app, &owner, "q=m&limit=9&sort=created_at").await),
            by_created.into_iter().map(|(_, id)| id).collect::<Vec<_>>(),
            "creation order, page by page"
        );

        // Tags and trainer assignments are stored in their own tables, as for API-created clients.
        let tagged = clients.iter().filter(|c| {
            c["tags"].as_array().unwrap().iter().any(|t| t.as_str().unwrap().eq_ignore_ascii_case("vip"))
        }).count();
        assert!(tagged > 0);
        assert_eq!(all_clients(&app, &owner, "tag=VIP").await.len(), tagged);
        let first_trainer = main.trainer_ids[0].to_string();
        let assigned = clients
            .iter()
            .filter(|c| c["trainer_ids"].as_array().unwrap().iter().any(|t| t.as_str() == Some(first_trainer.as_str())))
            .count();
        assert!(assigned > 0);
        assert_eq!(
            all_clients(&app, &owner, &format!("trainer_id={first_trainer}")).await.len(),
            assigned
        );
        // The trainer account is linked to the first trainer and sees exactly their clients.
        let trainer = app.login(&main.trainer_email, &main.owner.password).await;
        assert_eq!(all_clients(&app, &trainer, "").await.len(), assigned);
        let theirs_with_m: Vec<String> = clients
            .iter()
            .filter(|c| matching(c, "m"))
            .filter(|c| c["trainer_ids"].as_array().unwrap().iter().any(|t| t.as_str() == Some(first_trainer.as_str())))
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids_of(&all_clients(&app, &trainer, "q=m&limit=5").await), theirs_with_m);

        // The second organization sees only its own clients, and none of the first.
        let theirs = all_clients(&app, &other, "").await;
        assert_eq!(theirs.len(), 60);
        assert!(theirs.iter().all(|c| !ids.contains(c["id"].as_str().unwrap())));
        let r = app.get(&format!("/api/v1/clients/{}", sample["id"].as_str().unwrap()), Some(&other)).await;
        expect_problem(r, StatusCode::NOT_FOUND).await;
        let searched = all_clients(
            &app,
            &other,
            &format!("q={}", urlencode(with_email["email"].as_str().unwrap())),
        )
        .await;
        assert!(searched.is_empty(), "another organization's client is never found");
        let r = app
            .get(&format!("/api/v1/clients?trainer_id={first_trainer}"), Some(&other))
            .await;
        let page = expect_status(r, StatusCode::OK).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 0);
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn seed_command(db_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_fitnesscrm"))
        .arg("seed")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("FITNESSCRM_LOG_LEVEL", "warn")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_clients_prints_a_login_for_each_organization() {
    use sea_orm::ConnectionTrait;
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let out = seed_command(
        &db_url,
        &[
            "--clients",
            "40",
            "--second-org-clients",
            "10",
            "--trainers",
            "2",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logins: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("log in as "))
        .collect();
    assert_eq!(logins.len(), 2, "{stdout}");
    assert!(
        logins.iter().all(|l| l.split_whitespace().count() == 7),
        "{stdout}"
    );
    assert!(
        stdout.contains(": 40 clients in ") && stdout.contains(": 10 clients in "),
        "{stdout}"
    );
    let db = fitnesscrm::db::Db::connect_url(&db_url, 1, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let row = db
                .conn()
                .query_one_raw(sea_orm::Statement::from_string(
                    db.conn().get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM clients").await, 50);
    assert_eq!(
        count("SELECT count(*) FROM client_status_changes").await,
        50
    );
    assert_eq!(count("SELECT count(*) FROM trainers").await, 4);
    assert_eq!(
        count("SELECT count(DISTINCT organization_id) FROM clients").await,
        2
    );

    for bad in [
        &["--second-org-clients", "5"][..],
        &["--demo", "--clients", "5"],
        &["--clients", "5", "--trainers", "0"],
        &[],
    ] {
        let out = seed_command(&db_url, bad);
        assert!(!out.status.success(), "seed {bad:?} should be refused");
    }
}

on_both_databases! {
    async fn seeded_sessions_never_double_book_a_trainer_and_show_in_agendas(app) {
        let plan = Plan { clients: 120, second_org_clients: 0, trainers: 3, sessions: 900, rng_seed: 3 };
        let orgs = synthetic::run(&app.db, &plan).await.unwrap();
        let main = &orgs[0];
        assert_eq!(main.sessions, 900);
        let owner = app.login(&main.owner.email, &main.owner.password).await;

        use fitnesscrm::db::entities::training_sessions;
        use sea_orm::{EntityTrait, QueryOrder};
        let rows = training_sessions::Entity::find()
            .order_by_asc(training_sessions::Column::TrainerId)
            .order_by_asc(training_sessions::Column::StartsAt)
            .all(app.db.conn())
            .await
            .unwrap();
        assert_eq!(rows.len(), 900);
        for t in &main.trainer_ids {
            let mine: Vec<_> = rows.iter().filter(|r| r.trainer_id == *t).collect();
            assert_eq!(mine.len(), 300, "spread evenly over the trainers");
            assert!(mine.windows(2).all(|w| w[0].ends_at <= w[1].starts_at), "no trainer is double-booked");
        }
        let now = chrono::Utc::now();
        assert!(rows.iter().any(|r| r.starts_at < now) && rows.iter().any(|r| r.starts_at > now));
        let statuses: HashSet<&str> = rows.iter().map(|r| r.status.as_str()).collect();
        assert!(statuses.contains("scheduled") && statuses.contains("completed"), "{statuses:?}");

        // A seeded session is in its trainer's agenda, and its slot is taken for a new booking.
        let s = rows.iter().find(|r| r.status == "scheduled").unwrap();
        let date = s.starts_at.date_naive();
        let agenda = expect_status(
            app.get(&format!("/api/v1/agenda?trainer_id={}&date={date}&view=week", s.trainer_id), Some(&owner)).await,
            StatusCode::OK,
        )
        .await;
        assert!(agenda["items"].as_array().unwrap().iter().any(|i| i["id"] == s.id.to_string()));
        let other_client = rows.iter().find(|r| r.client_id != s.client_id).unwrap().client_id;
        let clash = app
            .post(
                "/api/v1/sessions",
                Some(&owner),
                &serde_json::json!({
                    "trainer_id": s.trainer_id,
                    "client_id": other_client,
                    "starts_at": s.starts_at,
                    "ends_at": s.ends_at,
                }),
            )
            .await;
        assert_eq!(clash.status(), StatusCode::CONFLICT);
    }
}
