//! The configuration's unit tests.

use super::*;
use std::path::PathBuf;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_serve_sqlite_on_localhost_8080() {
    let c = Config::load_from(None, &[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert!(c.is_sqlite());
    assert_eq!(
        crate::db::sqlite_dir(c.database_url.expose_secret()).unwrap(),
        PathBuf::from("data")
    );
}

#[test]
fn environment_overrides_defaults_and_parses_durations() {
    let c = Config::load_from(
        None,
        &env(&[
            ("DATABASE_URL", "postgres://u:pw@localhost/db"),
            ("FITNESSCRM_LISTEN", "0.0.0.0:9000"),
            ("FITNESSCRM_SESSION_IDLE_TIMEOUT", "2h"),
            ("FITNESSCRM_SIGNUP_ENABLED", "false"),
        ]),
    )
    .unwrap();
    assert!(!c.is_sqlite());
    assert_eq!(c.listen.port(), 9000);
    assert_eq!(c.session_idle_timeout, Duration::from_secs(7200));
    assert!(!c.signup_enabled);
}

#[test]
fn invalid_values_name_the_setting() {
    let err = Config::load_from(None, &env(&[("FITNESSCRM_LISTEN", "nonsense")])).unwrap_err();
    assert!(err.to_string().contains("listen"), "{err}");
    let err = Config::load_from(None, &env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
    assert!(err.to_string().contains("database_url"), "{err}");
    let err = Config::load_from(None, &env(&[("FITNESSCRM_REQUEST_TIMEOUT", "soon")])).unwrap_err();
    assert!(err.to_string().contains("request_timeout"), "{err}");
    let err = Config::load_from(None, &env(&[("FITNESSCRM_NO_SUCH_THING", "1")])).unwrap_err();
    assert!(err.to_string().contains("no_such_thing"), "{err}");
}

#[test]
fn secrets_come_from_files_and_are_redacted_when_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    std::fs::write(&path, "postgres://app:hunter22@db/crm\n").unwrap();
    let c = Config::load_from(
        None,
        &env(&[
            ("DATABASE_URL_FILE", path.to_str().unwrap()),
            ("FITNESSCRM_METRICS_TOKEN", "tok"),
        ]),
    )
    .unwrap();
    assert_eq!(
        c.database_url.expose_secret(),
        "postgres://app:hunter22@db/crm"
    );
    let printed = c.redacted_toml();
    assert!(!printed.contains("hunter22"), "{printed}");
    assert!(!printed.contains("\"tok\""), "{printed}");
    assert!(
        printed.contains("postgres://app:[redacted]@db/crm"),
        "{printed}"
    );
}

#[test]
fn toml_file_sits_between_defaults_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fitnesscrm.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:7000\"\nlog_level = \"debug\"\n",
    )
    .unwrap();
    let c = Config::load_from(Some(&path), &env(&[("FITNESSCRM_LOG_LEVEL", "warn")])).unwrap();
    assert_eq!(c.listen.port(), 7000);
    assert_eq!(c.log_level, "warn");
    let missing = Config::load_from(Some(&dir.path().join("nope.toml")), &[]).unwrap_err();
    assert!(missing.to_string().contains("does not exist"));
}
