//! Behaviour of `#[derive(StatusResponse)]`: each attribute against real JSON bodies, the
//! generated `RequestSpec`s, a re-exported crate path, and an `HttpSource` against a live server.
#![cfg(feature = "derive")]

use poller_core::{
    Auth, FetchError, HttpEndpoint, HttpMethod, Phase, ProgressEvent, RemoteError, RequestSpec,
    Status, StatusResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

fn parse<T: StatusResponse + serde::de::DeserializeOwned>(
    body: Value,
) -> Result<Status<T::Output>, FetchError> {
    T::parse(body.to_string().as_bytes())
}

// ---------------------------------------------------------------------------------------------
// The example from the design: Narada's status endpoint.

#[derive(Debug, Deserialize, StatusResponse)]
#[status(
    name = "narada",
    request(
        method = "GET",
        path = "/fast/v2/remote-dispatch/responses/{task_id}",
        query(job_id = "{task_id}"),
        auth = header("x-api-key"),
    ),
)]
#[serde(rename_all = "camelCase")]
struct NaradaStatus {
    #[status(
        queued = ["pending"],
        running = ["running", "in_progress"],
        needs_input = ["input-required"],
        succeeded = ["success"],
        failed = ["error"],
    )]
    status: String,
    #[status(output)]
    response: Option<Value>,
    #[status(error)]
    error: Option<String>,
    #[status(detail)]
    usage: Option<Value>,
    #[status(detail = "completedAt", when_set(needs_input = failed))]
    completed_at: Option<String>,
}

#[test]
fn narada_maps_every_documented_value() {
    let cases = [
        ("pending", Phase::Queued),
        ("running", Phase::Running),
        ("in_progress", Phase::Running),
        ("input-required", Phase::NeedsInput),
        ("success", Phase::Succeeded),
        ("error", Phase::Failed),
    ];
    for (raw, phase) in cases {
        let s = parse::<NaradaStatus>(json!({ "status": raw })).unwrap();
        assert_eq!(s.phase, phase, "{raw}");
        assert_eq!(s.raw_status, raw);
        assert!(s.output.is_none() && s.error.is_none() && s.progress.is_none());
        assert!(s.details.is_empty(), "null details are left out");
    }
}

#[test]
fn narada_success_keeps_output_and_details() {
    let s = parse::<NaradaStatus>(json!({
        "status": "success",
        "response": { "text": "done" },
        "usage": { "actions": 3, "credits": 0.5 },
        "completedAt": "2025-01-15T10:30:00Z",
    }))
    .unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.output, Some(json!({ "text": "done" })));
    assert_eq!(s.details["usage"], json!({ "actions": 3, "credits": 0.5 }));
    assert_eq!(s.details["completedAt"], "2025-01-15T10:30:00Z");
}

#[test]
fn narada_error_is_a_remote_error() {
    let s =
        parse::<NaradaStatus>(json!({ "status": "error", "error": "browser crashed" })).unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert_eq!(s.error, Some(RemoteError::new("browser crashed")));
}

#[test]
fn when_set_makes_input_required_final_once_completed() {
    let open = parse::<NaradaStatus>(json!({ "status": "input-required", "completedAt": null }));
    assert_eq!(open.unwrap().phase, Phase::NeedsInput);
    let closed = parse::<NaradaStatus>(json!({
        "status": "input-required",
        "completedAt": "2025-01-15T10:30:00Z",
    }))
    .unwrap();
    assert_eq!(closed.phase, Phase::Failed);
    assert_eq!(
        closed.raw_status, "input-required",
        "the raw status is kept"
    );
    // `when_set` only rewrites the phase it names.
    let running =
        parse::<NaradaStatus>(json!({ "status": "running", "completedAt": "x" })).unwrap();
    assert_eq!(running.phase, Phase::Running);
}

#[test]
fn narada_request_spec() {
    assert_eq!(NaradaStatus::NAME, "narada");
    assert_eq!(
        NaradaStatus::REQUEST,
        RequestSpec {
            method: HttpMethod::Get,
            path: "/fast/v2/remote-dispatch/responses/{task_id}",
            query: &[("job_id", "{task_id}")],
            auth: Auth::Header("x-api-key"),
            params: &[],
            ..RequestSpec::GET
        }
    );
}

