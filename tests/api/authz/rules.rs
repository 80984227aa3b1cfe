//! The declared rule of every API operation: which records its path and body name, which relations
//! to the caller apply, the body of a request that is valid in every respect but authorization, and
//! the outcome each role must get for each relation.

use fitnesscrm::auth::Role;
use serde_json::{Value, json};

use super::world::{Kind, Recs, Rel, World};

/// What a request must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// 2xx.
    Ok,
    /// 403: the role may not do this at all (or not to this record, when it may see it).
    Forbidden,
    /// 404: the record is not there for this caller.
    NotFound,
    /// 422: the body names a record the caller may not use (the path was fine).
    Invalid,
    /// 409: allowed, but refused in the state the record is in (deleting one's own account).
    Conflict,
    /// A page sent elsewhere: staff on a portal page are sent to `/app`.
    Away,
}

/// Which relations an operation is checked in.
#[derive(Debug, Clone, Copy)]
pub enum Rels {
    /// No record named: one cell per role.
    None,
    /// A client's or a trainer's records: all four.
    All,
    /// Records of the organization as a whole (locations, keys, imports): own organization or another.
    Org,
    /// Trainer records: the caller's own trainer, another trainer, another organization's.
    Trainer,
    /// Accounts and login sessions: the caller's own, another account, another organization's.
    Account,
}

impl Rels {
    pub fn list(self) -> Vec<Option<Rel>> {
        use Rel::*;
        match self {
            Rels::None => vec![None],
            Rels::All => Rel::ALL.into_iter().map(Some).collect(),
            Rels::Org => vec![Some(Own), Some(OtherOrg)],
            Rels::Trainer => vec![Some(Own), Some(OtherTrainer), Some(OtherOrg)],
            Rels::Account => vec![Some(Own), Some(OtherClient), Some(OtherOrg)],
        }
    }
}

/// The outcome of one cell in a declared row: `O` 2xx, `F` 403, `N` 404, `I` 422, `C` 409, `A` sent
/// away to the caller's home (`/app`).
pub fn out_of(c: char) -> Option<Out> {
    Some(match c {
        'O' => Out::Ok,
        'F' => Out::Forbidden,
        'N' => Out::NotFound,
        'I' => Out::Invalid,
        'C' => Out::Conflict,
        'A' => Out::Away,
        _ => return None,
    })
}

/// What `role` must get in the `index`th relation of a declared row such as
/// `C:ONNN T:ONNN S:OOON A:OOON O:OOON` (client, trainer, staff, admin, owner; each relation in the
/// order of [`Rels::list`]), or `None` when the row does not say.
pub fn expected(row: &str, role: Role, index: usize) -> Option<Out> {
    let initial = role.as_str().chars().next()?.to_ascii_uppercase();
    let cells = row
        .split(' ')
        .find_map(|part| part.strip_prefix(initial)?.strip_prefix(':'))?;
    out_of(cells.chars().nth(index)?)
}

/// An operation's rule.
pub struct Spec {
    /// Each `{param}` of the path and the kind of record it names.
    pub params: &'static [(&'static str, Kind)],
    /// Records the body names, made in the same relation.
    pub body_kinds: &'static [Kind],
    pub rels: Rels,
}

/// Operations the matrix does not run, and why (each is covered where named).
pub const EXEMPT: &[(&str, &str)] = &[
    (
        "POST /api/v1/auth/login",
        "public: anyone may try; tests/api/auth.rs and limits.rs",
    ),
    (
        "POST /api/v1/auth/signup",
        "public: creates an organization; tests/api/auth.rs",
    ),
    (
        "GET /calendar/{file}",
        "public, addressed by a secret token; tests/api/scheduling.rs",
    ),
    (
        "POST /api/v1/auth/password-reset",
        "public: the same answer for every email; tests/api/reset.rs",
    ),
    (
        "POST /api/v1/auth/password-reset/confirm",
        "public, addressed by a mailed single-use token; tests/api/reset.rs",
    ),
    ("GET /health/live", "public liveness probe"),
    ("GET /health/ready", "public readiness probe"),
    (
        "GET /metrics",
        "operations, token-protected by configuration; tests/api/operations.rs",
    ),
];

