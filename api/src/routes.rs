//! The HTTP routes: GraphQL (POST, and GET for queries and GraphiQL), the SDL, health and
//! readiness; and the request id every response carries.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql_actix_web::GraphQLRequest;
use attain_core::CoreError;
use attain_core::db;
use tracing::Instrument;
use uuid::Uuid;

use crate::graphql::error::to_graphql;
use crate::graphql::{AttainSchema, Services, sdl};

/// Whether GraphiQL is served (development only).
pub struct GraphiqlEnabled(pub bool);

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
        .route("/readyz", web::get().to(readyz));
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
    let span = tracing::info_span!("request", request_id = %id, path = %request.path());
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

async fn graphql_post(
    schema: web::Data<AttainSchema>,
    services: web::Data<Services>,
    http: HttpRequest,
    request: GraphQLRequest,
) -> HttpResponse {
    execute(&schema, &services, &http, request.into_inner()).await
}

/// GraphiQL for a browser; otherwise a query (never a mutation) from the query string.
async fn graphql_get(
    schema: web::Data<AttainSchema>,
    services: web::Data<Services>,
    graphiql: web::Data<GraphiqlEnabled>,
    http: HttpRequest,
) -> HttpResponse {
    let wants_html = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && graphiql.0 {
        let page = GraphiQLSource::build().endpoint("/graphql").finish();
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page);
    }
    let request = match async_graphql::http::parse_query_string(http.query_string()) {
        Ok(request) => request,
        Err(error) => return errors_response(vec![ServerError::new(error.to_string(), None)]),
    };
    if is_mutation(&request) {
        let error = CoreError::bad_input("query", "mutations must be sent with POST");
        return errors_response(vec![server_error(error)]);
    }
    execute(&schema, &services, &http, request).await
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let wanted = request.operation_name.as_deref();
    document.operations.iter().any(|(name, operation)| {
        operation.node.ty == OperationType::Mutation
            && (wanted.is_none() || name.map(|n| n.as_str()) == wanted)
    })
}

/// Authenticates the request and runs it. A bad or revoked token stops the request before
/// any resolver runs.
async fn execute(
    schema: &AttainSchema,
    services: &Services,
    http: &HttpRequest,
    mut request: async_graphql::Request,
) -> HttpResponse {
    let authorization = http
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or("invalid"));
    match services
        .tokens
        .authenticate(&services.db, authorization)
        .await
    {
        Ok(Some(principal)) => request = request.data(principal),
        Ok(None) => {}
        Err(error) => {
            let errors = vec![server_error(error)];
            return HttpResponse::Unauthorized().json(async_graphql::Response::from_errors(errors));
        }
    }
    let mut response = schema.execute(request).await;
    let request_id = request_id(http);
    for error in &mut response.errors {
        let internal = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from("INTERNAL"));
        if internal {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("requestId", request_id.clone());
        }
    }
    HttpResponse::Ok().json(response)
}

fn errors_response(errors: Vec<ServerError>) -> HttpResponse {
    HttpResponse::BadRequest().json(async_graphql::Response::from_errors(errors))
}

/// A request-level error (no position in the query) from a core error.
fn server_error(error: CoreError) -> ServerError {
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

async fn schema_sdl() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(sdl())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready when the database answers.
async fn readyz(services: web::Data<Services>) -> HttpResponse {
    if db::ping(&services.db).await {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unreachable")
    }
}
