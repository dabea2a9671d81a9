//! `#[derive(StatusResponse)]`: a poller status source from one annotated response struct.
//!
//! Use it through `poller-core` with the `derive` feature (`use poller_core::StatusResponse;`);
//! the runnable examples live on that re-export. This page is the full attribute reference.
//!
//! The derive implements `poller_core::StatusResponse` for a struct that also derives
//! `serde::Deserialize`, and, with a `request(...)` attribute, `poller_core::HttpEndpoint`,
//! so that `HttpSource::<YourStruct>::new(base_url, key)` is a complete provider.
//!
//! ```ignore
//! use poller_core::{HttpSource, StatusResponse};
//!
//! #[derive(serde::Deserialize, StatusResponse)]
//! #[status(name = "jobs", request(path = "/v1/jobs/{task_id}", auth = bearer))]
//! struct Job {
//!     #[status(field, queued = ["QUEUED"], running = ["RUNNING"], succeeded = ["DONE"], failed = ["ERROR"])]
//!     state: String,
//!     #[status(output)]
//!     result: Option<serde_json::Value>,
//!     #[status(error)]
//!     error: Option<serde_json::Value>,
//!     #[status(progress)]
//!     progress: Option<f64>,
//! }
//!
//! let source = HttpSource::<Job>::new("https://api.example.com", "my-key")?;
//! ```
//!
//! Every mistake in the attributes is a compile error at the attribute that says what to write
//! instead, and all of them are reported at once.
//!
//! # On the struct
//!
//! ```ignore
//! #[status(
//!     name = "narada",
//!     request(
//!         method = "GET",
//!         path = "/fast/v2/remote-dispatch/responses/{task_id}",
//!         query(job_id = "{task_id}"),
//!         auth = header("x-api-key"),
//!     ),
//!     crate = my_reexport::poller_core,
//! )]
//! ```
//!
//! | Key | Meaning | Default |
//! |---|---|---|
//! | `name = "..."` | `HttpEndpoint::NAME`, used in logs. Only with `request`. | the struct's name in snake_case (`NaradaStatus` → `narada_status`) |
//! | `request(...)` | Also implement `HttpEndpoint`; see below. | `StatusResponse` only |
//! | `failed_message = "..."` | The error message of a failed task that no field explained; `{status}` is the raw status. | no error |
//! | `crate = path` | Where `poller-core` is, for crates that only depend on a crate re-exporting it (`crate = my_sdk::poller_core`; a string `"my_sdk::poller_core"` works too). | `::poller_core` |
//!
//! Inside `request(...)`:
//!
//! | Key | Meaning | Default |
//! |---|---|---|
//! | `path = "/v1/jobs/{task_id}"` | The path template, appended to the base URL. Required. | |
//! | `method = "GET"` | `"GET"` or `"POST"` (`POST` sends the `body` below, and no body without it). | `"GET"` |
//! | `query(name = "template", ...)` | Query parameters; values are templates. A name that is not an identifier can be a string: `query("api-version" = "2")`. | none |
//! | `headers("Name" = "template", ...)` | Fixed request headers (`Accept`, an API version). | none |
//! | `body(key = "template", ...)` | With `method = "POST"`: a JSON object of string values, sent as `application/json` (unless `headers` sets a `Content-Type`). | no body |
//! | `result = "/jobs/{task_id}/result"` | A second `GET`, once the task succeeded, whose body is the output (see `result_url`). | none |
//! | `auth = bearer` | `Authorization: Bearer <key>`. | this |
//! | `auth = scheme("Key")` | `Authorization: Key <key>`. | |
//! | `auth = header("x-api-key")` | The key as the value of that header. | |
//! | `auth = query("key")` | The key as that query parameter. | |
//! | `auth = none` | No key is sent. | |
//!
//! Templates hold `{task_id}` and named parameters (`{org_id}`); every placeholder is replaced by
//! a percent-encoded single path segment (form-encoded in query values). Named parameters are
//! collected, in order of first use, into `RequestSpec::params` and are set with
//! `HttpSource::param`. `{+task_id}` in the path keeps the value's `/`s (each part is still a
//! percent-encoded segment, and empty, `.` and `..` parts are refused). A placeholder name is an identifier: an unclosed `{`, an empty `{}`, a
//! stray `}` or `{not-an-ident}` is a compile error, as is a request that never uses `{task_id}`
//! (in the path, a query value, a header or the body).
//!
//! # The status field
//!
//! The field named `status`, or the field marked `#[status(field, ...)]` (or
//! `#[status(field = "data.status", ...)]` for a status inside the field). Its type is `String`
//! (or `&str`, `Cow<str>`), a number, a `bool`, `serde_json::Value`, or any enum deriving
//! `Serialize`: its serde string form is the raw status, which is always kept in
//! `Status::raw_status`. Numbers, booleans and `null` are their JSON text and are mapped as
//! literals: `succeeded = [true, 2]`, `running = [null]` (an `Option` status field needs `null`
//! mapped, or `unknown`). `#[status(http_status, running = [202], succeeded = [200])]` on a
//! `#[serde(skip)] code: u16` takes the status from the HTTP status code.
//!
//! ```ignore
//! #[status(
//!     queued = ["pending"],
//!     running = ["running", "in_progress"],
//!     needs_input = ["input-required"],
//!     paused = ["paused"],
//!     succeeded = ["success"],
//!     failed = ["error"],
//!     cancelled = ["cancelled"],
//!     case_insensitive,
//!     unknown = running,
//! )]
//! status: String,
//! ```
//!
//! | Key | Meaning |
//! |---|---|
//! | `field` | Marks this field as the status field (needed unless it is named `status`). |
//! | `queued`, `running`, `needs_input`, `paused`, `succeeded`, `failed`, `cancelled` `= ["value", ...]` | The raw values that mean this phase (a single `"value"` works too). Each value maps to one phase, and at least one value must map to a final phase (`succeeded`, `failed` or `cancelled`). |
//! | `case_insensitive` | Compare values ignoring case. |
//! | `unknown = phase` | The phase of a value nobody mapped. Without it, an unmapped value is `Err(FetchError::UnknownStatus)` naming the value (a permanent error: the poller stops and says so, rather than polling a state it does not understand until the deadline). |
//!
//! # Other fields
//!
//! Each field has at most one of these roles, and each role is on at most one field;
//! `detail` and `when_set` combine with any role. Any role can read a value inside the field
//! instead of the whole field: `#[status(error = "errors[0]", percent = "progress.pct")]`
//! (object keys and list indexes separated by dots); such values are read as JSON, and roles
//! read at a path combine freely on one field.
//!
//! | Attribute | Becomes | Field types |
//! |---|---|---|
//! | `#[status(output)]` | `Status::output`, and `StatusResponse::Output` is its type: `Option<T>` gives `T`, any other `T` gives `T` (always present). Without an output field, `Output = ()`. | any (`Send + Sync + 'static`) |
//! | `#[status(error)]` | `Status::error`: a string is the message (empty or null means no error); an object gives `message` (or its JSON text when it has none) and `code` (string or number). | `String`, `Option<String>`, `serde_json::Value`, any `Serialize` |
//! | `#[status(error_code)]` | `RemoteError::code`. Alone (no error message) it makes an error only when the phase is failed, with the code as message. | string, number, or an `Option` of one |
//! | `#[status(percent)]` | `Progress::percent` (0-100). | any number type, or an `Option` of one |
//! | `#[status(progress)]` | `Progress::percent` from a fraction 0-1 (×100). | any number type, or an `Option` of one |
//! | `#[status(step)]` | `Progress::step`. | `String`, `Option<String>`, numbers |
//! | `#[status(events)]` | `Progress::events`: each item becomes a `ProgressEvent` with `kind` from `event_type`, `type` or `kind` (else `"event"`), `message`, `timestamp` from `timestamp`, `time` or `created_at`, and `data`. A string item is an event of that kind. | `Vec<T>`, `Option<Vec<T>>`, `T: Serialize` |
//! | `#[status(retry_after_secs)]` | `Status::retry_after`, the server's hint for when to ask again (it wins over a `Retry-After` header). | any number type, or an `Option` of one |
//! | `#[status(detail)]` | `Status::details`, under the field's JSON name (serde's `rename` and `rename_all` are followed). Null values are left out. | any `Serialize` |
//! | `#[status(detail = "name")]` | The same, under `name`. | any `Serialize` |
//! | `#[status(output_fallback)]` | The output when the output field is unset; several are tried in field order. The value must fit the output type. | any `Serialize` |
//! | `#[status(json_string)]` | Beside `output` or `output_fallback`: the value is a string holding JSON, read as that JSON (the output type is then `serde_json::Value`). | a string |
//! | `#[status(count)]`, `#[status(total)]` | `Progress::percent` as `count / total × 100` (no percentage when the total is 0). | numbers |
//! | `#[status(result_url)]` | Where the result is once the task succeeded (an absolute URL or a path below the base URL): `HttpSource` fetches it and its body becomes the output. A permanent HTTP error there makes the task fail (`http_<code>`); a transient one is a transient error. | a string |
//! | `#[status(when = failed)]` | Limits the other roles of the same attribute to these phases (`when = [failed, cancelled]`). | |
//! | `#[status(when_true(a = b))]` | Like `when_set`, when the field is true, a non-zero number, or a non-empty string or list. | any `Serialize` |
//! | `#[status(when_is("value", a = b))]` | Like `when_set`, when the field equals `value`. | any `Serialize` |
//! | `#[status(when_set(a = b, ...))]` | When this field is set (`Some`, or not JSON null) and the status value mapped to `a`, the phase becomes `b`. Rules test the mapped phase, not each other's result; when rules on several fields apply, the last field's wins. | any (`Serialize` unless an `Option`) |
//!
//! `when_set` expresses rules such as Narada's: `input-required` is `needs_input` while
//! `completedAt` is null, and final once it is set:
//!
//! ```ignore
//! #[status(detail = "completedAt", when_set(needs_input = failed))]
//! completed_at: Option<String>,
//! ```
//!
//! # Compile errors
//!
//! Reported at the offending attribute, all at once: no status field; a value mapped to two
//! phases (or twice to one); no final phase mapped; an unknown key (the valid keys are listed,
//! with a suggestion for a likely typo); a type that cannot play its role (a sequence as the
//! status, a string as `percent`, a sequence as `error` …); a duplicated key or role (two
//! `output` fields, `case_insensitive` twice); a malformed template; `output` and `error` on one
//! field; an unknown phase in `unknown` or `when_set`; an unsupported method or auth scheme; a
//! malformed path (`"data..x"`); `when` or `json_string` with no role to apply to;
//! `output_fallback` without `output`; `count` without `total`; an `http_status` field that
//! serde would look for in the body, or that is not a number; a body without `POST`; `{+name}`
//! outside the path; a status value that is not a string, number, boolean or `null`; the
//! derive on an enum, a union or a tuple struct. Beside the errors the derive emits stub impls,
//! so that the mistake is not reported again at every use of the type.
//!
//! # Generated code
//!
//! Paths are absolute (`::poller_core::…`, or the `crate = ...` path), impls are marked
//! `#[automatically_derived]`, and the runtime helpers live in `poller_core::__private`, which
//! is not a public API. Generic structs get the bounds their fields need in the impl's `where`
//! clause.
#![deny(missing_docs)]

mod ast;
mod attr;
mod case;
mod ctxt;
mod expand;
mod fallback;
mod symbol;
mod template;
mod types;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `poller_core::StatusResponse` (and, with `request(...)`, `HttpEndpoint`) for an
/// annotated response struct. See the [crate docs](crate) for every attribute.
#[proc_macro_derive(StatusResponse, attributes(status))]
pub fn derive_status_response(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