#[test]
fn unmapped_value_is_an_error_naming_it() {
    let err = parse::<NaradaStatus>(json!({ "status": "exploded" })).unwrap_err();
    assert_eq!(
        err,
        FetchError::UnknownStatus {
            value: "exploded".into()
        }
    );
    assert!(err.to_string().contains("\"exploded\""));
    assert!(err.is_permanent());
}

#[test]
fn malformed_and_truncated_bodies_are_decode_errors() {
    let err = NaradaStatus::parse(b"<html>502</html>").unwrap_err();
    assert!(matches!(err, FetchError::Decode { .. }) && err.is_permanent());
    let err = NaradaStatus::parse(br#"{"status": "runn"#).unwrap_err();
    assert!(err.is_transient());
}

// ---------------------------------------------------------------------------------------------
// The status field.

#[derive(Deserialize, StatusResponse)]
struct Unknown {
    #[status(succeeded = ["done"], unknown = running)]
    status: String,
}

#[test]
fn unknown_maps_unmapped_values() {
    let s = parse::<Unknown>(json!({ "status": "warming-up" })).unwrap();
    assert_eq!(s.phase, Phase::Running);
    assert_eq!(s.raw_status, "warming-up");
    assert_eq!(
        parse::<Unknown>(json!({ "status": "done" })).unwrap().phase,
        Phase::Succeeded
    );
}

#[derive(Deserialize, StatusResponse)]
struct CaseInsensitive {
    #[status(running = ["Running"], succeeded = ["DONE"], case_insensitive)]
    status: String,
}

#[test]
fn case_insensitive_matches_any_case_and_keeps_the_raw_value() {
    for raw in ["done", "Done", "DONE"] {
        let s = parse::<CaseInsensitive>(json!({ "status": raw })).unwrap();
        assert_eq!(s.phase, Phase::Succeeded);
        assert_eq!(s.raw_status, raw);
    }
    assert_eq!(
        parse::<CaseInsensitive>(json!({ "status": "RUNNING" }))
            .unwrap()
            .phase,
        Phase::Running
    );
    let err = parse::<CaseInsensitive>(json!({ "status": "Exploded" })).unwrap_err();
    assert_eq!(
        err,
        FetchError::UnknownStatus {
            value: "Exploded".into()
        },
        "the error names the value as received, not lower-cased"
    );
}

#[derive(Deserialize, StatusResponse)]
struct CaseSensitive {
    #[status(succeeded = ["DONE"])]
    status: String,
}

#[test]
fn values_are_case_sensitive_by_default() {
    assert!(parse::<CaseSensitive>(json!({ "status": "done" })).is_err());
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum JobState {
    Queued,
    InProgress,
    Done,
    #[serde(rename = "error")]
    Failed,
}

#[derive(Deserialize, StatusResponse)]
struct EnumStatus {
    #[status(field, queued = ["QUEUED"], running = ["IN_PROGRESS"], succeeded = ["DONE"], failed = ["error"])]
    state: JobState,
}

#[test]
fn user_enum_status_maps_its_serde_string_form() {
    let cases = [
        ("QUEUED", Phase::Queued),
        ("IN_PROGRESS", Phase::Running),
        ("DONE", Phase::Succeeded),
        ("error", Phase::Failed),
    ];
    for (raw, phase) in cases {
        let s = parse::<EnumStatus>(json!({ "state": raw })).unwrap();
        assert_eq!((s.phase, s.raw_status.as_str()), (phase, raw));
    }
    // A value the enum does not know fails in serde, as a decode error.
    let err = parse::<EnumStatus>(json!({ "state": "NEW" })).unwrap_err();
    assert!(matches!(err, FetchError::Decode { .. }));
}

#[derive(Deserialize, StatusResponse)]
struct Marked {
    /// A field named `status` that is not the status.
    #[allow(dead_code)]
    status: u16,
    #[status(field, succeeded = "ok")]
    state: String,
}

#[test]
fn field_marks_the_status_field_even_beside_a_field_named_status() {
    let s = parse::<Marked>(json!({ "status": 200, "state": "ok" })).unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.raw_status, "ok");
}

#[derive(Deserialize, StatusResponse)]
struct JsonStatus {
    #[status(succeeded = ["done"])]
    status: Value,
}

#[test]
fn a_json_status_is_a_scalar_at_run_time() {
    assert!(parse::<JsonStatus>(json!({ "status": "done" })).is_ok());
    // Numbers, booleans and null are status values (their JSON text), mapped or not.
    for (value, text) in [
        (json!(3), "3"),
        (json!(true), "true"),
        (json!(null), "null"),
    ] {
        let err = parse::<JsonStatus>(json!({ "status": value })).unwrap_err();
        assert_eq!(err, FetchError::unknown_status(text), "{value}");
    }
    // An object or a list is not: the error names the field and shows its value.
    let err = parse::<JsonStatus>(json!({ "status": {"state": "done"} })).unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(
        err.to_string(),
        r#"the status field `status` holds an object, not a status value: {"state":"done"}"#
    );
}

#[derive(Deserialize, StatusResponse)]
struct AllPhases {
    #[status(
        queued = "q",
        running = ["r", "r2"],
        needs_input = ["n"],
        paused = ["p"],
        succeeded = ["s"],
        failed = ["f"],
        cancelled = ["c"],
    )]
    status: String,
    #[status(when_set(paused = cancelled, running = needs_input, needs_input = succeeded))]
    stop: Value,
}

