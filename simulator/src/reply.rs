//! The simulator's internal response type: JSON kept as a value until faults have had a go.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

/// A response before it is turned into HTTP.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: ReplyBody,
}

#[derive(Debug)]
pub(crate) enum ReplyBody {
    Json(Value),
    Raw {
        content_type: &'static str,
        bytes: Bytes,
    },
}

impl Reply {
    pub(crate) fn json(status: StatusCode, value: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(value),
        }
    }

    pub(crate) fn raw(status: StatusCode, content_type: &'static str, bytes: Bytes) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Raw {
                content_type,
                bytes,
            },
        }
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The body bytes and content type as they would be sent.
    pub(crate) fn encoded(&self) -> (&'static str, Bytes) {
        match &self.body {
            ReplyBody::Json(v) => ("application/json", Bytes::from(v.to_string())),
            ReplyBody::Raw {
                content_type,
                bytes,
            } => (content_type, bytes.clone()),
        }
    }

    /// Replaces the body, keeping status and headers.
    pub(crate) fn with_raw_body(self, content_type: &'static str, bytes: Bytes) -> Self {
        Reply {
            body: ReplyBody::Raw {
                content_type,
                bytes,
            },
            ..self
        }
    }

    pub(crate) fn into_response_with(self, body: Body, content_length: Option<usize>) -> Response {
        let (content_type, _) = self.encoded();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        if !content_type.is_empty() {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if let Some(n) = content_length {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        for (k, v) in self.headers {
            h.append(k, v);
        }
        resp
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let (_, bytes) = self.encoded();
        let len = bytes.len();
        self.into_response_with(Body::from(bytes), Some(len))
    }
}