/// Operations that end the caller's own session or change their password: run last, once per role.
pub const LAST: &[&str] = &[
    "POST /api/v1/auth/logout",
    "DELETE /api/v1/me/sessions",
    "PUT /api/v1/me/password",
];

/// The rule of `METHOD path`, or `None` when the operation has none (the test then fails).
pub fn spec(op: &str) -> Option<Spec> {
    use Kind::*;
    let s = |params, body_kinds, rels| Spec {
        params,
        body_kinds,
        rels,
    };
    let none: &'static [(&'static str, Kind)] = &[];
    Some(match op {
        "GET /api/v1/me"
        | "GET /api/v1/me/sessions"
        | "POST /api/v1/me/mfa/totp"
        | "PUT /api/v1/me/password"
        | "DELETE /api/v1/me/sessions"
        | "POST /api/v1/auth/logout"
        | "GET /api/v1/organization"
        | "GET /api/v1/dashboard"
        | "GET /api/v1/classes"
        | "GET /api/v1/locations"
        | "GET /api/v1/sessions"
        | "GET /api/v1/clients"
        | "GET /api/v1/trainers" => s(none, &[], Rels::None),
        "POST /api/v1/me/mfa/totp/confirm" | "DELETE /api/v1/me/mfa/totp" => {
            s(none, &[], Rels::None)
        }
        "DELETE /api/v1/me/sessions/{id}" => s(&[("id", LoginSession)], &[], Rels::Account),
        "PATCH /api/v1/organization"
        | "GET /api/v1/api-keys"
        | "POST /api/v1/api-keys"
        | "GET /api/v1/users"
        | "GET /api/v1/audit-events"
        | "POST /api/v1/locations" => s(none, &[], Rels::None),
        "DELETE /api/v1/api-keys/{id}" => s(&[("id", ApiKey)], &[], Rels::Org),
        "POST /api/v1/users" => s(none, &[], Rels::None),
        "GET /api/v1/users/{id}" | "PATCH /api/v1/users/{id}" | "DELETE /api/v1/users/{id}" => {
            s(&[("id", User)], &[], Rels::Account)
        }
        // The query's `trainer_id`; a location's agenda is tests/api/scheduling.rs's.
        "GET /api/v1/agenda" => s(&[("trainer_id", Trainer)], &[], Rels::Trainer),
        "POST /api/v1/classes" => s(none, &[Trainer], Rels::Trainer),
        "GET /api/v1/classes/{id}" => s(&[("id", Class)], &[], Rels::All),
        "GET /api/v1/classes/{id}/bookings" => s(&[("id", Class)], &[], Rels::All),
        "POST /api/v1/classes/{id}/cancel" => s(&[("id", Class)], &[], Rels::All),
        "POST /api/v1/classes/{id}/bookings" => s(&[("id", Class)], &[Client], Rels::All),
        "DELETE /api/v1/classes/{id}/bookings/{booking_id}"
        | "POST /api/v1/classes/{id}/bookings/{booking_id}/check-in" => {
            s(&[("id", Class), ("booking_id", Booking)], &[], Rels::All)
        }
        "POST /api/v1/clients" | "POST /api/v1/clients/import" | "GET /api/v1/clients/export" => {
            s(none, &[], Rels::None)
        }
        "GET /api/v1/clients/{id}" => s(&[("id", Client)], &[], Rels::All),
        "PATCH /api/v1/clients/{id}"
        | "POST /api/v1/clients/{id}/notes"
        | "GET /api/v1/clients/{id}/notes"
        | "GET /api/v1/clients/{id}/timeline"
        | "GET /api/v1/clients/{id}/attendance" => s(&[("id", Client)], &[], Rels::All),
        "DELETE /api/v1/clients/{id}"
        | "POST /api/v1/clients/{id}/erase"
        | "GET /api/v1/clients/{id}/export" => s(&[("id", Client)], &[], Rels::All),
        "POST /api/v1/clients/{id}/calendar-feed" => s(&[("id", Client)], &[], Rels::All),
        "POST /api/v1/clients/{id}/trainers" => s(&[("id", Client)], &[Trainer], Rels::All),
        "DELETE /api/v1/clients/{id}/trainers/{trainer_id}" => {
            s(&[("id", Client), ("trainer_id", Trainer)], &[], Rels::All)
        }
        "DELETE /api/v1/imports/{id}" => s(&[("id", Import)], &[], Rels::Org),
        "GET /api/v1/locations/{id}" => s(&[("id", Location)], &[], Rels::Org),
        "PATCH /api/v1/locations/{id}" | "DELETE /api/v1/locations/{id}" => {
            s(&[("id", Location)], &[], Rels::Org)
        }
        "POST /api/v1/locations/{id}/calendar-feed" => s(&[("id", Location)], &[], Rels::Org),
        "POST /api/v1/session-series" | "POST /api/v1/sessions" => {
            s(none, &[Trainer, Client], Rels::All)
        }
        "GET /api/v1/session-series/{id}" => s(&[("id", Series)], &[], Rels::All),
        "GET /api/v1/sessions/{id}" | "POST /api/v1/sessions/{id}/cancel" => {
            s(&[("id", Session)], &[], Rels::All)
        }
        "PATCH /api/v1/sessions/{id}" | "POST /api/v1/sessions/{id}/check-in" => {
            s(&[("id", Session)], &[], Rels::All)
        }
        "POST /api/v1/trainers" => s(none, &[], Rels::None),
        "GET /api/v1/trainers/{id}" => s(&[("id", Trainer)], &[], Rels::Trainer),
        "PATCH /api/v1/trainers/{id}"
        | "POST /api/v1/trainers/{id}/calendar-feed"
        | "GET /api/v1/trainers/{id}/time-off"
        | "POST /api/v1/trainers/{id}/time-off"
        | "GET /api/v1/trainers/{id}/working-hours"
        | "PUT /api/v1/trainers/{id}/working-hours" => s(&[("id", Trainer)], &[], Rels::Trainer),
        "DELETE /api/v1/trainers/{id}" => s(&[("id", Trainer)], &[], Rels::Trainer),
        "DELETE /api/v1/trainers/{id}/time-off/{time_off_id}" => s(
            &[("id", Trainer), ("time_off_id", TimeOff)],
            &[],
            Rels::Trainer,
        ),
        _ => return None,
    })
}

