//! The sealed columns: each table and column whose values are sealed, and the columns that
//! identify a row (its associated data).

/// One sealed column: its table, the columns that identify a row, and the column.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    /// Table.
    pub table: &'static str,
    /// The primary key's columns, in the order they are joined in the associated data.
    pub key: &'static [&'static str],
    /// The column.
    pub column: &'static str,
}

/// A client's medical notes.
pub const CLIENTS_MEDICAL_NOTES: SealedColumn = SealedColumn {
    table: "clients",
    key: &["id"],
    column: "medical_notes",
};
/// A client's emergency contact.
pub const CLIENTS_EMERGENCY_NAME: SealedColumn = SealedColumn {
    table: "clients",
    key: &["id"],
    column: "emergency_contact_name",
};
/// Their phone number.
pub const CLIENTS_EMERGENCY_PHONE: SealedColumn = SealedColumn {
    table: "clients",
    key: &["id"],
    column: "emergency_contact_phone",
};
/// A note on a client.
pub const CLIENT_NOTES_BODY: SealedColumn = SealedColumn {
    table: "client_notes",
    key: &["id"],
    column: "body",
};
/// An account's TOTP secret.
pub const USERS_TOTP_SECRET: SealedColumn = SealedColumn {
    table: "users",
    key: &["id"],
    column: "totp_secret",
};
/// A TOTP secret waiting for its first code.
pub const USERS_TOTP_PENDING_SECRET: SealedColumn = SealedColumn {
    table: "users",
    key: &["id"],
    column: "totp_pending_secret",
};
/// A client's fields before an import changed them.
pub const IMPORT_ITEMS_PREVIOUS: SealedColumn = SealedColumn {
    table: "import_items",
    key: &["import_id", "client_id"],
    column: "previous",
};
/// A response kept for `Idempotency-Key` retries (a client's, with medical notes).
pub const IDEMPOTENCY_RESPONSE_BODY: SealedColumn = SealedColumn {
    table: "idempotency_keys",
    key: &["id"],
    column: "response_body",
};

/// A message waiting in the outbox (a reset or invitation link).
pub const OUTBOX_BODY_TEXT: SealedColumn = SealedColumn {
    table: "outbox",
    key: &["id"],
    column: "body_text",
};
/// Its HTML part.
pub const OUTBOX_BODY_HTML: SealedColumn = SealedColumn {
    table: "outbox",
    key: &["id"],
    column: "body_html",
};

/// Every sealed column.
pub const SEALED: [SealedColumn; 10] = [
    CLIENTS_MEDICAL_NOTES,
    CLIENTS_EMERGENCY_NAME,
    CLIENTS_EMERGENCY_PHONE,
    CLIENT_NOTES_BODY,
    USERS_TOTP_SECRET,
    USERS_TOTP_PENDING_SECRET,
    IMPORT_ITEMS_PREVIOUS,
    IDEMPOTENCY_RESPONSE_BODY,
    OUTBOX_BODY_TEXT,
    OUTBOX_BODY_HTML,
];
