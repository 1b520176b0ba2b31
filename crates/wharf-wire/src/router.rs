//! Routing: admin endpoints by path, AWS JSON by `X-Amz-Target`, AWS Query by `Action`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::Value;
use std::convert::Infallible;
use wharf_sqs::{ErrorKind, Sqs, SqsError};

use crate::sqs::{dispatch, Input};
use crate::{query, xml};

/// Largest request body accepted (a 1 MiB message plus encoding overhead, with room for batches).
const MAX_BODY: usize = 16 * 1024 * 1024;
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// How long the body may stall (no bytes arriving) before the request is answered 408 and dropped: a
/// `Content-Length` larger than what is sent must not hold the connection and its task forever.
const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the binary provides to the admin endpoints.
pub trait Admin: Send + Sync {
    /// The JSON of `GET /_wharf/info`.
    fn info(&self) -> Value;
    /// `POST /_wharf/reset`: wipe all state back to the configured start-up resources.
    fn reset(&self) -> BoxFuture<'_, Result<(), String>>;
    fn reset_enabled(&self) -> bool;
}

/// Everything a request may reach.
pub struct App {
    pub sqs: Arc<Sqs>,
    pub sns: Arc<wharf_sns::Sns>,
    pub kinesis: Arc<wharf_kinesis::Kinesis>,
    pub admin: Arc<dyn Admin>,
    /// Which browser origins may call (preflights, `Access-Control-*` headers, refusals).
    pub cors: crate::cors::Cors,
}

/// Response bodies: whole (most responses) or streamed (Kinesis SubscribeToShard event streams).
pub type Body = BoxBody<Bytes, Infallible>;

/// A body fed by a channel of already-encoded chunks; it ends when the sender is dropped.
struct ChannelBody(tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(hyper::body::Frame::data(bytes))))
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
    request_id: &str,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

fn plain_json(status: StatusCode, value: Value) -> Response<Body> {
    respond(status, "application/json", value.to_string(), &request_id())
}

impl App {
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Body> {
        use crate::cors::{Cors, Verdict};
        let origin = match self.cors.check(request.method(), request.headers()) {
            Verdict::NotCors => return self.route(request).await,
            Verdict::Refused(response) | Verdict::Preflight(response) => return response,
            Verdict::Allowed(origin) => origin,
        };
        let mut response = self.route(request).await;
        Cors::expose(origin, &mut response);
        response
    }