/// The body of a request that is valid but for who sends it.
pub fn body(op: &str, r: &Recs, n: u32) -> Option<Value> {
    let (start, end) = World::slot(14);
    let get = |k: Kind| r.get(&k).cloned().unwrap_or_default();
    Some(match op {
        "POST /api/v1/me/mfa/totp/confirm" => json!({"code": "000000"}),
        "DELETE /api/v1/me/mfa/totp" => json!({"password": "not the password"}),
        "PUT /api/v1/me/password" => {
            json!({"current_password": crate::helpers::PASSWORD, "new_password": "another long passphrase 2"})
        }
        "PATCH /api/v1/organization" => json!({"late_cancel_hours": 12}),
        "POST /api/v1/api-keys" => json!({"name": format!("matrix {n}"), "role": "client"}),
        "POST /api/v1/users" => {
            json!({"name": "New Client", "email": format!("matrix{n}@example.com"), "role": "client",
            "password": crate::helpers::PASSWORD})
        }
        "PATCH /api/v1/users/{id}" => json!({"name": format!("Renamed {n}")}),
        "POST /api/v1/locations" => {
            json!({"name": format!("Room {n}"), "timezone": "Europe/Berlin"})
        }
        "PATCH /api/v1/locations/{id}" => json!({"capacity": 12}),
        "POST /api/v1/classes" => {
            json!({"name": "Spin", "trainer_id": get(Kind::Trainer), "starts_at": start, "ends_at": end, "capacity": 4})
        }
        "POST /api/v1/classes/{id}/bookings" => json!({"client_id": get(Kind::Client)}),
        "POST /api/v1/clients" => json!({"first_name": "Nia", "last_name": format!("New{n}")}),
        "PATCH /api/v1/clients/{id}" => json!({"goals": "Run 10 km"}),
        "POST /api/v1/clients/{id}/notes" => json!({"body": "A note"}),
        "POST /api/v1/clients/{id}/trainers" => json!({"trainer_id": get(Kind::Trainer)}),
        "POST /api/v1/sessions" => {
            json!({"trainer_id": get(Kind::Trainer), "client_id": get(Kind::Client), "starts_at": start, "ends_at": end})
        }
        "POST /api/v1/session-series" => {
            json!({"trainer_id": get(Kind::Trainer), "client_id": get(Kind::Client), "first_starts_at": World::local(18),
                "duration_minutes": 30, "timezone": "Europe/Berlin", "rrule": "FREQ=DAILY;COUNT=2"})
        }
        "PATCH /api/v1/sessions/{id}" => json!({"notes": "Bring water"}),
        "POST /api/v1/trainers" => json!({"first_name": "Nat", "last_name": format!("New{n}")}),
        "PATCH /api/v1/trainers/{id}" => json!({"bio": "Strength"}),
        "POST /api/v1/trainers/{id}/time-off" => json!({"starts_at": start, "ends_at": end}),
        "PUT /api/v1/trainers/{id}/working-hours" => json!({"hours": []}),
        _ if op.starts_with("POST ") => json!({}),
        _ => return None,
    })
}

