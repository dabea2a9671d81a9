//! Routing on the raw (still percent-encoded) path, so ids are decoded exactly once, here.

use axum::http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::api::{Api, TaskKey};

/// What a request path asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    NaradaStatus {
        id: String,
    },
    NaradaCreate,
    Runware,
    DariStatus {
        legacy: bool,
        org: String,
        endpoint: String,
    },
    VesslOutput {
        slug: String,
        id: String,
    },
    VesslCreate {
        slug: String,
    },
    DariStart {
        org: String,
        endpoint: String,
    },
    /// A known path with the wrong method.
    WrongMethod(Api),
    Unknown,
}

/// Everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

impl Route {
    pub(crate) fn parse(method: &Method, raw_path: &str) -> Route {
        let segs: Vec<&str> = raw_path
            .strip_prefix('/')
            .unwrap_or(raw_path)
            .split('/')
            .collect();
        let get = method == Method::GET;
        let post = method == Method::POST;
        let nonempty = |s: &str| !s.is_empty();
        let (route, api) = match segs.as_slice() {
            ["fast", "v2", "remote-dispatch", "responses", id] if nonempty(id) => (
                get.then(|| Route::NaradaStatus { id: decode(id) }),
                Api::Narada,
            ),
            ["fast", "v2", "remote-dispatch"] => (post.then_some(Route::NaradaCreate), Api::Narada),
            ["v1"] => (post.then_some(Route::Runware), Api::Runware),
            [kind @ ("task" | "jobs"), org, endpoint, "status"]
                if nonempty(org) && nonempty(endpoint) =>
            {
                (
                    get.then(|| Route::DariStatus {
                        legacy: *kind == "task",
                        org: decode(org),
                        endpoint: decode(endpoint),
                    }),
                    Api::Dari,
                )
            }
            ["jobs", org, endpoint, "start"] if nonempty(org) && nonempty(endpoint) => (
                post.then(|| Route::DariStart {
                    org: decode(org),
                    endpoint: decode(endpoint),
                }),
                Api::Dari,
            ),
            ["api", "v1", "services", slug, "async", id, "output"]
                if nonempty(slug) && nonempty(id) =>
            {
                (
                    get.then(|| Route::VesslOutput {
                        slug: decode(slug),
                        id: decode(id),
                    }),
                    Api::Vessl,
                )
            }
            ["api", "v1", "services", slug, "async"] if nonempty(slug) => (
                post.then(|| Route::VesslCreate { slug: decode(slug) }),
                Api::Vessl,
            ),
            _ => return Route::Unknown,
        };
        route.unwrap_or(Route::WrongMethod(api))
    }

    pub(crate) fn api(&self) -> Option<Api> {
        Some(match self {
            Route::NaradaStatus { .. } | Route::NaradaCreate => Api::Narada,
            Route::Runware => Api::Runware,
            Route::DariStatus { .. } | Route::DariStart { .. } => Api::Dari,
            Route::VesslOutput { .. } | Route::VesslCreate { .. } => Api::Vessl,
            Route::WrongMethod(api) => *api,
            Route::Unknown => return None,
        })
    }

    /// The tasks a request names (`job_id` comes from the query, Runware ids from the body).
    pub(crate) fn tasks(&self, query: Option<&str>, body: &[u8]) -> Vec<TaskKey> {
        match self {
            Route::NaradaStatus { id } => vec![TaskKey::narada(id.clone())],
            Route::Runware => crate::runware::task_uuids(body)
                .into_iter()
                .map(TaskKey::runware)
                .collect(),
            Route::DariStatus { org, endpoint, .. } => query_param(query, "job_id")
                .map(|job| vec![TaskKey::dari(org.clone(), endpoint.clone(), job)])
                .unwrap_or_default(),
            Route::VesslOutput { slug, id } => vec![TaskKey::vessl(slug.clone(), id.clone())],
            _ => Vec::new(),
        }
    }
}

/// The first value of `name` in a raw `application/x-www-form-urlencoded` query.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let form = |s: &str| decode(&s.replace('+', " "));
        (form(k) == name).then(|| form(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_api() {
        let g = Method::GET;
        assert_eq!(
            Route::parse(&g, "/fast/v2/remote-dispatch/responses/..%2Fx"),
            Route::NaradaStatus { id: "../x".into() }
        );
        assert_eq!(Route::parse(&Method::POST, "/v1"), Route::Runware);
        assert_eq!(Route::parse(&g, "/v1"), Route::WrongMethod(Api::Runware));
        assert_eq!(
            Route::parse(&g, "/jobs/my-org/contact%20form/status"),
            Route::DariStatus {
                legacy: false,
                org: "my-org".into(),
                endpoint: "contact form".into()
            }
        );
        assert_eq!(
            Route::parse(&g, "/api/v1/services/svc/async/abc/output"),
            Route::VesslOutput {
                slug: "svc".into(),
                id: "abc".into()
            }
        );
        assert_eq!(
            Route::parse(&g, "/fast/v2/remote-dispatch/responses/"),
            Route::Unknown
        );
        assert_eq!(Route::parse(&g, "/nope"), Route::Unknown);
    }

    #[test]
    fn query_params_are_form_decoded() {
        assert_eq!(
            query_param(Some("a=1&job_id=x%2By+z"), "job_id").as_deref(),
            Some("x+y z")
        );
        assert_eq!(query_param(Some("job_id"), "job_id").as_deref(), Some(""));
        assert_eq!(query_param(None, "job_id"), None);
    }
}
