//! Request signing through `HttpSource::hook`: an HMAC-SHA256 signature (the `hmac` and `sha2`
//! crates) over the method, path and body of each request, checked by the server.

use crate::replay::{Replay, Seen};
use crate::{fetch_n, fetch_ok, source};
use hmac::{Hmac, Mac};
use poller_core::{FetchError, Phase};
use sha2::Sha256;

const SECRET: &[u8] = b"signing-secret";

fn mac(secret: &[u8], method: &str, path: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    for part in [method.as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        mac.update(part);
    }
    mac
}

/// The server's side: the signature must match the request it came with.
fn verify(seen: &Seen) -> bool {
    let Some(signature) = seen.header("x-signature").and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let path = seen.uri.split('?').next().unwrap_or_default();
    mac(SECRET, &seen.method, path, seen.body.as_bytes())
        .verify_slice(&signature)
        .is_ok()
}

/// The client's side: a hook that signs the built request.
fn signer(
    secret: &'static [u8],
) -> impl Fn(&mut reqwest::Request) -> Result<(), FetchError> + Send + Sync {
    move |request: &mut reqwest::Request| {
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        let tag = mac(
            secret,
            request.method().as_str(),
            request.url().path(),
            body,
        )
        .finalize();
        let value = hex::encode(tag.into_bytes());
        request
            .headers_mut()
            .insert("x-signature", value.parse().expect("hex is a valid header"));
        Ok(())
    }
}

#[tokio::test]
async fn a_hook_signs_every_request() {
    let r = Replay::start_verifying(verify).await;
    r.answer(
        "POST /",
        &[
            (200, r#"{"executionArn": "arn:1", "status": "RUNNING"}"#),
            (
                200,
                r#"{"executionArn": "arn:1", "status": "SUCCEEDED", "output": "42"}"#,
            ),
        ],
    );
    let signed = source::<crate::step_functions::Execution>(&r).hook(signer(SECRET));
    let s = fetch_ok(&signed, "arn:1", 2).await;
    assert_eq!((s[0].phase, s[1].phase), (Phase::Running, Phase::Succeeded));
    assert_eq!(s[1].output, Some(serde_json::json!(42)));

    // A wrong secret, or no hook at all: the server refuses, and the fetch says so.
    for source in [
        source::<crate::step_functions::Execution>(&r).hook(signer(b"wrong")),
        source::<crate::step_functions::Execution>(&r),
    ] {
        let err = fetch_n(&source, "arn:1", 1).await.remove(0).unwrap_err();
        assert_eq!(err.http_status(), Some(401), "{err}");
        assert!(err.is_permanent());
    }
    assert_eq!(r.seen().len(), 4);
}

#[tokio::test]
async fn a_failing_hook_ends_the_fetch_before_sending() {
    let r = Replay::start().await;
    let src = source::<crate::step_functions::Execution>(&r).hook(|_: &mut reqwest::Request| {
        Err(FetchError::Config("no credentials for signing".into()))
    });
    let err = fetch_n(&src, "arn:1", 1).await.remove(0).unwrap_err();
    assert_eq!(err, FetchError::Config("no credentials for signing".into()));
    assert!(r.seen().is_empty());
}
