//! A limit as configuration spells it: `20/1m` (twenty per minute), `600/1h`, or `off`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// At most `limit` events per `window`; `limit == 0` is no limit at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Events allowed per window.
    pub limit: u32,
    /// The window, counted from the first event.
    pub window: Duration,
}

impl Rule {
    /// No limit.
    pub const OFF: Rule = Rule {
        limit: 0,
        window: Duration::from_secs(60),
    };

    /// `limit` per `window`.
    pub const fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window }
    }

    /// Whether this rule limits anything.
    pub fn is_on(&self) -> bool {
        self.limit > 0
    }
}

impl FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s == "0" {
            return Ok(Rule::OFF);
        }
        let (count, window) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not <count>/<window> (such as 20/1m) or off"))?;
        let limit = count
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("{count:?} is not a whole number"))?;
        let window = humantime::parse_duration(window.trim())
            .map_err(|e| format!("{window:?} is not a duration: {e}"))?;
        if window < Duration::from_secs(1) || window > Duration::from_secs(24 * 3600) {
            return Err(format!("the window of {s:?} must be between 1s and 24h"));
        }
        Ok(Rule { limit, window })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_on() {
            write!(
                f,
                "{}/{}",
                self.limit,
                humantime::format_duration(self.window)
            )
        } else {
            f.write_str("off")
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `0` arrives as a number from the environment; everything else as text.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(0) => Ok(Rule::OFF),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "{n} needs a window: write {n}/1m, {n}/1h, ... or off"
            ))),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_print_and_name_what_is_wrong() {
        let r: Rule = "20/1m".parse().unwrap();
        assert_eq!(r, Rule::new(20, Duration::from_secs(60)));
        assert_eq!(r.to_string(), "20/1m");
        assert_eq!("600 / 1h".parse::<Rule>().unwrap().window.as_secs(), 3600);
        assert!(!"off".parse::<Rule>().unwrap().is_on());
        assert!(!"0".parse::<Rule>().unwrap().is_on());
        assert_eq!(Rule::OFF.to_string(), "off");
        for bad in ["20", "x/1m", "20/soon", "20/0s", "20/2d", "-1/1m"] {
            assert!(bad.parse::<Rule>().is_err(), "{bad}");
        }
    }
}
