//! The HTTP ceiling: a trivial responder on the same hyper stack Wharf serves with (hyper-util's auto
//! builder, one task per connection, `TCP_NODELAY`), answering every request with a fixed small
//! SendMessage-shaped response after reading its body. Driving it with the same load generator shows what
//! this machine can do over HTTP at all, so Wharf's throughput can be stated as a fraction of it.
//!
//! It runs as a child process (`wharf bench responder`), like Wharf does when the benchmark starts it, so
//! both compete with the load generator for the CPUs in the same way.

use std::convert::Infallible;

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

const JSON_RESPONSE: &str = r#"{"MD5OfMessageBody":"6a1559560f67c5e7a7d7f7f6a8e3f1a2","MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}"#;
const XML_RESPONSE: &str = "<?xml version=\"1.0\"?><SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><SendMessageResult><MD5OfMessageBody>6a1559560f67c5e7a7d7f7f6a8e3f1a2</MD5OfMessageBody><MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId></SendMessageResult><ResponseMetadata><RequestId>27daac76-34dd-47df-bd01-1f6e873584a0</RequestId></ResponseMetadata></SendMessageResponse>";
const REQUEST_ID: &str = "27daac76-34dd-47df-bd01-1f6e873584a0";

async fn respond(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let json = request.headers().contains_key("x-amz-target");
    // Read the whole body, as a real server must.
    let _ = request.into_body().collect().await;
    let (body, content_type) = if json {
        (JSON_RESPONSE, "application/x-amz-json-1.0")
    } else {
        (XML_RESPONSE, "text/xml")
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert("x-amzn-requestid", HeaderValue::from_static(REQUEST_ID));
    Ok(response)
}

/// Serves the fixed response on `host:port` until killed; prints its ready line first.
pub async fn serve_responder(host: &str, port: u16) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind((host, port)).await?;
    let local = listener.local_addr()?;
    println!("wharf-bench responder ready on http://{local}");
    let builder = Builder::new(TokioExecutor::new());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(pair) => pair,
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service_fn(respond))
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}
