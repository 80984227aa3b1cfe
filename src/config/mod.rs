//! Configuration: built-in defaults, then an optional TOML file, then environment variables.
//!
//! `DATABASE_URL` and `REDIS_URL` are read as everyone spells them; every other setting lives under the
//! `FITNESSCRM_` prefix (`FITNESSCRM_LISTEN`, `FITNESSCRM_SESSION_IDLE_TIMEOUT`, ...). A secret may also
//! come from a file named by the same variable with `_FILE` appended, which is how Docker and Kubernetes
//! hand secrets over. Every setting is documented in `docs/CONFIGURATION.md`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::limits::Rule;

/// The environment prefix of every setting except the two URLs.
pub const ENV_PREFIX: &str = "FITNESSCRM_";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Pretty when standard error is a terminal, JSON otherwise.
    Auto,
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The effective configuration of one process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// `sqlite://path?mode=rwc` (the default, under `./data/`) or `postgres://...`.
    #[serde(serialize_with = "serialize_secret")]
    pub database_url: SecretString,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// How long a request waits for a pooled connection before failing with 503.
    #[serde(with = "humantime_serde")]
    pub database_acquire_timeout: Duration,
    /// PostgreSQL: a statement running longer is cancelled (`statement_timeout` on every pooled
    /// connection). `0s` turns the limit off.
    #[serde(with = "humantime_serde")]
    pub database_statement_timeout: Duration,
    /// PostgreSQL: a connection idle inside an open transaction this long is closed by the server
    /// (`idle_in_transaction_session_timeout`), which rolls the transaction back. `0s` turns it off.
    #[serde(with = "humantime_serde")]
    pub database_idle_in_transaction_timeout: Duration,
    /// Run pending migrations when `serve` starts (PostgreSQL takes an advisory lock first).
    pub migrate_on_start: bool,
    /// Redis, for shared rate limits and caches when several instances run. Optional.
    #[serde(serialize_with = "serialize_opt_secret", default)]
    pub redis_url: Option<SecretString>,
    /// The keys that seal the sensitive fields at rest (`crate::db::sealed`): base64 keys of 32
    /// bytes separated by commas or new lines, the first sealing, every one opening. Unset: a key
    /// kept in `data/fitnesscrm.key`, created on first start.
    #[serde(serialize_with = "serialize_opt_secret", default)]
    pub data_keys: Option<SecretString>,
    /// The mail server: `smtp://host:port` (plain; STARTTLS when offered), `smtp+starttls://` (STARTTLS
    /// required), `smtps://` (TLS from the start), with `user:password@` when it wants a login. Unset:
    /// mail waits in the outbox, shown to owners and admins on the jobs page, until one is set.
    #[serde(serialize_with = "serialize_opt_secret", default)]
    pub smtp_url: Option<SecretString>,
    /// The sender of every message, `Name <address>` or an address.
    pub mail_from: String,
    /// `auto`, `pretty` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter directive such as `info` or `fitnesscrm=debug,info`.
    pub log_level: String,
    /// Whether anyone may sign up a new organization through the API.
    pub signup_enabled: bool,
    /// A session ends after this much time without use.
    #[serde(with = "humantime_serde")]
    pub session_idle_timeout: Duration,
    /// A session ends this long after login, however much it is used.
    #[serde(with = "humantime_serde")]
    pub session_absolute_timeout: Duration,
    /// How long a resolved login token or API key is trusted without asking the database again. A
    /// revocation on this instance (or on any instance, with Redis) takes effect at once; this bounds
    /// how long a change made elsewhere without Redis (the shell) takes. `0s` turns the cache off.
    #[serde(with = "humantime_serde")]
    pub auth_cache_ttl: Duration,
    /// A connection that has not sent a whole request head this long after it opened or after its
    /// last answer (a slow or silent client, or an idle keep-alive connection) is closed.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// A request body that sends nothing for this long is cut off (408).
    #[serde(with = "humantime_serde")]
    pub request_body_timeout: Duration,
    /// A request still running after this long is answered with 503.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Largest accepted JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// After SIGTERM or Ctrl-C, how long in-flight requests may take before the process exits anyway.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    #[serde(serialize_with = "serialize_opt_secret", default)]
    pub metrics_token: Option<SecretString>,
    /// How long a stored `Idempotency-Key` result is replayed.
    #[serde(with = "humantime_serde")]
    pub idempotency_ttl: Duration,
    /// Background jobs this instance runs at once; 0 runs none here (another instance does).
    pub jobs_concurrency: usize,
    /// How long a runner's claim on a job lasts unless renewed (every third of it while the job
    /// runs): after a crash, how long until another instance takes the job over.
    #[serde(with = "humantime_serde")]
    pub jobs_lease: Duration,
    /// The address users reach this server at (`https://crm.example.com`), for links such as calendar
    /// feed URLs. When unset, links are built from the request's Host header.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The reverse proxies (comma-separated addresses or CIDR blocks) whose `Forwarded`,
    /// `X-Forwarded-For` and `X-Forwarded-Proto` are believed. Empty: the peer is the client.
    #[serde(default)]
    pub trusted_proxies: String,
    /// Origins (comma-separated, such as `https://app.example.com`) whose browser scripts may call the
    /// API. Empty: CORS is off.
    #[serde(default)]
    pub cors_allowed_origins: String,
    /// Logging in, signing up and changing a password or MFA, per client address and per account:
    /// `<count>/<window>` or `off`.
    pub rate_limit_auth: Rule,
    /// Every other change, per client address and per signed-in caller.
    pub rate_limit_write: Rule,
    /// Every read, per client address and per signed-in caller.
    pub rate_limit_read: Rule,
    /// The window in which failed logins (and wrong check-in codes) are counted; a lockout lasts
    /// at most this long.
    #[serde(with = "humantime_serde")]
    pub lockout_window: Duration,
    /// Failed logins on one account from one address before that address is locked out of it.
    pub lockout_account_address_failures: u32,
    /// Failed logins from one address, on any accounts, before the address is locked out.
    pub lockout_address_failures: u32,
    /// Failed logins on one account from anywhere before it is locked for addresses it has never
    /// logged in from (where its owner logged in before, it stays open).
    pub lockout_account_failures: u32,
    /// Wrong check-in codes for one session or class, and from one address, before codes are
    /// refused there for the rest of the window.
    pub check_in_code_failures: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: SecretString::from("sqlite://data/fitnesscrm.db?mode=rwc"),
            database_max_connections: 16,
            database_acquire_timeout: Duration::from_secs(5),
            database_statement_timeout: Duration::from_secs(60),
            database_idle_in_transaction_timeout: Duration::from_secs(60),
            migrate_on_start: true,
            redis_url: None,
            data_keys: None,
            smtp_url: None,
            mail_from: "FitnessCRM <no-reply@localhost>".into(),
            log_format: LogFormat::Auto,
            log_level: "info".to_owned(),
            signup_enabled: true,
            session_idle_timeout: Duration::from_secs(14 * 24 * 3600),
            session_absolute_timeout: Duration::from_secs(30 * 24 * 3600),
            auth_cache_ttl: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(15),
            request_body_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            shutdown_grace: Duration::from_secs(20),
            metrics_token: None,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            jobs_concurrency: 4,
            jobs_lease: Duration::from_secs(60),
            public_url: None,
            trusted_proxies: String::new(),
            cors_allowed_origins: String::new(),
            rate_limit_auth: Rule::new(60, Duration::from_secs(60)),
            rate_limit_write: Rule::OFF,
            rate_limit_read: Rule::OFF,
            lockout_window: Duration::from_secs(15 * 60),
            lockout_account_address_failures: 5,
            lockout_address_failures: 30,
            lockout_account_failures: 100,
            check_in_code_failures: 10,
        }
    }
}

