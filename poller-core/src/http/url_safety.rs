use crate::ConfigError;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::collections::BTreeMap;
use std::net::IpAddr;
use url::Url;

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'!')
    .add(b'"')
    .add(b'#')
    .add(b'$')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b'+')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes `value` as one path segment: `/`, `?`, `#`, `%` and every other reserved
/// character are escaped, so no value can leave its segment or change the query.
///
/// The dot segments `.` and `..` cannot be made safe by escaping (URL parsers treat `%2E%2E`
/// as `..`), so [`render_template`] refuses them as values.
///
/// ```
/// use poller_core::http::encode_segment;
/// assert_eq!(encode_segment("../x"), "..%2Fx");
/// assert_eq!(encode_segment("a b?c#d%2F"), "a%20b%3Fc%23d%252F");
/// assert_eq!(encode_segment("req_abc-1.2~"), "req_abc-1.2~");
/// ```
pub fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Replaces `{task_id}` and `{name}` placeholders in `template` with the percent-encoded
/// values; an unknown placeholder is an error naming it, and so is a value of `.` or `..`,
/// which would otherwise move the request up the path, and an empty value, which would leave
/// an empty segment (`/jobs//status`) that servers and proxies may collapse into another path.
///
/// A placeholder written `{+name}` keeps the `/`s of its value (for ids such as
/// `operations/abc123`): each part between them is encoded as a segment of its own, and is
/// refused when it is empty, `.` or `..`.
///
/// ```
/// use std::collections::BTreeMap;
/// use poller_core::http::render_template;
/// let params = BTreeMap::from([("org_id".to_string(), "my org".to_string())]);
/// assert_eq!(
///     render_template("/task/{org_id}/x/{task_id}", "a/b", &params).unwrap(),
///     "/task/my%20org/x/a%2Fb",
/// );
/// assert!(render_template("/{nope}", "t", &params).is_err());
/// assert!(render_template("/jobs/{task_id}", "..", &params).is_err());
/// assert!(render_template("/jobs/{task_id}/output", "", &params).is_err());
/// assert_eq!(
///     render_template("/v1/{+task_id}", "operations/a b?", &params).unwrap(),
///     "/v1/operations/a%20b%3F",
/// );
/// assert!(render_template("/v1/{+task_id}", "operations/../secrets", &params).is_err());
/// assert!(render_template("/v1/{+task_id}", "/etc", &params).is_err());
/// ```
pub fn render_template(
    template: &str,
    task_id: &str,
    params: &BTreeMap<String, String>,
) -> Result<String, ConfigError> {
    // Refused wherever they are used (a query value too), as no id or parameter is meant to be
    // a dot segment.
    let dots = |v: &str| matches!(v, "." | "..");
    if dots(task_id) || params.values().any(|v| dots(v)) {
        return Err(ConfigError::Other(format!(
            "a path segment cannot be `.` or `..` (template {template:?})"
        )));
    }
    let segment = |value: &str| -> Result<String, ConfigError> {
        if matches!(value, "." | "..") {
            Err(ConfigError::Other(format!(
                "a path segment cannot be `.` or `..` (template {template:?})"
            )))
        } else if value.is_empty() {
            Err(ConfigError::Other(format!(
                "a path segment cannot be empty (template {template:?})"
            )))
        } else {
            Ok(encode_segment(value))
        }
    };
    substitute(template, task_id, params, |value, keep_slashes| {
        if keep_slashes {
            let parts: Result<Vec<String>, ConfigError> = value.split('/').map(segment).collect();
            Ok(parts?.join("/"))
        } else {
            segment(value)
        }
    })
}

/// Replaces placeholders with values passed through `encode`, which may refuse a value; its
/// second argument is `true` for a `{+name}` placeholder.
pub(crate) fn substitute(
    template: &str,
    task_id: &str,
    params: &BTreeMap<String, String>,
    encode: impl Fn(&str, bool) -> Result<String, ConfigError>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(template.len() + task_id.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| ConfigError::Other(format!("unclosed `{{` in template {template:?}")))?;
        let written = &after[..close];
        let (name, keep_slashes) = match written.strip_prefix('+') {
            Some(name) => (name, true),
            None => (written, false),
        };
        let value = if name == "task_id" {
            task_id
        } else {
            params
                .get(name)
                .map(String::as_str)
                .ok_or_else(|| ConfigError::MissingParam {
                    name: name.to_string(),
                    doc: format!("used by the request template {template:?}"),
                })?
        };
        out.push_str(&encode(value, keep_slashes)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Appends an already-encoded `path` (and optional query) to `base`, keeping the base's own
/// path (`https://host/api/v1/services/x` + `/async/1/output`).
///
/// ```
/// use poller_core::http::join_path;
/// let base = url::Url::parse("https://h/api/v1/").unwrap();
/// assert_eq!(join_path(&base, "/async/a%2Fb/output").as_str(), "https://h/api/v1/async/a%2Fb/output");
/// ```
pub fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

/// Checks that `url` is a usable base URL: `https://`, or `http://` to a loopback host
/// (`localhost`, `127.0.0.0/8`, `::1`) unless `allow_insecure` is set; no credentials, query
/// or fragment in it.
///
/// ```
/// use poller_core::http::check_base_url;
/// assert!(check_base_url("https://api.narada.ai", false).is_ok());
/// assert!(check_base_url("http://127.0.0.1:8080", false).is_ok());
/// assert!(check_base_url("http://api.narada.ai", false).is_err());
/// assert!(check_base_url("http://api.narada.ai", true).is_ok());
/// assert!(check_base_url("ftp://x", true).is_err());
/// ```
pub fn check_base_url(url: &str, allow_insecure: bool) -> Result<Url, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: redact_userinfo(url),
        reason: reason.to_string(),
    };
    let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "credentials in the URL are not allowed; pass the key separately",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| invalid("no host"))?
        .to_string();
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if allow_insecure || is_loopback(&host) => Ok(parsed),
        "http" => Err(ConfigError::InsecureTransport { host }),
        _ => Err(invalid("the scheme must be https (or http to loopback)")),
    }
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn redact_userinfo(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.chars().take(200).collect(),
    }
}
