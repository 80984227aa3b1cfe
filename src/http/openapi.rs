//! The OpenAPI 3.1 document: paths come from the handlers' annotations as they are routed; this module
//! adds what is common to all of them (security, the standard error responses) in one place, so the
//! document cannot forget an error status a route can return.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Top-level information about the API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "FitnessCRM API",
        description = "The open API of FitnessCRM, on every plan. Errors are RFC 9457 problem+json documents.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "auth", description = "Sign-up, login, logout and the current account"),
        (name = "users", description = "Staff and portal accounts (owner and admin)"),
        (name = "api-keys", description = "Long-lived API credentials (owner and admin)"),
        (name = "trainers", description = "The coaches of the organization"),
        (name = "clients", description = "The client file: profile, lifecycle, trainers, notes, timeline"),
        (name = "audit", description = "The audit trail: who changed what, when and from where (owner and admin)"),
        (name = "scheduling", description = "Locations, working hours, sessions, series, classes, check-in, agendas and calendar feeds"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// Operations that anyone may call without credentials.
const PUBLIC_OPERATIONS: [&str; 6] = [
    "/api/v1/auth/signup",
    "/api/v1/auth/login",
    "/health/live",
    "/health/ready",
    "/metrics",
    "/calendar/{file}",
];

/// Adds the bearer security scheme and the standard error responses to every operation.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A login token from POST /api/v1/auth/login or an API key",
                ))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = PUBLIC_OPERATIONS.contains(&path.as_str());
        let has_id = path.contains('{');
        let api = path.starts_with("/api/");
        let ops: [(&str, Option<&mut Operation>); 5] = [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if !public {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
            if !api {
                continue;
            }
            let mut add = |status: &str, description: &str| {
                if !op.responses.responses.contains_key(status) {
                    op.responses
                        .responses
                        .insert(status.to_owned(), problem_response(description).into());
                }
            };
            add(
                "400",
                "Malformed request: bad JSON, parameter, cursor or header",
            );
            if !public {
                add(
                    "401",
                    "Not authenticated: missing, invalid, expired or revoked token",
                );
                add("403", "Authenticated but not allowed");
            }
            if has_id {
                add("404", "No such resource in the caller's organization");
            }
            if method == "patch" {
                add(
                    "412",
                    "The resource changed since the version sent in If-Match or `version`",
                );
            }
            if matches!(method, "post" | "put" | "patch") {
                add("413", "Body too large");
                add("415", "Body is not application/json");
            }
            let has_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                )
            });
            if matches!(method, "post" | "put" | "patch") || has_query {
                add(
                    "422",
                    "Validation failed; every bad field or parameter is listed in errors",
                );
            }
            if method == "post" && !public {
                add(
                    "409",
                    "Conflict, or a request with this Idempotency-Key is still running (or \
                     succeeded with a secret that is shown only once)",
                );
            }
            add("429", "Rate limited; see Retry-After");
            add("500", "Unexpected error; logged with the request id");
            add(
                "503",
                "The database is unavailable or the request timed out",
            );
        }
    }
    doc
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}