/// The declared matrix of the API, one row per operation: for each role (client, trainer, staff,
/// admin, owner) the outcome in each relation of the operation's [`Rels`]: with four, own record,
/// another client of the organization, another trainer's client, another organization's. Reviewed
/// against the role model of docs/SECURITY.md; a change to any cell is a change of who may do what.
#[rustfmt::skip]
pub const API_MATRIX: &[(&str, &str)] = &[
    ("GET /api/v1/agenda", "C:FFF T:OFF S:OOO A:OOO O:OOO"),
    ("GET /api/v1/api-keys", "C:F T:F S:F A:O O:O"),
    ("POST /api/v1/api-keys", "C:F T:F S:F A:O O:O"),
    ("DELETE /api/v1/api-keys/{id}", "C:FF T:FF S:FF A:ON O:ON"),
    ("GET /api/v1/audit-events", "C:F T:F S:F A:O O:O"),
    ("GET /api/v1/classes", "C:O T:O S:O A:O O:O"),
    ("POST /api/v1/classes", "C:FFF T:OFF S:OOI A:OOI O:OOI"),
    ("GET /api/v1/classes/{id}", "C:OOON T:OOON S:OOON A:OOON O:OOON"),
    ("GET /api/v1/classes/{id}/bookings", "C:OOON T:OFFN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/classes/{id}/bookings", "C:OFFF T:FFFF S:OOOI A:OOOI O:OOOI"),
    ("DELETE /api/v1/classes/{id}/bookings/{booking_id}", "C:ONNN T:OFFN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/classes/{id}/bookings/{booking_id}/check-in", "C:INNN T:OFFN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/classes/{id}/cancel", "C:FFFN T:OFFN S:OOON A:OOON O:OOON"),
    ("GET /api/v1/clients", "C:F T:O S:O A:O O:O"),
    ("POST /api/v1/clients", "C:F T:O S:O A:O O:O"),
    ("GET /api/v1/clients/export", "C:F T:F S:O A:O O:O"),
    ("POST /api/v1/clients/import", "C:F T:F S:O A:O O:O"),
    ("DELETE /api/v1/clients/{id}", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("GET /api/v1/clients/{id}", "C:ONNN T:ONNN S:OOON A:OOON O:OOON"),
    ("PATCH /api/v1/clients/{id}", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("GET /api/v1/clients/{id}/attendance", "C:ONNN T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/clients/{id}/calendar-feed", "C:ONNN T:FFFN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/clients/{id}/erase", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("GET /api/v1/clients/{id}/export", "C:ONNN T:FFFF S:FFFF A:OOON O:OOON"),
    ("GET /api/v1/clients/{id}/notes", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/clients/{id}/notes", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("GET /api/v1/clients/{id}/timeline", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/clients/{id}/trainers", "C:FFFF T:FFFF S:OOON A:OOON O:OOON"),
    ("DELETE /api/v1/clients/{id}/trainers/{trainer_id}", "C:FFFF T:FFFF S:ONON A:ONON O:ONON"),
    ("GET /api/v1/dashboard", "C:F T:O S:O A:O O:O"),
    ("DELETE /api/v1/imports/{id}", "C:FF T:FF S:ON A:ON O:ON"),
    ("GET /api/v1/locations", "C:O T:O S:O A:O O:O"),
    ("POST /api/v1/locations", "C:F T:F S:F A:O O:O"),
    ("DELETE /api/v1/locations/{id}", "C:FF T:FF S:FF A:ON O:ON"),
    ("GET /api/v1/locations/{id}", "C:ON T:ON S:ON A:ON O:ON"),
    ("PATCH /api/v1/locations/{id}", "C:FF T:FF S:FF A:ON O:ON"),
    ("POST /api/v1/locations/{id}/calendar-feed", "C:FN T:FN S:ON A:ON O:ON"),
    ("GET /api/v1/me", "C:O T:O S:O A:O O:O"),
    ("DELETE /api/v1/me/mfa/totp", "C:I T:I S:I A:I O:I"),
    ("POST /api/v1/me/mfa/totp", "C:O T:O S:O A:O O:O"),
    ("POST /api/v1/me/mfa/totp/confirm", "C:I T:I S:I A:I O:I"),
    ("GET /api/v1/me/sessions", "C:O T:O S:O A:O O:O"),
    ("DELETE /api/v1/me/sessions/{id}", "C:ONN T:ONN S:ONN A:ONN O:ONN"),
    ("GET /api/v1/organization", "C:O T:O S:O A:O O:O"),
    ("PATCH /api/v1/organization", "C:F T:F S:F A:O O:O"),
    ("POST /api/v1/session-series", "C:FFFF T:OFFF S:OOOI A:OOOI O:OOOI"),
    ("GET /api/v1/session-series/{id}", "C:ONNN T:ONNN S:OOON A:OOON O:OOON"),
    ("GET /api/v1/sessions", "C:O T:O S:O A:O O:O"),
    ("POST /api/v1/sessions", "C:FFFF T:OFFF S:OOOI A:OOOI O:OOOI"),
    ("GET /api/v1/sessions/{id}", "C:ONNN T:ONNN S:OOON A:OOON O:OOON"),
    ("PATCH /api/v1/sessions/{id}", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/sessions/{id}/cancel", "C:ONNN T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /api/v1/sessions/{id}/check-in", "C:INNN T:ONNN S:OOON A:OOON O:OOON"),
    ("GET /api/v1/trainers", "C:F T:O S:O A:O O:O"),
    ("POST /api/v1/trainers", "C:F T:F S:F A:O O:O"),
    ("DELETE /api/v1/trainers/{id}", "C:FFF T:FFF S:FFF A:OON O:OON"),
    ("GET /api/v1/trainers/{id}", "C:FFF T:OON S:OON A:OON O:OON"),
    ("PATCH /api/v1/trainers/{id}", "C:FFF T:FFF S:FFF A:OON O:OON"),
    ("POST /api/v1/trainers/{id}/calendar-feed", "C:FFN T:OFN S:OON A:OON O:OON"),
    ("GET /api/v1/trainers/{id}/time-off", "C:FFF T:OON S:OON A:OON O:OON"),
    ("POST /api/v1/trainers/{id}/time-off", "C:FFN T:OFN S:FFN A:OON O:OON"),
    ("DELETE /api/v1/trainers/{id}/time-off/{time_off_id}", "C:FFN T:OFN S:FFN A:OON O:OON"),
    ("GET /api/v1/trainers/{id}/working-hours", "C:FFF T:OON S:OON A:OON O:OON"),
    ("PUT /api/v1/trainers/{id}/working-hours", "C:FFN T:OFN S:FFN A:OON O:OON"),
    ("GET /api/v1/users", "C:F T:F S:F A:O O:O"),
    ("POST /api/v1/users", "C:F T:F S:F A:O O:O"),
    ("DELETE /api/v1/users/{id}", "C:FFF T:FFF S:FFF A:CFN O:CON"),
    ("GET /api/v1/users/{id}", "C:FFF T:FFF S:FFF A:OON O:OON"),
    ("PATCH /api/v1/users/{id}", "C:FFF T:FFF S:FFF A:OFN O:OON"),
    ("POST /api/v1/auth/logout", "C:O T:O S:O A:O O:O"),
    ("DELETE /api/v1/me/sessions", "C:O T:O S:O A:O O:O"),
    ("PUT /api/v1/me/password", "C:O T:O S:O A:O O:O"),
];
