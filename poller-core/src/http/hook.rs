use crate::FetchError;
use async_trait::async_trait;
use std::fmt;

/// Per-request work on an [`HttpSource`](crate::HttpSource)'s requests: signing (AWS SigV4,
/// HMAC), headers computed for each request (a timestamp, a nonce, a short-lived token).
///
/// The hook is called with every request the source sends to its own origin (the status
/// request, and the result request of a two-step result when it goes to the same origin),
/// fully built (method, URL with query, headers including the key, body) just before it is
/// sent; it may change anything in it. An error ends that fetch with the error (use
/// [`FetchError::Config`] for a mistake no retry can fix). Requests to another origin (a
/// presigned result URL) are sent without the key and without the hook.
///
/// A closure `Fn(&mut reqwest::Request) -> Result<(), FetchError>` is a hook; a type that
/// needs to `.await` (to refresh a token) implements the trait.
///
/// ```
/// use poller_core::{FetchError, HttpSource, testing::ExampleEndpoint};
/// use poller_core::http::RequestHook;
///
/// // A computed header on every request.
/// let source = HttpSource::<ExampleEndpoint>::new("https://api.example.com", "k")
///     .unwrap()
///     .hook(|request: &mut reqwest::Request| {
///         request.headers_mut().insert("x-request-nonce", "42".parse().unwrap());
///         Ok::<(), FetchError>(())
///     });
/// assert!(format!("{source:?}").contains("hook: true"));
///
/// // A hook that awaits.
/// struct Token;
/// #[async_trait::async_trait]
/// impl RequestHook for Token {
///     async fn prepare(&self, request: &mut reqwest::Request) -> Result<(), FetchError> {
///         let token = async { "fresh" }.await;
///         request.headers_mut().insert("x-token", token.parse().unwrap());
///         Ok(())
///     }
/// }
/// let _source = HttpSource::<ExampleEndpoint>::new("https://api.example.com", "k").unwrap().hook(Token);
/// ```
#[async_trait]
pub trait RequestHook: Send + Sync + 'static {
    /// Changes `request` before it is sent.
    async fn prepare(&self, request: &mut reqwest::Request) -> Result<(), FetchError>;
}

#[async_trait]
impl<F> RequestHook for F
where
    F: Fn(&mut reqwest::Request) -> Result<(), FetchError> + Send + Sync + 'static,
{
    async fn prepare(&self, request: &mut reqwest::Request) -> Result<(), FetchError> {
        self(request)
    }
}

/// Prints whether a hook is set (a hook itself need not be `Debug`).
pub(crate) struct HookDebug<'a>(pub(crate) &'a Option<std::sync::Arc<dyn RequestHook>>);

impl fmt::Debug for HookDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.is_some())
    }
}
