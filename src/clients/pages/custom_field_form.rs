//! The custom fields form of the client file as the page shows it: the stored pairs as text, the
//! numbered rows of the form (`cf_name_0`, `cf_value_0`, `cf_remove_0`, …, `cf_count` rows) and the
//! form prefilled from the stored fields. The client file renders these; `custom_fields` reads the
//! submitted form back.

use serde_json::{Map, Value};

use crate::web::form::FormState;

/// Most rows one form may send (the model allows 50 fields; one row more lets an error show).
pub(super) const MAX_ROWS: usize = 60;

/// One row of the custom fields form, by the names of its inputs.
pub(super) struct CustomRow {
    /// The input of the field's name.
    pub name_field: String,
    /// The input of its value.
    pub value_field: String,
    /// The removal box (rows of stored fields only).
    pub remove_field: Option<String>,
}

/// A stored value as text: strings as they are, other JSON values as written.
pub(super) fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The pairs to list, in name order.
pub(super) fn pairs(fields: &Map<String, Value>) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.clone(), display(v)))
        .collect()
}

/// The form for the stored fields: one row each, then an empty row to add one.
pub(super) fn form_for(fields: &Map<String, Value>, version: i64) -> FormState {
    let mut form = FormState::default();
    for (i, (name, value)) in fields.iter().enumerate() {
        form.set(&format!("cf_name_{i}"), name.clone());
        form.set(&format!("cf_value_{i}"), display(value));
        form.set(&format!("cf_stored_{i}"), "yes");
    }
    form.set("cf_count", (fields.len() + 1).to_string());
    form.set("version", version.to_string());
    form
}

/// The rows a form shows (`cf_count` of them; stored ones can be removed).
pub(super) fn rows(form: &FormState) -> Vec<CustomRow> {
    let count = form
        .value("cf_count")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, MAX_ROWS);
    (0..count)
        .map(|i| CustomRow {
            name_field: format!("cf_name_{i}"),
            value_field: format!("cf_value_{i}"),
            remove_field: form
                .is(&format!("cf_stored_{i}"), "yes")
                .then(|| format!("cf_remove_{i}")),
        })
        .collect()
}