#[test]
fn every_phase_and_when_set_on_a_json_field() {
    let cases = [
        ("q", Phase::Queued),
        ("r", Phase::Running),
        ("r2", Phase::Running),
        ("n", Phase::NeedsInput),
        ("p", Phase::Paused),
        ("s", Phase::Succeeded),
        ("f", Phase::Failed),
        ("c", Phase::Cancelled),
    ];
    for (raw, phase) in cases {
        let s = parse::<AllPhases>(json!({ "status": raw, "stop": null })).unwrap();
        assert_eq!(s.phase, phase, "{raw}");
    }
    let s = parse::<AllPhases>(json!({ "status": "p", "stop": { "by": "user" } })).unwrap();
    assert_eq!(s.phase, Phase::Cancelled);
    let s = parse::<AllPhases>(json!({ "status": "r", "stop": false })).unwrap();
    assert_eq!(
        s.phase,
        Phase::NeedsInput,
        "false is set (only null is unset), and rules test the mapped phase, so no chaining"
    );
    let s = parse::<AllPhases>(json!({ "status": "n", "stop": 1 })).unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
}

// ---------------------------------------------------------------------------------------------
// Output.

#[derive(Deserialize, StatusResponse)]
struct RequiredOutput {
    #[status(succeeded = ["done"], running = ["running"])]
    status: String,
    #[status(output)]
    count: u32,
}

#[derive(Deserialize, StatusResponse)]
struct NoOutput {
    #[status(succeeded = ["done"])]
    status: String,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Image {
    url: String,
}

#[derive(Deserialize, StatusResponse)]
struct TypedOutput {
    #[status(succeeded = ["done"], running = ["running"])]
    status: String,
    #[status(output)]
    images: Option<Vec<Image>>,
}

#[test]
fn output_types() {
    let s: Status<u32> = parse::<RequiredOutput>(json!({ "status": "done", "count": 7 })).unwrap();
    assert_eq!(s.output, Some(7));
    let s: Status<()> = parse::<NoOutput>(json!({ "status": "done", "extra": 1 })).unwrap();
    assert_eq!(s.output, None);
    let s: Status<Vec<Image>> = parse::<TypedOutput>(json!({
        "status": "done",
        "images": [{ "url": "https://x/1.png" }],
    }))
    .unwrap();
    assert_eq!(
        s.output,
        Some(vec![Image {
            url: "https://x/1.png".into()
        }])
    );
    let s = parse::<TypedOutput>(json!({ "status": "running" })).unwrap();
    assert_eq!(s.output, None);
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[derive(Deserialize, StatusResponse)]
struct ObjectError {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(error)]
    error: Option<Value>,
}

#[derive(Serialize, Deserialize)]
struct ApiError {
    code: u32,
    message: String,
}

#[derive(Deserialize, StatusResponse)]
struct TypedError {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(error)]
    error: Option<ApiError>,
}

