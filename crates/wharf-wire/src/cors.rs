//! Cross-origin resource sharing for browser applications (the AWS SDK for JavaScript in a browser).
//!
//! AWS's own endpoints answer CORS for every service but S3 themselves; Wharf does the same for all its
//! services and the admin endpoints, in this one place. Which origins may call is configured
//! (`cors_allowed_origins`); by default only pages served from loopback addresses. Wharf accepts any
//! credentials, so a request carrying an `Origin` that is not allowed is refused with 403 before it does
//! anything (as LocalStack does): otherwise any web page could send form-encoded Query requests, which
//! browsers do not preflight, to a developer's local queues.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};

use crate::router::Body;

/// The methods Wharf serves (the Query protocol accepts GET and POST, the JSON protocols POST).
const ALLOW_METHODS: &str = "GET, POST";
/// Response headers the SDKs read beyond the CORS-safelisted ones: request ids (JSON, Query, S3-style), the
/// JSON error type, the SQS JSON protocol's Query error code (the JS SDK maps SQS errors through it) and
/// `Date` (clock-skew correction).
const EXPOSE_HEADERS: &str =
    "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-query-error, x-amz-request-id, x-amz-id-2, Date";
/// How long a browser may cache a preflight answer (Chromium caps it at two hours).
const MAX_AGE_SECONDS: &str = "7200";

/// The configured entry that allows every origin.
pub const ANY: &str = "*";
/// The configured entry that allows `http(s)://localhost`, `127.0.0.1` and `[::1]` on any port.
pub const LOOPBACK: &str = "loopback";

/// The origins allowed to call Wharf from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    any: bool,
    loopback: bool,
    /// Exact origins (`scheme://host[:port]`), lower-cased.
    origins: Vec<String>,
}

/// What to do with a request, from its method and headers alone.
pub enum Verdict {
    /// No `Origin`: not a CORS request, served as it is.
    NotCors,
    /// An `Origin` that is not allowed: refused.
    Refused(Response<Body>),
    /// A preflight from an allowed origin: answered here.
    Preflight(Response<Body>),
    /// A request from an allowed origin: served, then [`Cors::expose`]d to that origin.
    Allowed(HeaderValue),
}

impl Cors {
    /// Loopback origins only: the default.
    pub fn loopback_only() -> Cors {
        Cors {
            loopback: true,
            ..Cors::default()
        }
    }

    /// From the configured entries: `*`, `loopback` or origins such as `http://localhost:3000`. No entries
    /// allow no origin (every request with an `Origin` is refused).
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<Cors, String> {
        let mut cors = Cors::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            match entry {
                ANY => cors.any = true,
                LOOPBACK => cors.loopback = true,
                origin if is_origin(origin) => cors.origins.push(origin.to_ascii_lowercase()),
                other => {
                    return Err(format!(
                        "CORS allowed origin {other:?} must be \"*\", \"loopback\" or an origin such as \
                         \"http://localhost:3000\" (scheme://host[:port], no path)"
                    ))
                }
            }
        }
        Ok(cors)
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.any
            || (self.loopback && is_loopback(origin))
            || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Verdict {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Verdict::NotCors;
        };
        let text = origin.to_str().unwrap_or_default();
        if !self.allows(text) {
            return Verdict::Refused(refused(text));
        }
        if method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Verdict::Preflight(preflight(origin, headers));
        }
        Verdict::Allowed(origin.clone())
    }

    /// Lets `origin` read `response` and the headers SDKs need.
    pub fn expose(origin: HeaderValue, response: &mut Response<Body>) {
        let headers = response.headers_mut();
        allow_origin(headers, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
}

fn allow_origin(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

fn preflight(origin: &HeaderValue, request: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed());
    let headers = response.headers_mut();
    allow_origin(headers, origin.clone());
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    // Any header the SDK signs or adds (authorization, x-amz-*, amz-sdk-*...) may be sent.
    if let Some(requested) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE_SECONDS),
    );
    // Chromium's Private Network Access: a page on a public address calling Wharf on a private one.
    if request
        .get("access-control-request-private-network")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
    {
        headers.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
    }
    response
}

fn refused(origin: &str) -> Response<Body> {
    let body = serde_json::json!({
        "message": format!("Origin {origin} is not allowed (see the cors_allowed_origins setting)"),
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `scheme://host[:port]` as browsers serialize an origin.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let (host, port) = split_port(rest);
    scheme_ok
        && !host.is_empty()
        && !host.contains(['/', '?', '#', '@', ' '])
        && port.is_none_or(valid_port)
}

/// `http(s)://localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn is_loopback(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let (host, port) = split_port(rest);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]") && port.is_none_or(valid_port)
}

/// Host and port of `host[:port]`, an IPv6 host being bracketed.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |i| i + 1)
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, rest) = authority.split_at(host_end);
    match rest.strip_prefix(':') {
        Some(port) => (host, Some(port)),
        None if rest.is_empty() => (host, None),
        // Something other than a port after the host: never a valid port.
        None => (host, Some(rest)),
    }
}

