//! The HTTP routes: GraphQL (POST, and GET for queries and GraphiQL), the SDL, health and
//! readiness; and the request id every response carries.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use attain_core::CoreError;
use attain_core::access::Principal;
use attain_core::db;
use attain_core::identity;
use attain_core::tenancy::{self, Rows};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde::Deserialize;

use tracing::Instrument;
use uuid::Uuid;

use crate::config::Limits;
use crate::graphql::error::to_graphql;
use crate::graphql::people::{Members, MembersLoader, People, PeopleLoader};
use crate::graphql::{AttainSchema, Reads, Services, sdl};
use crate::limits::{self, RequestRate};
use crate::metrics::Metrics;

/// Whether GraphiQL and the SDL endpoint are served (development only: production turns
/// them off with introspection).
pub struct DevelopmentTools(pub bool);

/// The request limits and the rate limiter every GraphQL request passes, and the metrics
/// that count them.
pub struct Guard {
    pub limits: Limits,
    pub rate: RequestRate,
    pub metrics: Metrics,
}

/// The id of one request: the caller's `X-Request-Id` when sensible, else a new one.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Mounts the routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql_post))
        .route("/graphql", web::get().to(graphql_get))
        .route("/graphql/schema.graphql", web::get().to(schema_sdl))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// Gives every request an id, runs it inside a span that carries the id, and echoes the
/// id in `X-Request-Id`.
pub fn with_request_id<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: actix_web::dev::Service<
            ServiceRequest,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: MessageBody,
{
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| {
            !value.is_empty()
                && value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        path = %request.path(),
        operation = tracing::field::Empty
    );
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        if let Ok(value) = HeaderValue::from_str(&id) {
            response
                .headers_mut()
                .insert(header::HeaderName::from_static("x-request-id"), value);
        }
        Ok(response)
    }
    .instrument(span)
}

/// A GraphQL request in a JSON body. Other content types are refused (a form or
/// `text/plain` post is how a cross-site request forgery would arrive), as are batches;
/// the body's size is capped by the payload limit.
async fn graphql_post(
    schema: web::Data<AttainSchema>,
    services: web::Data<Services>,
    guard: web::Data<Guard>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let content_type = http
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if !matches!(
        content_type.as_deref(),
        Some("application/json" | "application/graphql-response+json")
    ) {
        let error = CoreError::bad_input("Content-Type", "POST bodies must be application/json");
        return HttpResponse::UnsupportedMediaType().json(async_graphql::Response::from_errors(
            vec![server_error(error)],
        ));
    }
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        let error = CoreError::bad_input("body", "batches are not accepted: send one request");
        return errors_response(vec![server_error(error)]);
    }
    let mut request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            let error = CoreError::bad_input(
                "body",
                "not a GraphQL request (query, variables, operationName)",
            );
            return errors_response(vec![server_error(error)]);
        }
    };
    let operation = Operation::of(&mut request, &guard.limits);
    execute(&schema, &services, &guard, &http, request, operation).await
}

/// GraphiQL for a browser; otherwise a query (never a mutation) from the query string.
async fn graphql_get(
    schema: web::Data<AttainSchema>,
    services: web::Data<Services>,
    guard: web::Data<Guard>,
    tools: web::Data<DevelopmentTools>,
    http: HttpRequest,
) -> HttpResponse {
    let wants_html = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && tools.0 {
        let page = GraphiQLSource::build().endpoint("/graphql").finish();
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page);
    }
    let mut request = match QueryString::parse(http.query_string()) {
        Ok(request) => request,
        Err(error) => return errors_response(vec![server_error(error)]),
    };
    let operation = Operation::of(&mut request, &guard.limits);
    if operation.writes {
        let error = CoreError::bad_input("query", "mutations must be sent with POST");
        return errors_response(vec![server_error(error)]);
    }
    execute(&schema, &services, &guard, &http, request, operation).await
}

/// A GraphQL request in a query string: `query`, `operationName` (or `operation_name`)
/// and `variables` as JSON.
#[derive(Deserialize)]
struct QueryString {
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName", alias = "operation_name")]
    operation_name: Option<String>,
    variables: Option<String>,
}

impl QueryString {
    fn parse(text: &str) -> Result<async_graphql::Request, CoreError> {
        let fields = web::Query::<QueryString>::from_query(text)
            .map_err(|error| CoreError::bad_input("query", error.to_string()))?
            .into_inner();
        let variables = match fields.variables {
            Some(json) => serde_json::from_str::<serde_json::Map<_, _>>(&json)
                .map_err(|_| CoreError::bad_input("variables", "not a JSON object"))?,
            None => serde_json::Map::new(),
        };
        let mut request = async_graphql::Request::new(fields.query).variables(
            async_graphql::Variables::from_json(serde_json::Value::Object(variables)),
        );
        request.operation_name = fields.operation_name;
        Ok(request)
    }
}