#[derive(Deserialize, StatusResponse)]
struct SplitError {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(error)]
    message: Option<String>,
    #[status(error_code)]
    code: Option<String>,
}

#[derive(Deserialize, StatusResponse)]
struct CodeOnly {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(error_code)]
    code: Option<i64>,
}

#[test]
fn error_from_an_object_takes_message_and_code() {
    let s = parse::<ObjectError>(json!({
        "status": "failed",
        "error": { "code": "timeoutProvider", "message": "the provider timed out" },
    }))
    .unwrap();
    assert_eq!(
        s.error,
        Some(RemoteError::new("the provider timed out").with_code("timeoutProvider"))
    );
    let s = parse::<ObjectError>(json!({ "status": "failed", "error": "plain text" })).unwrap();
    assert_eq!(s.error, Some(RemoteError::new("plain text")));
    let s = parse::<ObjectError>(json!({ "status": "done", "error": null })).unwrap();
    assert_eq!(s.error, None);
}

#[test]
fn error_from_a_user_type() {
    let s = parse::<TypedError>(json!({
        "status": "failed",
        "error": { "code": 13, "message": "disk full" },
    }))
    .unwrap();
    assert_eq!(s.error, Some(RemoteError::new("disk full").with_code("13")));
}

#[test]
fn error_code_from_its_own_field() {
    let s =
        parse::<SplitError>(json!({ "status": "failed", "message": "no", "code": "E42" })).unwrap();
    assert_eq!(s.error, Some(RemoteError::new("no").with_code("E42")));
    let s =
        parse::<SplitError>(json!({ "status": "failed", "message": "", "code": null })).unwrap();
    assert_eq!(s.error, None, "an empty message is no error");
    let s = parse::<CodeOnly>(json!({ "status": "failed", "code": 7 })).unwrap();
    assert_eq!(s.error, Some(RemoteError::new("7").with_code("7")));
    let s = parse::<CodeOnly>(json!({ "status": "done", "code": 0 })).unwrap();
    assert_eq!(s.error, None, "a code alone is an error only on failure");
}

// ---------------------------------------------------------------------------------------------
// Progress and hints.

#[derive(Deserialize, StatusResponse)]
struct Percent {
    #[status(running = ["running"], succeeded = ["done"])]
    status: String,
    #[status(percent)]
    pct: u8,
    #[status(step)]
    current_step: Option<String>,
    #[status(retry_after_secs)]
    retry: Option<u64>,
}

#[derive(Deserialize, StatusResponse)]
struct Fraction {
    #[status(running = ["running"], succeeded = ["done"])]
    status: String,
    #[status(progress)]
    frac: Option<f64>,
}

#[test]
fn percent_step_and_retry_after() {
    let s = parse::<Percent>(json!({
        "status": "running",
        "pct": 40,
        "current_step": "Filling email field",
        "retry": 3,
    }))
    .unwrap();
    let p = s.progress.unwrap();
    assert_eq!(p.percent, Some(40.0));
    assert_eq!(p.step.as_deref(), Some("Filling email field"));
    assert_eq!(s.retry_after, Some(Duration::from_secs(3)));
    let s =
        parse::<Percent>(json!({ "status": "running", "pct": 0, "current_step": null })).unwrap();
    assert_eq!(s.progress.unwrap().step, None);
    assert_eq!(s.retry_after, None);
}

#[test]
fn progress_is_a_fraction_stored_as_percent() {
    let s = parse::<Fraction>(json!({ "status": "running", "frac": 0.4 })).unwrap();
    assert_eq!(s.progress.unwrap().percent, Some(40.0));
    let s = parse::<Fraction>(json!({ "status": "running", "frac": null })).unwrap();
    assert_eq!(s.progress, None, "no progress reported, no progress kept");
}

#[derive(Deserialize, StatusResponse)]
struct Events {
    #[status(running = ["running"], succeeded = ["done"])]
    status: String,
    #[status(events)]
    events: Option<Vec<Value>>,
}

#[derive(Serialize, Deserialize)]
struct DariEvent {
    event_type: String,
    message: String,
    timestamp: String,
}

