//! Every provider's response parser on arbitrary bytes: none may panic, and every error keeps
//! its excerpt within `EXCERPT_LIMIT`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poller_core::{EXCERPT_LIMIT, FetchError, Status, StatusResponse};
use poller_providers::dari::{DariJobsStatus, DariResponse, DariStatus};
use poller_providers::narada::{NaradaResponse, NaradaStatus};
use poller_providers::runware::RunwareResponse;
use poller_providers::vessl::{VesslResponse, VesslStatus};

fn check<O>(r: Result<Status<O>, FetchError>) {
    match r {
        Ok(s) => {
            let _ = s.is_final();
        }
        Err(e) => {
            if let FetchError::Http { excerpt, .. } | FetchError::Decode { excerpt, .. } = &e {
                assert!(excerpt.len() <= EXCERPT_LIMIT);
            }
            if let FetchError::UnknownStatus { value } = &e {
                assert!(value.len() <= EXCERPT_LIMIT);
            }
            let _ = (e.to_string(), e.class());
        }
    }
}

fuzz_target!(|body: &[u8]| {
    check(NaradaStatus::parse(body));
    check(NaradaResponse::parse(body));
    check(DariStatus::parse(body));
    check(DariJobsStatus::parse(body));
    check(DariResponse::parse(body));
    check(VesslStatus::parse(body));
    check(VesslResponse::parse(body));
    if let Ok(answer) = RunwareResponse::parse(body) {
        // Ask about the ids the answer names, and one it does not.
        let ids: Vec<String> = answer
            .data
            .iter()
            .chain(&answer.errors)
            .filter_map(|i| {
                i.get("taskUUID")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .chain(["absent".to_owned()])
            .collect();
        for id in &ids {
            check(answer.status_of(id));
        }
    }
});
