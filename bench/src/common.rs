//! What the sequential and the load bench share: a deterministic picker, day arithmetic, logging in.

use anyhow::{Context, bail};
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};

/// A small deterministic generator (SplitMix64): enough to pick inputs, no dependency.
pub struct Picker(pub u64);

impl Picker {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Days from 1970-01-01 to a civil date, and back (Howard Hinnant's algorithms): enough date
/// arithmetic for picking days without another dependency.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A run's own tag (the time in milliseconds, in hex), so that what one run creates never clashes with
/// what an earlier run left.
pub fn nonce() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    )
}

/// `base` joined with `path`, with `query` appended.
pub fn url_with(base: &Url, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Url> {
    let mut url = base.join(path)?;
    if !query.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in query {
            q.append_pair(k, v);
        }
    }
    Ok(url)
}

pub fn today_days() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    (secs / 86_400) as i64
}

/// `YYYY-MM-DD` of a day number.
pub fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:00` of a day number and a minute of the day (may exceed 1440).
pub fn local_time(days: i64, minute: i64) -> String {
    let days = days + minute.div_euclid(1440);
    let minute = minute.rem_euclid(1440);
    format!("{}T{:02}:{:02}:00", date(days), minute / 60, minute % 60)
}

/// Logs in and returns the bearer token.
pub async fn login(
    http: &Client,
    base: &Url,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let resp = http
        .post(base.join("/api/v1/auth/login")?)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status != StatusCode::OK {
        bail!("login failed with {status}: {body}");
    }
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("the login response has no token")
}