fn valid_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.parse::<u16>().is_ok_and(|p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins() {
        let cors = Cors::loopback_only();
        for allowed in [
            "http://localhost",
            "http://localhost:3000",
            "https://localhost:8443",
            "http://127.0.0.1:5173",
            "https://127.0.0.1",
            "http://[::1]:8080",
            "http://[::1]",
        ] {
            assert!(cors.allows(allowed), "{allowed}");
        }
        for refused in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://localhost:3000.evil.example",
            "http://127.0.0.1.nip.io",
            "http://localhost:0",
            "http://localhost:65536",
            "http://localhost:",
            "http://localhost/",
            "ftp://localhost",
            "null",
            "",
            "http://[::1]evil",
            "http://[::1]:80x",
        ] {
            assert!(!cors.allows(refused), "{refused}");
        }
    }

    #[test]
    fn configured_origins() {
        let cors = Cors::new(&["https://app.example:8443", "http://LocalHost:3000"]).unwrap();
        assert!(cors.allows("https://app.example:8443"));
        assert!(cors.allows("http://localhost:3000"));
        assert!(!cors.allows("https://app.example"));
        assert!(!cors.allows("http://localhost:3001"));
        let mixed = Cors::new(&["loopback", "https://app.example"]).unwrap();
        assert!(mixed.allows("http://127.0.0.1:9") && mixed.allows("https://app.example"));
        let any = Cors::new(&["*"]).unwrap();
        assert!(any.allows("https://anything.example") && any.allows("null"));
        let none = Cors::new::<&str>(&[]).unwrap();
        assert!(!none.allows("http://localhost:3000"));
        assert_eq!(Cors::new(&["loopback"]).unwrap(), Cors::loopback_only());
        for bad in [
            "localhost:3000",
            "http://app.example/",
            "http://app.example/path",
            "http://app.example:99999",
            "http://",
            "*.example",
            "https://user@app.example",
        ] {
            assert!(Cors::new(&[bad]).is_err(), "{bad}");
        }
    }

    fn request(method: Method, headers: &[(&'static str, &'static str)]) -> Verdict {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Cors::loopback_only().check(&method, &map)
    }

    fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn preflight_headers() {
        let Verdict::Preflight(response) = request(
            Method::OPTIONS,
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "amz-sdk-invocation-id,authorization,content-type,x-amz-date,x-amz-target",
                ),
                ("access-control-request-private-network", "true"),
            ],
        ) else {
            panic!("not a preflight answer");
        };
        assert_eq!(response.status(), StatusCode::OK);
        let h = |name| header(&response, name);
        assert_eq!(
            h("access-control-allow-origin"),
            Some("http://localhost:3000")
        );
        assert_eq!(h("vary"), Some("Origin"));
        assert_eq!(h("access-control-allow-methods"), Some("GET, POST"));
        assert_eq!(
            h("access-control-allow-headers"),
            Some("amz-sdk-invocation-id,authorization,content-type,x-amz-date,x-amz-target")
        );
        assert_eq!(h("access-control-max-age"), Some("7200"));
        assert_eq!(h("access-control-allow-private-network"), Some("true"));
    }

    #[test]
    fn verdicts() {
        assert!(matches!(
            request(Method::POST, &[("content-type", "text/xml")]),
            Verdict::NotCors
        ));
        // OPTIONS without Access-Control-Request-Method is no preflight: served (and answered) as usual.
        assert!(matches!(
            request(Method::OPTIONS, &[("origin", "http://localhost")]),
            Verdict::Allowed(_)
        ));
        let Verdict::Refused(response) = request(
            Method::OPTIONS,
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "POST"),
            ],
        ) else {
            panic!("not refused");
        };
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(header(&response, "access-control-allow-origin").is_none());
        let Verdict::Allowed(origin) = request(Method::POST, &[("origin", "http://[::1]:8080")])
        else {
            panic!("not allowed");
        };
        let mut response = Response::new(Full::new(Bytes::new()).boxed());
        Cors::expose(origin, &mut response);
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some("http://[::1]:8080")
        );
        assert_eq!(header(&response, "vary"), Some("Origin"));
        let exposed = header(&response, "access-control-expose-headers").unwrap();
        for name in [
            "x-amzn-RequestId",
            "x-amzn-query-error",
            "x-amz-request-id",
            "Date",
        ] {
            assert!(exposed.contains(name), "{name}");
        }
    }
}
