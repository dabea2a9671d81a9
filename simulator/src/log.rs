//! The request log: every request to the APIs, exactly as received.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::api::{Api, TaskKey};
use crate::faults::Fault;

/// One request as the simulator received it, and what it did with it.
///
/// Requests to the control API (`/_sim/...`) are not recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// Sequence number, from 1, in order of arrival.
    pub seq: u64,
    /// Arrival time, as an offset from the simulator's start in its clock.
    pub at: Duration,
    /// The method, e.g. `GET`.
    pub method: String,
    /// Path and query exactly as received (still percent-encoded), e.g.
    /// `/fast/v2/remote-dispatch/responses/..%2Fx`.
    pub uri: String,
    /// Headers in order of arrival; names in lower case (HTTP/1 names are case-insensitive and
    /// the server normalises them), values as received (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Bytes,
    /// The API the path belongs to, `None` for a path no API serves.
    pub api: Option<Api>,
    /// The tasks the request named (several for a Runware batch).
    pub tasks: Vec<TaskKey>,
    /// The response status, once answered (for a reset mid-body, the status that was sent).
    pub status: Option<u16>,
    /// The fault applied, if any.
    pub fault: Option<Fault>,
}

impl RecordedRequest {
    /// The raw path, without the query.
    pub fn path(&self) -> &str {
        self.uri.split_once('?').map_or(&self.uri, |(p, _)| p)
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.uri.split_once('?').map(|(_, q)| q)
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Whether this request named `task`.
    pub fn names(&self, task: &TaskKey) -> bool {
        self.tasks.contains(task)
    }
}

/// JSON view for `GET /_sim/requests`.
#[derive(Serialize)]
pub(crate) struct RequestView<'a> {
    seq: u64,
    at_secs: f64,
    method: &'a str,
    uri: &'a str,
    headers: &'a [(String, String)],
    body: Cow<'a, str>,
    api: Option<Api>,
    tasks: &'a [TaskKey],
    status: Option<u16>,
    fault: Option<&'a Fault>,
}

impl<'a> From<&'a RecordedRequest> for RequestView<'a> {
    fn from(r: &'a RecordedRequest) -> Self {
        RequestView {
            seq: r.seq,
            at_secs: r.at.as_secs_f64(),
            method: &r.method,
            uri: &r.uri,
            headers: &r.headers,
            body: r.body_text(),
            api: r.api,
            tasks: &r.tasks,
            status: r.status,
            fault: r.fault.as_ref(),
        }
    }
}

/// The log itself, optionally bounded (oldest dropped first).
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<RecordedRequest>,
    next_seq: u64,
    limit: Option<usize>,
}

impl RequestLog {
    pub(crate) fn new(limit: Option<usize>) -> Self {
        RequestLog {
            limit,
            ..Default::default()
        }
    }

    /// Appends a request and returns its sequence number.
    pub(crate) fn push(&mut self, mut r: RecordedRequest) -> u64 {
        self.next_seq += 1;
        r.seq = self.next_seq;
        self.entries.push_back(r);
        if let Some(limit) = self.limit {
            while self.entries.len() > limit {
                self.entries.pop_front();
            }
        }
        self.next_seq
    }

    /// Records the outcome of request `seq`, if it is still in the log.
    pub(crate) fn finish(&mut self, seq: u64, status: u16, fault: Option<Fault>) {
        let Some(front) = self.entries.front().map(|r| r.seq) else {
            return;
        };
        if let Some(r) = seq
            .checked_sub(front)
            .and_then(|i| self.entries.get_mut(i as usize))
            .filter(|r| r.seq == seq)
        {
            r.status = Some(status);
            r.fault = fault;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &RecordedRequest> {
        self.entries.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