#[derive(Deserialize, StatusResponse)]
struct TypedEvents {
    #[status(running = ["running"], succeeded = ["done"])]
    status: String,
    #[status(events)]
    history: Vec<DariEvent>,
}

#[test]
fn events_become_progress_events() {
    let s = parse::<Events>(json!({
        "status": "running",
        "events": [
            { "event_type": "started", "message": "Job started", "timestamp": "2025-01-15T10:30:00Z" },
            { "type": "step_completed", "message": "Filled first name", "time": "t2", "data": { "step": 1 } },
            { "kind": "note", "created_at": "t3" },
        ],
    }))
    .unwrap();
    let events = s.progress.unwrap().events;
    assert_eq!(
        events,
        vec![
            ProgressEvent::new("started")
                .with_message("Job started")
                .with_timestamp("2025-01-15T10:30:00Z"),
            ProgressEvent::new("step_completed")
                .with_message("Filled first name")
                .with_timestamp("t2")
                .with_data(json!({ "step": 1 })),
            ProgressEvent::new("note").with_timestamp("t3"),
        ]
    );
    let s = parse::<Events>(json!({ "status": "running", "events": null })).unwrap();
    assert!(s.progress.is_none());
}

#[test]
fn events_from_a_user_type() {
    let s = parse::<TypedEvents>(json!({
        "status": "done",
        "history": [{ "event_type": "completed", "message": "ok", "timestamp": "t" }],
    }))
    .unwrap();
    let events = s.progress.unwrap().events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "completed");
}

// ---------------------------------------------------------------------------------------------
// Details follow serde's names.

#[derive(Deserialize, StatusResponse)]
#[serde(rename_all = "kebab-case")]
struct Details {
    #[status(succeeded = ["done"])]
    status: String,
    #[status(detail)]
    total_cost_usd: f64,
    #[serde(rename = "StatusCode")]
    #[status(detail)]
    status_code: Option<u16>,
    #[status(detail = "cost")]
    #[serde(rename = "x")]
    other: u8,
}

#[test]
fn details_use_the_json_names() {
    let s = parse::<Details>(json!({
        "status": "done",
        "total-cost-usd": 0.12,
        "StatusCode": 200,
        "x": 3,
    }))
    .unwrap();
    assert_eq!(s.details["total-cost-usd"], 0.12);
    assert_eq!(s.details["StatusCode"], 200);
    assert_eq!(s.details["cost"], 3);
    assert_eq!(s.details.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Requests.

#[derive(Deserialize, StatusResponse)]
#[status(request(
    method = "POST",
    path = "/task/{org_id}/{endpoint_name}/status",
    query(job_id = "{task_id}", "api-version" = "{version}", again = "{org_id}"),
    auth = bearer,
))]
struct VesslLike {
    #[status(succeeded = ["completed"])]
    status: String,
}

#[derive(Deserialize, StatusResponse)]
#[status(request(path = "/v1/jobs/{task_id}", auth = none))]
struct HTTPJobStatus {
    #[status(succeeded = ["done"])]
    status: String,
}

#[derive(Deserialize, StatusResponse)]
#[status(request(path = "/v1/jobs/{task_id}"))]
struct Defaults {
    #[status(succeeded = ["done"])]
    status: String,
}

