//! HTTP helpers (feature `http`): one reqwest client with timeouts, a body cap, Retry-After
//! parsing, safe URL building and credential-safe redirects, and a generic source for
//! [`HttpEndpoint`](crate::HttpEndpoint) types.

mod client;
mod hook;
mod retry_after;
mod source;
mod url_safety;

pub use client::{Delivery, HttpClient, HttpResponse};
pub use hook::RequestHook;
pub use retry_after::parse_retry_after;
pub use source::HttpSource;
pub use url_safety::{check_base_url, encode_segment, join_path, render_template};
