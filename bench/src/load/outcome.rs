//! The operations virtual users perform, and which answers count as correct.

/// One kind of operation (one HTTP request), as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Front desk: `GET /api/v1/clients?q=<prefix>`.
    Search,
    /// Front desk: `GET /api/v1/clients/{id}` of a search result.
    ClientFile,
    /// Trainer: `GET /api/v1/agenda?trainer_id=<own>&view=week`.
    AgendaWeek,
    /// Trainer: `POST /api/v1/sessions/{id}/check-in` of a session of that week.
    CheckIn,
    /// Client: `POST /api/v1/classes/{id}/bookings`.
    Book,
    /// Client: `DELETE /api/v1/classes/{id}/bookings/{booking_id}` of one of their bookings.
    Cancel,
    /// Owner: `GET /api/v1/dashboard`.
    Dashboard,
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 7] = [
        Op::Search,
        Op::ClientFile,
        Op::AgendaWeek,
        Op::CheckIn,
        Op::Book,
        Op::Cancel,
        Op::Dashboard,
    ];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Search => "search",
            Op::ClientFile => "client-file",
            Op::AgendaWeek => "agenda-week",
            Op::CheckIn => "check-in",
            Op::Book => "book",
            Op::Cancel => "cancel",
            Op::Dashboard => "dashboard",
        }
    }

    /// Position in [`Op::ALL`].
    pub fn index(self) -> usize {
        match self {
            Op::Search => 0,
            Op::ClientFile => 1,
            Op::AgendaWeek => 2,
            Op::CheckIn => 3,
            Op::Book => 4,
            Op::Cancel => 5,
            Op::Dashboard => 6,
        }
    }
}

/// How an answer counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The operation did what was asked.
    Ok,
    /// An expected refusal: a booking refused with 409 (class and waitlist full, already booked,
    /// or a clash with the client's other bookings). Correct behaviour, counted apart.
    Refused,
    /// Anything else: a 5xx, an unexpected status, a timeout, a broken connection.
    Error,
}

/// Classifies an HTTP status of an operation.
pub fn classify(op: Op, status: u16) -> Outcome {
    match (op, status) {
        (Op::Book, 201) | (Op::Cancel, 204) => Outcome::Ok,
        (Op::Book, 409) => Outcome::Refused,
        (Op::Book | Op::Cancel, _) => Outcome::Error,
        (_, 200) => Outcome::Ok,
        _ => Outcome::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_class_is_a_refusal_not_an_error() {
        assert_eq!(classify(Op::Book, 201), Outcome::Ok);
        assert_eq!(classify(Op::Book, 409), Outcome::Refused);
        assert_eq!(classify(Op::Book, 422), Outcome::Error);
        assert_eq!(classify(Op::Book, 200), Outcome::Error);
    }

    #[test]
    fn server_errors_and_unexpected_statuses_are_errors() {
        for op in Op::ALL {
            for status in [500, 502, 503, 504, 401, 403, 404, 429] {
                assert_eq!(classify(op, status), Outcome::Error, "{op:?} {status}");
            }
        }
        assert_eq!(classify(Op::Search, 409), Outcome::Error);
        assert_eq!(classify(Op::CheckIn, 409), Outcome::Error);
        assert_eq!(classify(Op::Cancel, 409), Outcome::Error);
    }

    #[test]
    fn each_operation_has_its_success_status() {
        assert_eq!(classify(Op::Cancel, 204), Outcome::Ok);
        assert_eq!(classify(Op::Cancel, 200), Outcome::Error);
        for op in [
            Op::Search,
            Op::ClientFile,
            Op::AgendaWeek,
            Op::CheckIn,
            Op::Dashboard,
        ] {
            assert_eq!(classify(op, 200), Outcome::Ok, "{op:?}");
        }
        for (i, op) in Op::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), i);
        }
    }
}