#[test]
fn request_specs() {
    assert_eq!(VesslLike::NAME, "vessl_like");
    assert_eq!(
        VesslLike::REQUEST,
        RequestSpec {
            method: HttpMethod::Post,
            path: "/task/{org_id}/{endpoint_name}/status",
            query: &[
                ("job_id", "{task_id}"),
                ("api-version", "{version}"),
                ("again", "{org_id}")
            ],
            auth: Auth::Bearer,
            params: &["org_id", "endpoint_name", "version"],
            ..RequestSpec::GET
        }
    );
    assert_eq!(HTTPJobStatus::NAME, "http_job_status");
    assert_eq!(HTTPJobStatus::REQUEST.auth, Auth::None);
    assert_eq!(
        Defaults::REQUEST,
        RequestSpec {
            method: HttpMethod::Get,
            path: "/v1/jobs/{task_id}",
            query: &[],
            auth: Auth::Bearer,
            params: &[],
            ..RequestSpec::GET
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Generated code goes through a re-exported crate path.

mod reexport {
    pub use poller_core as pc;
}

mod not_poller_core {
    // Nothing named `poller_core` here: the generated code must use the `crate` path only.
    #[derive(serde::Deserialize, crate::reexport::pc::StatusResponse)]
    #[status(
        crate = crate::reexport::pc,
        name = "via_reexport",
        request(path = "/x/{task_id}")
    )]
    pub struct ViaReexport {
        #[status(succeeded = ["done"], running = ["running"])]
        pub status: String,
        #[status(output)]
        pub out: Option<u8>,
        #[status(percent)]
        pub pct: Option<f32>,
        #[status(detail, when_set(running = succeeded))]
        pub finished: Option<bool>,
    }
}

#[derive(Deserialize, StatusResponse)]
#[status(crate = reexport::pc)]
struct ViaRelativePath {
    #[status(succeeded = ["done"])]
    status: String,
}

#[test]
fn crate_path_through_a_reexport() {
    use not_poller_core::ViaReexport;
    let s = parse::<ViaReexport>(
        json!({ "status": "running", "out": 3, "pct": 50.0, "finished": true }),
    )
    .unwrap();
    assert_eq!(s.phase, Phase::Succeeded);
    assert_eq!(s.output, Some(3));
    assert_eq!(s.details["finished"], true);
    assert_eq!(ViaReexport::NAME, "via_reexport");
    assert!(parse::<ViaRelativePath>(json!({ "status": "done" })).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Generic structs get the bounds their fields need.

#[derive(Deserialize, StatusResponse)]
#[status(request(path = "/g/{task_id}"))]
struct Generic<T, E> {
    #[status(succeeded = ["done"], failed = ["failed"])]
    status: String,
    #[status(output)]
    result: Option<T>,
    #[status(error)]
    error: Option<E>,
}

#[test]
fn generic_structs() {
    let s =
        parse::<Generic<Vec<u8>, String>>(json!({ "status": "done", "result": [1, 2] })).unwrap();
    assert_eq!(s.output, Some(vec![1, 2]));
    let s = parse::<Generic<(), Value>>(json!({ "status": "failed", "error": { "message": "m" } }))
        .unwrap();
    assert_eq!(s.error.unwrap().message, "m");
    assert_eq!(Generic::<u8, String>::NAME, "generic");
}

// The roles added for real APIs, on a generic struct: paths, fallbacks, counts, phase limits,
// rules on values, the HTTP code and a result step all get the bounds they need.

#[derive(Deserialize, StatusResponse)]
#[status(
    request(path = "/g/{task_id}", result = "/g/{task_id}/result"),
    failed_message = "`{status}` and no reason"
)]
struct GenericShapes<T, C, F> {
    #[status(http_status, running = [202], succeeded = [200], failed = [500])]
    #[serde(skip)]
    code: u16,
    #[status(output)]
    result: Option<T>,
    #[status(output_fallback)]
    partial: Option<F>,
    #[status(count = "done", total = "all")]
    #[status(error = "why", when = failed)]
    info: Option<Value>,
    #[status(when_is("BLOCKED", succeeded = failed))]
    flag: Option<C>,
}

type Shapes = GenericShapes<Vec<u8>, String, Value>;

#[test]
fn new_roles_on_a_generic_struct() {
    let s =
        Shapes::parse_http(202, br#"{"info": {"done": 1, "all": 4, "why": "ignored"}}"#).unwrap();
    assert_eq!((s.phase, s.error), (Phase::Running, None));
    assert_eq!(s.progress.unwrap().percent, Some(25.0));
    let s = Shapes::parse_http(200, br#"{"partial": [7]}"#).unwrap();
    assert_eq!((s.phase, s.output), (Phase::Succeeded, Some(vec![7])));
    let s = Shapes::parse_http(
        200,
        br#"{"result": [1], "partial": [7], "flag": "BLOCKED"}"#,
    )
    .unwrap();
    assert_eq!((s.phase, s.output), (Phase::Failed, Some(vec![1])));
    assert_eq!(s.error.unwrap().message, "`200` and no reason");
    let s = Shapes::parse_http(500, br#"{"info": {"why": "disk full"}}"#).unwrap();
    assert_eq!(s.error.unwrap().message, "disk full");
    assert_eq!(Shapes::parse_result(b"[3, 4]").unwrap(), vec![3, 4]);
    assert!(Shapes::parse_result(b"not json").is_err());
    // A fallback that does not fit the output type is a permanent error naming the field.
    let err = Shapes::parse_http(200, br#"{"partial": "text"}"#).unwrap_err();
    assert!(err.is_permanent());
    assert!(
        err.to_string()
            .contains("`partial` does not fit the output type"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// HttpSource against a live server: path parameters and the task id are single
// percent-encoded segments, the query is form-encoded, and the key travels in its header.

#[cfg(feature = "http")]
mod live {
    use super::*;
    use axum::extract::State;
    use axum::http::{HeaderMap, Uri};
    use poller_core::{Fixed, HttpSource, PollPolicyExt, Poller, StatusSource};
    use std::sync::{Arc, Mutex};

    #[derive(Debug, Deserialize, StatusResponse)]
    #[status(
        name = "remote",
        request(
            path = "/v1/{org_id}/jobs/{task_id}",
            query(job = "{task_id}"),
            auth = header("x-api-key"),
        )
    )]
    struct Remote {
        #[status(running = ["running"], succeeded = ["done"])]
        status: String,
        #[status(output)]
        result: Option<String>,
        #[status(progress)]
        progress: Option<f64>,
    }

    type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

    async fn handler(State(seen): State<Seen>, uri: Uri, headers: HeaderMap) -> String {
        let mut seen = seen.lock().unwrap();
        seen.push((
            uri.path().to_owned(),
            uri.query().map(str::to_owned),
            headers
                .get("x-api-key")
                .map(|v| v.to_str().unwrap().to_owned()),
        ));
        if seen.len() < 2 {
            json!({ "status": "running", "progress": 0.5 }).to_string()
        } else {
            json!({ "status": "done", "result": "ok" }).to_string()
        }
    }

    #[tokio::test]
    async fn http_source_encodes_segments_and_sends_the_key() {
        let seen: Seen = Arc::default();
        let app = axum::Router::new()
            .fallback(handler)
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let source = HttpSource::<Remote>::new(&format!("http://{addr}/api"), "sk-secret")
            .unwrap()
            .param("org_id", "my org/../x");
        assert_eq!(source.name(), "remote");

        let first = source.fetch("a/b c?d#e").await.unwrap();
        assert_eq!(first.phase, Phase::Running);
        assert_eq!(first.progress.unwrap().percent, Some(50.0));

        let report = Poller::new(
            source,
            Fixed::new(Duration::from_millis(10)).with_deadline(Duration::from_secs(10)),
        )
        .wait("job 2")
        .await;
        let status = report.outcome.into_last_status().unwrap();
        assert_eq!(status.phase, Phase::Succeeded);
        assert_eq!(status.output.as_deref(), Some("ok"));

        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        let (path, query, key) = &seen[0];
        assert_eq!(path, "/api/v1/my%20org%2F..%2Fx/jobs/a%2Fb%20c%3Fd%23e");
        assert_eq!(query.as_deref(), Some("job=a%2Fb+c%3Fd%23e"));
        assert_eq!(key.as_deref(), Some("sk-secret"));
        let (path, query, _) = &seen[1];
        assert_eq!(path, "/api/v1/my%20org%2F..%2Fx/jobs/job%202");
        assert_eq!(query.as_deref(), Some("job=job+2"));
        server.abort();
    }

    /// The WHATWG URL parser (the `url` crate) treats `%2e%2e` as a `..` segment and removes
    /// it with the segment before, so no escaping keeps a task id `..` in place: it is refused.
    #[test]
    fn dot_segments_cannot_leave_their_segment() {
        let source = HttpSource::<Remote>::new("https://h/api", "k")
            .unwrap()
            .param("org_id", "o");
        for id in ["..", "."] {
            let url = source.url_for(id);
            assert!(url.is_err(), "{id:?} gave {url:?}");
        }
        let url = source.url_for("..x").unwrap();
        assert_eq!(url.path(), "/api/v1/o/jobs/..x");
    }
}
