//! The router: every layer and every domain router, in one place.
//!
//! Order of the layers a request passes (outermost first): observe (request id, access log, metrics,
//! cancel-safety, timeout) → client address (trusted proxies; HSTS over HTTPS) → security headers
//! (every response: no sniffing, no framing, no referrer, same-origin opener and resource policies,
//! a permissions policy, `no-store` unless a route caches) → CORS (when configured) → compression →
//! problem rendering → body limit → routes.
//! API routes add the per-address rate limit → bearer authentication (and the per-caller limit) →
//! idempotency → handler; the pages, the same limits in their own router (`web`).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::{health, idempotency, metrics, observe, openapi};
pub use crate::state::AppState;
use crate::{audit, auth, clients, organizations, scheduling, trainers, users};

/// The `Content-Security-Policy` of the API documentation (Swagger UI): its own scripts only; it
/// styles elements inline.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; \
base-uri 'none'";

/// Powerful browser features no page of this product uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// The API routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1/auth", auth::routes::router())
        .nest("/api/v1/me", auth::routes::me_router())
        .nest("/api/v1/me/mfa", auth::mfa::routes::router())
        .nest("/api/v1/organization", organizations::routes::router())
        .nest("/api/v1/users", users::routes::router())
        .nest("/api/v1/api-keys", auth::api_keys::router())
        .nest("/api/v1/audit-events", audit::routes::router())
        .nest(
            "/api/v1/trainers",
            trainers::routes::router()
                .merge(scheduling::hours::router())
                .merge(scheduling::feeds::trainer_router()),
        )
        .nest(
            "/api/v1/locations",
            scheduling::locations::router().merge(scheduling::feeds::location_router()),
        )
        .nest("/api/v1/sessions", scheduling::sessions::router())
        .nest("/api/v1/session-series", scheduling::series::router())
        .nest("/api/v1/classes", scheduling::classes::router())
        .nest("/api/v1/agenda", scheduling::agenda::router())
        .merge(scheduling::feeds::public_router())
        .nest(
            "/api/v1/clients",
            clients::routes::router()
                .merge(clients::notes::router())
                .merge(clients::import::router())
                .merge(clients::export::router())
                .merge(scheduling::agenda::attendance_router())
                .merge(scheduling::feeds::client_router()),
        )
        .nest("/api/v1/imports", clients::import::imports_router())
        .nest("/api/v1/dashboard", crate::dashboard::router())
        .split_for_parts();
    (router, doc)
}

/// The whole OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_document() -> OpenApi {
    let (_, api_doc) = api();
    let (_, ops_doc) = operations().split_for_parts();
    let mut doc = api_doc;
    doc.merge(ops_doc);
    openapi::finish(doc)
}

fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(metrics::metrics))
}

/// CORS: off unless `cors_allowed_origins` names origins; then those origins may call the API with a
/// bearer token (never with the session cookie: credentials are not allowed).
fn cors(
    config: &crate::config::Config,
) -> tower::util::Either<CorsLayer, tower::layer::util::Identity> {
    let origins: Vec<HeaderValue> = config
        .cors_origins()
        .unwrap_or_default()
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return tower::util::Either::Right(tower::layer::util::Identity::new());
    }
    tower::util::Either::Left(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::RETRY_AFTER,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Builds the complete router with every layer.
pub fn build_router(state: AppState) -> Router {
    build_router_with(state, Router::new())
}

/// [`build_router`] with `extra` routes merged in beside the pages, under every outer layer: for a
/// test harness that needs an endpoint the product must not have (`examples/sqlmap_target.rs`).
pub fn build_router_with(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config.clone();
    let (api, _) = api();
    let api = api
        .layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(from_fn_with_state(
            state.clone(),
            auth::principal::authenticate,
        ))
        .layer(from_fn_with_state(
            state.limits.clone(),
            crate::limits::requests::enforce,
        ));
    let (ops, _) = operations().split_for_parts();
    let docs =
        Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi_document()))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            ));
    let cors = cors(&config);

    Router::new()
        .merge(api)
        .merge(ops)
        .merge(docs)
        .merge(crate::web::router(state.clone()))
        .merge(extra)
        .fallback(crate::web::not_found)
        // Outside the API's and the pages' authentication, which name the caller's organization.
        .layer(from_fn_with_state(
            state.dashboard.clone(),
            crate::dashboard::cache::forget_after_writes,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(config.request_body_timeout))
        .layer(from_fn(observe::problems))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ))
        // API answers, errors and health carry tokens and personal data or change by the second:
        // nothing is cached unless a route says otherwise (the assets do).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(from_fn_with_state(
            state.client_policy.clone(),
            crate::http::client::client_address,
        ))
        .layer(from_fn_with_state(config.request_timeout, observe::observe))
        .with_state(state)
}
