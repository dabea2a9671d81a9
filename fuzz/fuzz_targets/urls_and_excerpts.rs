//! URL building and error text on arbitrary input: a task id stays one path segment and one
//! query value, a base URL check never lets plain http reach a remote host, excerpts stay
//! within `EXCERPT_LIMIT`, and `Retry-After` parsing takes any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poller_core::http::{check_base_url, encode_segment, parse_retry_after};
use poller_core::{EXCERPT_LIMIT, FetchError, excerpt};
use poller_providers::dari::Dari;

fuzz_target!(|data: &[u8]| {
    assert!(excerpt(data).len() <= EXCERPT_LIMIT);
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = FetchError::from_json(&e, data).class();
    }
    let text = String::from_utf8_lossy(data);
    let _ = parse_retry_after(&text, std::time::SystemTime::now());

    let encoded = encode_segment(&text);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
    );

    if let Ok(url) = check_base_url(&text, false) {
        if url.scheme() == "http" {
            let host = url.host_str().unwrap_or_default();
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            assert!(
                host.eq_ignore_ascii_case("localhost")
                    || bare
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            );
        }
    }

    let source = Dari::new("k", "org", "endpoint").source().unwrap();
    match source.url_for(&text) {
        Ok(url) => {
            assert_eq!(url.host_str(), Some("agent.usedari.com"));
            assert_eq!(url.path(), "/task/org/endpoint/status");
            let pairs: Vec<_> = url.query_pairs().collect();
            assert_eq!(pairs.len(), 1);
            assert_eq!(pairs[0].0, "job_id");
            assert_eq!(pairs[0].1, text);
            assert_eq!(url.fragment(), None);
        }
        Err(_) => assert!(text == "." || text == ".."),
    }
});