/// What a request's document asks for. The document is parsed once, here; the schema runs
/// the parsed form.
struct Operation {
    /// The operation's name; empty when it has none.
    name: String,
    /// Whether it is a mutation.
    writes: bool,
    /// Whether its shape is within the limits. A document that does not parse passes: the
    /// schema answers it with its own error.
    shape: Result<(), CoreError>,
}

impl Operation {
    fn of(request: &mut async_graphql::Request, limits: &Limits) -> Self {
        let wanted = request.operation_name.clone();
        let wanted = wanted.as_deref();
        match request.parsed_query() {
            Ok(document) => Operation {
                name: limits::operation_name(document, wanted).unwrap_or_default(),
                writes: limits::is_mutation(document, wanted),
                shape: limits::check_shape(document, wanted, limits),
            },
            Err(_) => Operation {
                name: wanted.unwrap_or_default().to_owned(),
                writes: false,
                shape: Ok(()),
            },
        }
    }
}

/// Runs a GraphQL request and counts it in the metrics.
async fn execute(
    schema: &AttainSchema,
    services: &Services,
    guard: &Guard,
    http: &HttpRequest,
    request: async_graphql::Request,
    operation: Operation,
) -> HttpResponse {
    tracing::Span::current().record("operation", operation.name.as_str());
    let started = Instant::now();
    // A mutation's statements repeat the same few shapes: PostgreSQL may reuse their plans.
    let writes = operation.writes;
    let run = run(schema, services, guard, http, request, operation.shape);
    let (status, retry_after, response) = if writes {
        tenancy::reusing_plans(run).await
    } else {
        run.await
    };
    let codes: Vec<String> = response
        .errors
        .iter()
        .filter_map(|error| error.extensions.as_ref()?.get("code"))
        .map(|code| match code {
            async_graphql::Value::String(code) => code.clone(),
            other => other.to_string(),
        })
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    guard.metrics.observe(&operation.name, seconds, &codes);
    tracing::info!(
        status = status.as_u16(),
        milliseconds = seconds * 1000.0,
        errors = ?codes,
        "graphql request"
    );
    let mut answer = HttpResponse::build(status);
    if let Some(seconds) = retry_after {
        answer.insert_header((header::RETRY_AFTER, seconds));
    }
    answer.json(response)
}

/// An HTTP status, a `Retry-After` value and the GraphQL response.
type Answer = (StatusCode, Option<&'static str>, async_graphql::Response);

fn failure(error: CoreError) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![server_error(error)])
}

/// Admits the request (its caller's rate, and the caller its token names), checks the
/// document's shape, and runs it within the time limit. A request over its rate is
/// refused first, then a document of the wrong shape, then a bad or revoked token: all
/// before any resolver runs.
async fn run(
    schema: &AttainSchema,
    services: &Services,
    guard: &Guard,
    http: &HttpRequest,
    mut request: async_graphql::Request,
    shape: Result<(), CoreError>,
) -> Answer {
    let refuse = |error: CoreError| {
        let (status, retry_after) = status_of(&error);
        (status, retry_after, failure(error))
    };
    let admitted = match admit(services, guard, http).await {
        Ok(admitted) => admitted,
        Err(error) => return refuse(error),
    };
    if let Err(error) = shape {
        return (StatusCode::OK, None, failure(error));
    }
    // The caller's organization bounds every statement of the request; an anonymous one
    // (a login) reads no organization's rows but those its own paths look up.
    let organization = match admitted {
        Ok(Some(principal)) => {
            let rows = Rows::Organization(principal.organization_id);
            let people = PeopleLoader {
                db: services.reads_for(http).clone(),
                principal: principal.clone(),
            };
            let members = MembersLoader {
                db: services.reads_for(http).clone(),
                organization_id: principal.organization_id,
            };
            let spawn = move |load| tokio::spawn(tenancy::within(rows, load));
            request = request
                .data(principal)
                .data(People::new(people, spawn))
                .data(Members::new(members, spawn));
            Some(rows)
        }
        Ok(None) => None,
        Err(error) => return refuse(error),
    };
    let request_id = request_id(http);
    request = request
        .data(RequestId(request_id.clone()))
        .data(Reads(services.reads_for(http).clone()));
    let timeout = Duration::from_millis(guard.limits.request_timeout_ms);
    // A panic in a resolver is answered as an internal error, never with its message.
    let execute = schema.execute(request);
    let run = async move {
        match organization {
            Some(rows) => tenancy::within(rows, execute).await,
            None => execute.await,
        }
    };
    let run = AssertUnwindSafe(run).catch_unwind();
    let mut response = match tokio::time::timeout(timeout, run).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => {
            tracing::error!("a resolver panicked");
            let error = CoreError::Internal(anyhow::anyhow!("a resolver panicked"));
            async_graphql::Response::from_errors(vec![server_error(error)])
        }
        Err(_) => {
            let error = CoreError::TooComplex(format!(
                "the request ran longer than the limit of {} ms",
                guard.limits.request_timeout_ms
            ));
            async_graphql::Response::from_errors(vec![server_error(error)])
        }
    };
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        let code = match extensions.get("code") {
            Some(code) => code.clone(),
            // The schema's own errors: its depth and complexity limits, and documents
            // that do not parse or validate.
            None => {
                let too_complex = error.message.contains("nested too deep")
                    || error.message.contains("too complex");
                let code = if too_complex {
                    "QUERY_TOO_COMPLEX"
                } else {
                    "BAD_USER_INPUT"
                };
                extensions.set("code", code);
                if let Some(field) = crate::graphql::error::argument_field(&error.message) {
                    extensions.set("field", field);
                }
                async_graphql::Value::from(code)
            }
        };
        if code == async_graphql::Value::from("INTERNAL") {
            extensions.set("requestId", request_id.clone());
        }
    }
    let unavailable = response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from("UNAVAILABLE"))
    });
    if unavailable {
        return (StatusCode::SERVICE_UNAVAILABLE, Some("5"), response);
    }
    (StatusCode::OK, None, response)
}

