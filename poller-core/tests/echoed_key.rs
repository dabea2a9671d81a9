//! A server that echoes the API key back (in an error page, or in a body that is not the
//! documented format) must not put it into the errors poller reports.

use axum::http::{HeaderMap, StatusCode};
use axum::{Router, routing::get};
use poller_core::testing::ExampleEndpoint;
use poller_core::{FetchError, HttpSource, StatusSource};

const KEY: &str = "sk-live-0123456789abcdef";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn fetch_error(app: Router) -> FetchError {
    let base = serve(app).await;
    let source = HttpSource::<ExampleEndpoint>::new(&base, KEY).unwrap();
    source.fetch("job-1").await.unwrap_err()
}

#[tokio::test]
async fn a_key_echoed_in_an_error_page_is_redacted() {
    let app = Router::new().route(
        "/v1/jobs/{id}",
        get(|h: HeaderMap| async move {
            (
                StatusCode::UNAUTHORIZED,
                format!("<html>rejected credentials: {}</html>", bearer(&h)),
            )
        }),
    );
    let err = fetch_error(app).await;
    let text = format!("{err} {err:?}");
    assert_eq!(err.http_status(), Some(401));
    assert!(!text.contains(KEY), "{text}");
    assert!(
        text.contains("rejected credentials: Bearer [redacted]"),
        "{text}"
    );
}

#[tokio::test]
async fn a_key_echoed_in_a_malformed_body_is_redacted() {
    let app = Router::new().route(
        "/v1/jobs/{id}",
        get(|h: HeaderMap| async move { format!("not json; you sent {}", bearer(&h)) }),
    );
    let err = fetch_error(app).await;
    assert!(matches!(err, FetchError::Decode { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(KEY));
}

#[tokio::test]
async fn a_key_cut_by_the_excerpt_limit_is_redacted_too() {
    // Padding puts the key across the 512-byte excerpt boundary: only its start is kept, and
    // that start must not leak either.
    let app = Router::new().route(
        "/v1/jobs/{id}",
        get(|h: HeaderMap| async move {
            let pad = "x".repeat(500);
            (
                StatusCode::BAD_REQUEST,
                format!("{pad}{}", bearer(&h).trim_start_matches("Bearer ")),
            )
        }),
    );
    let err = fetch_error(app).await;
    let text = err.to_string();
    assert!(!text.contains(&KEY[..8]), "{text}");
    assert!(text.ends_with("[redacted]…"), "{text}");
    let FetchError::Http { excerpt, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        excerpt.len() <= poller_core::EXCERPT_LIMIT,
        "{} bytes",
        excerpt.len()
    );
}