/// Configuration that cannot be used: the message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// Settings that hold secrets and may therefore also be read from `<VAR>_FILE`.
const SECRET_SETTINGS: [(&str, &str); 5] = [
    ("database_url", "DATABASE_URL"),
    ("redis_url", "REDIS_URL"),
    ("data_keys", "FITNESSCRM_DATA_KEYS"),
    ("metrics_token", "FITNESSCRM_METRICS_TOKEN"),
    ("smtp_url", "FITNESSCRM_SMTP_URL"),
];

impl Config {
    /// Loads the configuration from defaults, the optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, &std::env::vars().collect::<Vec<_>>())
    }

    /// Loads the configuration from defaults, the optional TOML file and the given environment.
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut from_env: Vec<(String, String)> = Vec::new();
        for (key, value) in env {
            if let Some(setting) = key.strip_prefix(ENV_PREFIX) {
                if setting == "CONFIG" || setting.ends_with("_FILE") {
                    continue;
                }
                from_env.push((setting.to_ascii_lowercase(), value.clone()));
            }
        }
        for (setting, var) in [("database_url", "DATABASE_URL"), ("redis_url", "REDIS_URL")] {
            if let Some(value) = lookup(var) {
                from_env.push((setting.to_owned(), value));
            }
        }
        for (setting, var) in SECRET_SETTINGS {
            let file_var = format!("{var}_FILE");
            if let Some(path) = lookup(&file_var) {
                let value = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError(format!("{file_var}: cannot read {path}: {e}")))?;
                from_env.push((
                    setting.to_owned(),
                    value.trim_end_matches(['\n', '\r']).to_owned(),
                ));
            }
        }
        for (setting, value) in from_env {
            // Values are read as booleans or numbers where they parse as one; secrets stay strings.
            let value = if SECRET_SETTINGS.iter().any(|(s, _)| *s == setting) {
                figment::value::Value::from(value)
            } else {
                parse_env_value(&value)
            };
            figment = figment.merge(Serialized::global(&setting, value));
        }
        let config: Config = figment.extract().map_err(|e| ConfigError(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database_url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "database_url (DATABASE_URL): must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        if let Some(redis) = &self.redis_url {
            let r = redis.expose_secret();
            if !(r.starts_with("redis://") || r.starts_with("rediss://") || r.starts_with("unix:"))
            {
                return Err(ConfigError(
                    "redis_url (REDIS_URL): must start with redis://, rediss:// or unix:".into(),
                ));
            }
        }
        if let Some(url) = &self.smtp_url
            && let Err(e) = crate::mail::transport::check(url.expose_secret(), &self.mail_from)
        {
            return Err(ConfigError(format!(
                "smtp_url (FITNESSCRM_SMTP_URL) or mail_from: {e}"
            )));
        }
        if let Err(e) = self.mail_from.parse::<lettre::message::Mailbox>() {
            return Err(ConfigError(format!(
                "mail_from (FITNESSCRM_MAIL_FROM): {e}"
            )));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError(
                "public_url: must start with http:// or https://".into(),
            ));
        }
        if let Err(e) = crate::http::client::parse_cidrs(&self.trusted_proxies) {
            return Err(ConfigError(format!("trusted_proxies: {e}")));
        }
        if let Err(e) = self.cors_origins() {
            return Err(ConfigError(format!("cors_allowed_origins: {e}")));
        }
        if self.lockout_window.is_zero()
            || self.lockout_account_address_failures == 0
            || self.lockout_address_failures == 0
            || self.lockout_account_failures == 0
            || self.check_in_code_failures == 0
        {
            return Err(ConfigError(
                "lockout_window and the lockout_*_failures and check_in_code_failures counts: must be above zero"
                    .into(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError(
                "database_max_connections: must be at least 1".into(),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError("max_body_bytes: must be at least 1024".into()));
        }
        if self.session_idle_timeout.is_zero() || self.session_absolute_timeout.is_zero() {
            return Err(ConfigError(
                "session_idle_timeout and session_absolute_timeout: must be longer than zero"
                    .into(),
            ));
        }
        if self.header_read_timeout.is_zero() || self.request_body_timeout.is_zero() {
            return Err(ConfigError(
                "header_read_timeout and request_body_timeout: must be longer than zero".into(),
            ));
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError(
                "request_timeout: must be longer than zero".into(),
            ));
        }
        if self.log_level.trim().is_empty()
            || tracing_subscriber::EnvFilter::try_new(&self.log_level).is_err()
        {
            return Err(ConfigError(format!(
                "log_level: {:?} is not a valid filter (try info, debug or fitnesscrm=debug,info)",
                self.log_level
            )));
        }
        Ok(())
    }

    /// The origins CORS allows, each `scheme://host[:port]`.
    pub fn cors_origins(&self) -> Result<Vec<String>, String> {
        self.cors_allowed_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                let origin = o.trim_end_matches('/');
                let host = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"));
                match host {
                    Some(h) if !h.is_empty() && !h.contains(['/', '*', ' ', '?', '#']) => {
                        Ok(origin.to_ascii_lowercase())
                    }
                    _ => Err(format!(
                        "{o:?} is not an origin such as https://app.example.com"
                    )),
                }
            })
            .collect()
    }

    /// Whether the configured database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }

    /// The effective configuration as TOML with every secret replaced by `[redacted]`.
    pub fn redacted_toml(&self) -> String {
        toml_like(self)
    }
}

