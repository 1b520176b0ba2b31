//! Wharf's wire layer: the HTTP server (HTTP/1.1 and HTTP/2 on one port), routing, and the AWS protocols
//! (Query: form in, XML out; JSON 1.0: `X-Amz-Target`), with AWS's error shapes. It knows the shapes of
//! requests, never what a queue does.
//!
//! Layout: [`server`] accepts connections and shuts down gracefully; [`router`] picks the protocol and the
//! service; [`cors`] answers browsers' preflights and lets allowed origins read responses; [`query`] and
//! [`xml`] are the Query codec; [`sqs`] maps SQS actions onto the engine; `type_errors` words JSON type
//! mismatches as AWS's deserializer does.

pub mod cors;
pub mod kinesis;
pub mod query;
pub mod router;
pub mod server;
pub mod sns;
pub mod sqs;
mod type_errors;
pub mod xml;

pub use router::{Admin, App};
pub use server::serve;