/// The request's `Authorization` header (an unreadable one as `invalid`).
fn authorization(http: &HttpRequest) -> Option<&str> {
    http.headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or("invalid"))
}

/// What letting a request in answers: the outer error refuses it for its caller's rate
/// (or a count that cannot be reached); the inner result is the caller its token names,
/// none without a token.
pub(crate) type Admission = Result<Result<Option<Principal>, CoreError>, CoreError>;

/// Counts the request against its caller's rate (its token, or its client address) and
/// finds the caller its token names, as the database says it is now. With a shared count
/// and a valid token, one statement does both; otherwise the count comes first, then the
/// lookup.
pub(crate) async fn admit(services: &Services, guard: &Guard, http: &HttpRequest) -> Admission {
    let authorization = authorization(http);
    let address = http.peer_addr().map(|address| address.ip().to_string());
    let caller = guard.rate.count_here(authorization, address.as_deref())?;
    let subject = services.tokens.subject(authorization);
    if let (Some(shared), Ok(Some(subject))) = (guard.rate.shared(), &subject) {
        let now = chrono::Utc::now().timestamp();
        let (counts, role) = identity::role_counting(
            shared,
            subject.organization_id,
            subject.id,
            subject.kind,
            &caller,
            limits::minute(now),
        )
        .await?;
        guard.rate.judge(counts, now)?;
        let Some(role) = role else {
            return Ok(Err(CoreError::Unauthenticated));
        };
        let principal =
            identity::principal_with_role(shared, subject.organization_id, subject.id, role)
                .await?;
        return Ok(Ok(Some(principal)));
    }
    guard.rate.count_shared(&caller).await?;
    Ok(match subject {
        Ok(Some(subject)) => identity::principal(
            &services.db,
            subject.organization_id,
            subject.id,
            subject.kind,
        )
        .await
        .map(Some),
        Ok(None) => Ok(None),
        Err(error) => Err(error),
    })
}

/// The HTTP status of a request-level error, and the `Retry-After` it carries.
pub(crate) fn status_of(error: &CoreError) -> (StatusCode, Option<&'static str>) {
    match error {
        CoreError::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
        CoreError::Forbidden => (StatusCode::FORBIDDEN, None),
        CoreError::NotFound(_) => (StatusCode::NOT_FOUND, None),
        CoreError::BadUserInput { .. } => (StatusCode::BAD_REQUEST, None),
        CoreError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, Some("60")),
        CoreError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, Some("5")),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
    }
}

fn errors_response(errors: Vec<ServerError>) -> HttpResponse {
    HttpResponse::BadRequest().json(async_graphql::Response::from_errors(errors))
}

/// A request-level error (no position in the query) from a core error.
pub(crate) fn server_error(error: CoreError) -> ServerError {
    let error = to_graphql(error);
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
}

fn request_id(http: &HttpRequest) -> String {
    http.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default()
}

async fn schema_sdl(tools: web::Data<DevelopmentTools>) -> HttpResponse {
    if !tools.0 {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(sdl())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready when the database answers, and the read-only replica when there is one.
async fn readyz(services: web::Data<Services>) -> HttpResponse {
    if db::ping(&services.db).await && db::ping(&services.read).await {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unreachable")
    }
}

/// The Prometheus metrics.
async fn metrics(guard: web::Data<Guard>, services: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(guard.metrics.render(&services.db))
}

/// The header that sends a request's reads to the primary (read your own writes).
pub const READ_FROM: &str = "x-read-from";

impl Services {
    /// The replica, or the primary when the request says `X-Read-From: primary`.
    pub fn reads_for(&self, http: &HttpRequest) -> &sea_orm::DatabaseConnection {
        let primary = http
            .headers()
            .get(READ_FROM)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.eq_ignore_ascii_case("primary"));
        if primary { &self.db } else { &self.read }
    }
}