    async fn route(&self, request: Request<Incoming>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let body = match read_body(body).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return plain_json(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    serde_json::json!({"message": "Request body too large"}),
                )
            }
            Err(BodyError::Malformed) => {
                return plain_json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"message": "Malformed request body"}),
                )
            }
            Err(BodyError::TimedOut) => {
                let mut response = plain_json(
                    StatusCode::REQUEST_TIMEOUT,
                    serde_json::json!({"message": "Timed out reading the request body"}),
                );
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return response;
            }
        };
        let path = parts.uri.path();
        match (&parts.method, path) {
            (&Method::GET, "/health")
            | (&Method::GET, "/ready")
            | (&Method::GET, "/_wharf/health") => {
                return plain_json(StatusCode::OK, serde_json::json!({"status": "ok"}))
            }
            (&Method::GET, "/_wharf/info") => return plain_json(StatusCode::OK, self.admin.info()),
            (&Method::GET, "/_wharf/sns/SimpleNotificationService.pem") => {
                // The first request may generate the signing key (on the blocking pool).
                return match self.sns.signing_certificate_pem().await {
                    Ok(pem) => {
                        respond(StatusCode::OK, "application/x-pem-file", pem, &request_id())
                    }
                    Err(error) => plain_json(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        serde_json::json!({"message": error.message}),
                    ),
                };
            }
            (&Method::POST, "/_wharf/reset") => {
                if !self.admin.reset_enabled() {
                    return plain_json(
                        StatusCode::FORBIDDEN,
                        serde_json::json!({"message": "reset is disabled"}),
                    );
                }
                return match self.admin.reset().await {
                    Ok(()) => plain_json(StatusCode::OK, serde_json::json!({"reset": true})),
                    Err(message) => plain_json(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        serde_json::json!({"message": message}),
                    ),
                };
            }
            _ => {}
        }
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        // Kinesis's content type with no Kinesis operation named: Kinesis's own answer (a bare
        // UnknownOperationException, as recorded against AWS by kinesalite), not SQS's.
        let meant_for_kinesis = content_type.is_some_and(crate::kinesis::is_kinesis_content_type);
        let kinesis_unknown = |content_type: Option<&str>| {
            let r = crate::kinesis::unknown_operation(content_type.unwrap_or_default());
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
            respond(status, r.content_type, r.body, &request_id())
        };
        if let Some(target) = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
        {
            if let Some(operation) = target.strip_prefix("Kinesis_20131202.") {
                let content_type = content_type.unwrap_or("application/x-amz-json-1.1");
                return self.handle_kinesis(operation, content_type, &body).await;
            }
            if meant_for_kinesis && !target.starts_with("AmazonSQS.") {
                return kinesis_unknown(content_type);
            }
            return self.handle_json(target, &body).await;
        }
        let mut params: Vec<(String, String)> = Vec::new();
        if let Some(query) = parts.uri.query() {
            params.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        if parts.method == Method::POST {
            params.extend(form_urlencoded::parse(&body).into_owned());
        }
        let action = params
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone());
        match action {
            Some(action) if self.is_sns(&parts.headers, &action, &params) => {
                self.handle_sns(&action, &params).await
            }
            Some(action) => self.handle_query(&action, path, params).await,
            None if credential_service(&parts.headers, &params).as_deref() == Some("sns") => {
                let id = request_id();
                let error = wharf_sns::SnsError::new(
                    wharf_sns::ErrorKind::MissingAction,
                    "The request is missing an action or a required parameter.",
                );
                respond(
                    StatusCode::BAD_REQUEST,
                    "text/xml",
                    crate::sns::error_xml(&error, &id),
                    &id,
                )
            }
            // A bare GET of a queue URL (no query string): AWS answers 404 with an `UnknownOperationException`
            // document, whatever the Accept header (LocalStack's AWS-validated
            // test_get_without_query_returns_unknown_operation and its JSON-Accept variant).
            None if parts.method == Method::GET && path.len() > 1 && params.is_empty() => respond(
                StatusCode::NOT_FOUND,
                "text/xml",
                "<?xml version=\"1.0\"?><UnknownOperationException/>".to_string(),
                &request_id(),
            ),
            None if meant_for_kinesis => kinesis_unknown(content_type),
            None => {
                let id = request_id();
                let (status, body) = query_error_body(
                    &SqsError::new(
                        wharf_sqs::ErrorKind::MissingParameter,
                        "The request must contain the parameter Action.",
                    ),
                    &id,
                );
                respond(status, "text/xml", body, &id)
            }
        }
    }

    /// SQS and SNS share the Query protocol and even some action names: the SigV4 credential scope decides,
    /// then the action and its parameters (e.g. a `TopicArn`).
    fn is_sns(&self, headers: &http::HeaderMap, action: &str, params: &[(String, String)]) -> bool {
        match credential_service(headers, params).as_deref() {
            Some("sns") => true,
            Some("sqs") => false,
            _ => crate::sns::is_sns_request(action, params),
        }
    }

    async fn handle_sns(&self, action: &str, params: &[(String, String)]) -> Response<Body> {
        let id = request_id();
        let span = tracing::debug_span!("request", service = "sns", action, protocol = "query");
        let _entered = span.enter();
        match crate::sns::dispatch_with_request_id(&self.sns, action, params, &id).await {
            Ok(xml) => respond(StatusCode::OK, "text/xml", xml, &id),
            Err(error) => {
                let status = StatusCode::from_u16(error.kind.http_status())
                    .unwrap_or(StatusCode::BAD_REQUEST);
                respond(status, "text/xml", crate::sns::error_xml(&error, &id), &id)
            }
        }
    }

    async fn handle_kinesis(
        &self,
        operation: &str,
        content_type: &str,
        body: &[u8],
    ) -> Response<Body> {
        let id = request_id();
        let span = tracing::debug_span!("request", service = "kinesis", action = operation);
        let _entered = span.enter();
        let answer = |r: crate::kinesis::KinesisResponse| {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
            respond(status, r.content_type, r.body, &id)
        };
        if operation == "SubscribeToShard" {
            return match crate::kinesis::subscribe_to_shard(&self.kinesis, content_type, body).await
            {
                Ok(stream) => {
                    let mut response = Response::new(BodyExt::boxed(ChannelBody(stream.frames)));
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(stream.content_type),
                    );
                    if let Ok(value) = HeaderValue::from_str(&id) {
                        response.headers_mut().insert("x-amzn-requestid", value);
                    }
                    response
                }
                Err(refused) => answer(refused),
            };
        }
        answer(crate::kinesis::dispatch(&self.kinesis, operation, content_type, body).await)
    }

    async fn handle_json(&self, target: &str, body: &[u8]) -> Response<Body> {
        let id = request_id();
        let Some(action) = target.strip_prefix("AmazonSQS.") else {
            return json_error(
                &SqsError::new(
                    wharf_sqs::ErrorKind::InvalidAction,
                    format!("Unknown target {target}"),
                ),
                &id,
            );
        };
        let span = tracing::debug_span!("request", service = "sqs", action, protocol = "json");
        let _entered = span.enter();
        match dispatch(&self.sqs, action, Input::Json(body)).await {
            Ok(output) => respond(StatusCode::OK, JSON_CONTENT_TYPE, output.json_bytes(), &id),
            Err(error) => json_error(&error, &id),
        }
    }

    async fn handle_query(
        &self,
        action: &str,
        path: &str,
        params: Vec<(String, String)>,
    ) -> Response<Body> {
        let id = request_id();
        // A queue URL is no endpoint for the account-level CreateQueue and ListQueues (AWS's answer, asserted by
        // LocalStack's AWS-validated test_get_create_queue_fails / test_get_list_queues_fails; GetQueueUrl is
        // accepted there).
        if path.len() > 1 && matches!(action, "CreateQueue" | "ListQueues") {
            let error = SqsError::new(
                ErrorKind::InvalidAction,
                format!("The action {action} is not valid for this endpoint."),
            );
            let (status, body) = query_error_body(&error, &id);
            return respond(status, "text/xml", body, &id);
        }
        let mut input = match query::to_json(action, &params) {
            Ok(value) => value,
            Err(bad) => {
                let error = match bad {
                    query::QueryError::NotAnInteger { parameter, value } => {
                        SqsError::invalid_value(&parameter, &value, "Must be an integer.")
                    }
                    query::QueryError::ZeroIndex => SqsError::new(
                        wharf_sqs::ErrorKind::MalformedInput,
                        "0 is not a valid index",
                    ),
                };
                let (status, body) = query_error_body(&error, &id);
                return respond(status, "text/xml", body, &id);
            }
        };
        // The Query protocol may address the queue by the request path instead of a QueueUrl parameter.
        if let Value::Object(fields) = &mut input {
            if !fields.contains_key("QueueUrl") && path.len() > 1 {
                fields.insert("QueueUrl".into(), Value::String(path.to_string()));
            }
        }
        match dispatch(&self.sqs, action, Input::Value(input)).await {
            Ok(output) => respond(
                StatusCode::OK,
                "text/xml",
                xml::success(action, &output.value(), &id),
                &id,
            ),
            Err(error) => {
                let (status, body) = query_error_body(&error, &id);
                respond(status, "text/xml", body, &id)
            }
        }
    }
}