fn parse_env_value(raw: &str) -> figment::value::Value {
    use figment::value::Value;
    if let Ok(b) = raw.parse::<bool>() {
        return Value::from(b);
    }
    if let Ok(n) = raw.parse::<u64>() {
        return Value::from(n);
    }
    Value::from(raw.to_owned())
}

fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let path = e.path.join(".");
            let kind = e.kind.to_string();
            if path.is_empty() {
                kind
            } else {
                format!("{path}: {kind}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn serialize_secret<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

fn serialize_opt_secret<S: serde::Serializer>(
    secret: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(v) => s.serialize_some(v.expose_secret()),
        None => s.serialize_none(),
    }
}

fn toml_like(config: &Config) -> String {
    let mut value = match serde_json::to_value(config) {
        Ok(v) => v,
        Err(e) => return format!("# cannot render configuration: {e}\n"),
    };
    if let Some(map) = value.as_object_mut() {
        for (setting, _) in SECRET_SETTINGS {
            if let Some(v) = map.get_mut(setting)
                && !v.is_null()
            {
                *v = serde_json::Value::String("[redacted]".into());
            }
        }
        // A database URL is useful to see without its password.
        map.insert(
            "database_url".into(),
            serde_json::Value::String(redact_url_password(config.database_url.expose_secret())),
        );
        let mut out = String::new();
        for (k, v) in map.iter() {
            let rendered = match v {
                serde_json::Value::Null => "# not set".to_owned(),
                serde_json::Value::String(s) => format!("{s:?}"),
                other => other.to_string(),
            };
            if v.is_null() {
                out.push_str(&format!("# {k} = (not set)\n"));
            } else {
                out.push_str(&format!("{k} = {rendered}\n"));
            }
        }
        return out;
    }
    String::new()
}

/// `postgres://user:secret@host/db` → `postgres://user:[redacted]@host/db`.
pub fn redact_url_password(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:[redacted]@{host}");
    }
    url.to_owned()
}

#[cfg(test)]
mod tests;