enum BodyError {
    TooLarge,
    Malformed,
    TimedOut,
}

/// The whole request body, at most [`MAX_BODY`] bytes, each frame arriving within [`BODY_IDLE_TIMEOUT`]
/// (the timer is only armed when a frame is not there yet). A body that came in one piece is not copied.
async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    let mut body = Limited::new(body, MAX_BODY);
    let mut chunks: Vec<Bytes> = Vec::new();
    loop {
        let frame = tokio::time::timeout(BODY_IDLE_TIMEOUT, body.frame())
            .await
            .map_err(|_| BodyError::TimedOut)?;
        match frame {
            None if chunks.len() <= 1 => return Ok(chunks.pop().unwrap_or_default()),
            None => return Ok(Bytes::from(chunks.concat())),
            Some(Ok(frame)) => {
                if let Ok(chunk) = frame.into_data() {
                    if !chunk.is_empty() {
                        chunks.push(chunk);
                    }
                }
            }
            Some(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
                return Err(BodyError::TooLarge)
            }
            Some(Err(_)) => return Err(BodyError::Malformed),
        }
    }
}

/// The service named in the request's SigV4 credential scope (`AKID/date/region/<service>/aws4_request`),
/// from the `Authorization` header or a presigned URL's `X-Amz-Credential`.
fn credential_service(headers: &http::HeaderMap, params: &[(String, String)]) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|rest| {
            rest.split([',', ' '])
                .next()
                .unwrap_or_default()
                .to_string()
        });
    let credential = from_header.or_else(|| {
        params
            .iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.clone())
    })?;
    credential.split('/').nth(3).map(str::to_string)
}

fn status_of(error: &SqsError) -> StatusCode {
    StatusCode::from_u16(error.kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

fn query_error_body(error: &SqsError, id: &str) -> (StatusCode, String) {
    // The Query protocol words a missing queue its own way (AWS responses recorded in LocalStack's
    // AWS-validated test_sqs.snapshot.json, test_non_existent_queue: `queue-does-not-exist-query`).
    let message = if error.kind == ErrorKind::QueueDoesNotExist
        && error.message == SqsError::queue_does_not_exist().message
    {
        "The specified queue does not exist for this wsdl version."
    } else {
        error.message.as_str()
    };
    (
        status_of(error),
        xml::error(
            error.kind.sender_fault(),
            error.kind.query_code(),
            message,
            id,
        ),
    )
}

fn json_error(error: &SqsError, id: &str) -> Response<Body> {
    let namespace = if error.kind.modeled() {
        "com.amazonaws.sqs"
    } else {
        "com.amazon.coral.service"
    };
    let body = serde_json::json!({
        "__type": format!("{namespace}#{}", error.kind.json_type()),
        "message": error.message,
    });
    let mut response = respond(status_of(error), JSON_CONTENT_TYPE, body.to_string(), id);
    let fault = if error.kind.sender_fault() {
        "Sender"
    } else {
        "Receiver"
    };
    if let Ok(value) = HeaderValue::from_str(&format!("{};{fault}", error.kind.query_code())) {
        response.headers_mut().insert("x-amzn-query-error", value);
    }
    response
}
