//! Checks the rules that span several keys or fields. Every problem goes to the [`Ctxt`], so
//! all of them are reported at once.

use crate::ast::{Field, Input};
use crate::attr::{Method, Phase, Role};
use crate::ctxt::Ctxt;
use crate::template;
use crate::types::{Kind, classify};
use std::collections::BTreeMap;

pub fn check(cx: &Ctxt, input: &Input) {
    check_container(cx, input);
    check_status_field(cx, input);
    check_roles(cx, input);
    check_pairs(cx, input);
    check_details(cx, input);
}

/// Roles that only make sense with another, or with something on the struct.
fn check_pairs(cx: &Ctxt, input: &Input) {
    if input.role(Role::Output).is_none() {
        for (_, r) in input.roles(Role::OutputFallback) {
            cx.error_spanned_by(
                &r.key,
                "`output_fallback` is read when the output field is unset, but no field is marked `output`; mark the preferred field `output`",
            );
        }
    }
    match (input.role(Role::Count), input.role(Role::Total)) {
        (Some((_, r)), None) => cx.error_spanned_by(
            &r.key,
            "`count` is the part done of a total: mark the field that holds the total `total` (or use `percent` for a number from 0 to 100)",
        ),
        (None, Some((_, r))) => cx.error_spanned_by(
            &r.key,
            "`total` needs the part done beside it: mark the field that holds it `count`",
        ),
        _ => {}
    }
    if let Some((field, r)) = input.role(Role::HttpStatus) {
        if !field.attrs.serde_default {
            cx.error_spanned_by(
                &r.key,
                format!(
                    "the `http_status` field is filled from the response's HTTP status code, not from the body: add `#[serde(skip)]` (or `#[serde(default)]`) to `{}` so that serde does not look for it",
                    field.ident
                ),
            );
        }
    }
}

fn check_container(cx: &Ctxt, input: &Input) {
    let attrs = &input.attrs;
    if let (Some(name), None) = (&attrs.name, &attrs.request) {
        cx.error_spanned_by(
            name,
            "`name` sets `HttpEndpoint::NAME`, which is implemented only with `request(...)`; add `request(path = \"/v1/jobs/{task_id}\", ...)` or remove `name`",
        );
    }
    let Some(request) = &attrs.request else {
        return;
    };
    let mut uses_task_id = false;
    let mut templates_ok = true;
    match &request.path {
        None if attrs.incomplete => {}
        None => cx.error_spanned_by(
            &request.key,
            "`request(...)` needs a `path`, e.g. `request(path = \"/v1/jobs/{task_id}\")`",
        ),
        Some(path) => {
            let value = path.value();
            match template::placeholders(&value) {
                Ok(names) => {
                    uses_task_id |= names.iter().any(|n| n.trim_start_matches('+') == "task_id")
                }
                Err(e) => {
                    templates_ok = false;
                    cx.error_spanned_by(path, e.message(&value));
                }
            }
            if !value.starts_with('/') && !value.is_empty() {
                cx.error_spanned_by(
                    path,
                    format!(
                        "the path is appended to the base URL, so it starts with `/`: write \"/{value}\""
                    ),
                );
            }
            if value.contains(['?', '#']) {
                cx.error_spanned_by(
                    path,
                    "the path cannot hold a query or fragment; put query parameters in `query(name = \"{task_id}\")`",
                );
            }
        }
    }
    for (_, value) in request
        .query
        .iter()
        .chain(&request.body)
        .chain(&request.headers)
    {
        let text = value.value();
        match template::placeholders(&text) {
            Ok(names) => {
                uses_task_id |= names.iter().any(|n| n.trim_start_matches('+') == "task_id");
                if let Some(name) = names.iter().find(|n| n.starts_with('+')) {
                    cx.error_spanned_by(
                        value,
                        format!(
                            "`{{{name}}}` keeps `/` in a path; outside the path every value is sent as it is, so write `{{{}}}`",
                            name.trim_start_matches('+')
                        ),
                    );
                }
            }
            Err(e) => {
                templates_ok = false;
                cx.error_spanned_by(value, e.message(&text));
            }
        }
    }
    if let Some(result) = &request.result {
        let text = result.value();
        if let Err(e) = template::placeholders(&text) {
            cx.error_spanned_by(result, e.message(&text));
        } else if !text.starts_with('/') {
            cx.error_spanned_by(
                result,
                format!("the result path is appended to the base URL, so it starts with `/`: write \"/{text}\""),
            );
        }
    }
    if let (Some((_, value)), Some(Method::Get) | None) = (request.body.first(), request.method) {
        cx.error_spanned_by(
            value,
            "a request body is sent with `method = \"POST\"`; add it to `request(...)`",
        );
    }
    if request.path.is_some() && !uses_task_id && templates_ok && !attrs.incomplete {
        cx.error_spanned_by(
            &request.key,
            "the request never uses `{task_id}`, so every task would fetch the same URL; put `{task_id}` in the path, a query value, a header or a body value where the API expects the task's id",
        );
    }
}

fn check_status_field(cx: &Ctxt, input: &Input) {
    // Only one field may be marked `field`.
    let mut marked = input
        .fields
        .iter()
        .filter_map(|f| f.attrs.role(Role::Status).map(|key| (f, key)));
    if let Some((first, _)) = marked.next() {
        for (_, key) in marked {
            cx.error_spanned_by(
                key,
                format!(
                    "two status fields: `{}` is already marked `field`; mark only the field that holds the status",
                    first.ident
                ),
            );
        }
    }

    let Some(status) = input.status_field() else {
        // A field with mappings is most likely the status field, unmarked: say that, once.
        let mut explained = false;
        for field in &input.fields {
            explained |= misplaced_mapping_keys(cx, field, None);
        }
        // An attribute that could not be read may have held `field`: its error is enough.
        let incomplete = input.fields.iter().any(|f| f.attrs.incomplete);
        if !explained && !incomplete {
            cx.error_spanned_by(
                input.ident,
                "no status field: #[derive(StatusResponse)] needs a field named `status`, or `#[status(field, succeeded = [\"done\"], ...)]` on the field that holds the status",
            );
        }
        return;
    };

    for field in &input.fields {
        if !std::ptr::eq(field.ident, status.ident) {
            misplaced_mapping_keys(cx, field, Some(status));
        }
    }

    // Its type (a status at a path is read as JSON, whatever the field's type).
    let pathed = status
        .attrs
        .role_attr(Role::Status)
        .is_some_and(|r| r.path.is_some());
    let by_code = status.attrs.role(Role::HttpStatus).is_some();
    let maps_null = status
        .attrs
        .mappings
        .iter()
        .any(|m| m.values.iter().any(|v| v.value() == "null"));
    let kind = if pathed {
        Kind::Json
    } else {
        classify(status.ty)
    };
    let kind = match kind {
        Kind::Option(inner) if maps_null || status.attrs.unknown.is_some() || by_code => *inner,
        other => other,
    };
    let key_span = status
        .attrs
        .role(Role::Status)
        .or(status.attrs.role(Role::HttpStatus));
    let wrong = |what: String| match key_span {
        Some(key) => cx.error_spanned_by(key, what),
        None => cx.error_spanned_by(status.ty, what),
    };
    match kind {
        Kind::Number if by_code => {}
        _ if by_code => wrong(format!(
            "`http_status` fills `{}` with the HTTP status code: make it a `u16`",
            status.ident
        )),
        Kind::Text | Kind::Json | Kind::Other | Kind::Number | Kind::Bool => {}
        Kind::Option(_) => wrong(format!(
            "the status field must be a `String` or an enum deriving `Serialize`, but `{}` is an Option: a body without a status cannot be mapped to a phase; use `String` (with `#[serde(default)]` if the key can be missing)",
            status.ident
        )),
        other => wrong(format!(
            "the status field must be a `String` or an enum deriving `Serialize` (its serde string form is the raw status), but `{}` is {}",
            status.ident,
            other.describe()
        )),
    }

    // Its mappings: every value once, and at least one final phase.
    let ci = status.attrs.case_insensitive.is_some();
    let mut seen: BTreeMap<String, (Phase, String)> = BTreeMap::new();
    for mapping in &status.attrs.mappings {
        for lit in &mapping.values {
            let value = lit.value();
            let key = if ci {
                value.to_lowercase()
            } else {
                value.clone()
            };
            match seen.get(&key) {
                Some((phase, first)) if *phase == mapping.phase => cx.error_spanned_by(
                    lit,
                    format!(
                        "{value:?} is listed twice under `{}`{}; remove one",
                        phase.key(),
                        same_when_ci(ci, first, &value)
                    ),
                ),
                Some((phase, first)) => cx.error_spanned_by(
                    lit,
                    format!(
                        "{value:?} is mapped to two phases: it is already under `{}`{}; a status value maps to one phase (use `when_set` on another field to change the phase depending on that field)",
                        phase.key(),
                        same_when_ci(ci, first, &value)
                    ),
                ),
                None => {
                    seen.insert(key, (mapping.phase, value));
                }
            }
        }
    }
    let any_final = status
        .attrs
        .mappings
        .iter()
        .any(|m| m.phase.is_final() && !m.values.is_empty());
    if !any_final && !status.attrs.incomplete {
        let msg = "no final phase is mapped, so a wait would never end: map the status values that mean the task is over to `succeeded`, `failed` or `cancelled`, e.g. `#[status(succeeded = [\"done\"], failed = [\"error\"])]`";
        match status.attrs.attr {
            Some(attr) => cx.error_spanned_by(attr, msg),
            None => cx.error_spanned_by(status.ident, msg),
        }
    }
}

fn same_when_ci(ci: bool, first: &str, value: &str) -> String {
    if ci && first != value {
        format!(" as {first:?} (`case_insensitive` makes them the same)")
    } else {
        String::new()
    }
}

/// Phase mappings, `case_insensitive` and `unknown` belong on the status field only. Reports
/// once per field, at its first such key; `true` when it reported.
fn misplaced_mapping_keys(cx: &Ctxt, field: &Field, status: Option<&Field>) -> bool {
    let attrs = &field.attrs;
    let first = attrs
        .mappings
        .iter()
        .map(|m| &m.key)
        .chain(attrs.case_insensitive.as_ref())
        .chain(attrs.unknown.as_ref().map(|(key, _)| key))
        .next();
    let Some(key) = first else {
        return false;
    };
    let k = quote::quote!(#key).to_string();
    let msg = match status {
        Some(status) => format!(
            "`{k}` belongs on the status field, which is `{}`; to make `{}` the status field instead, mark it `#[status(field, ...)]`",
            status.ident, field.ident
        ),
        None => format!(
            "`{}` is not the status field (that is a field named `status`, or the one marked `field`); add `field` to make it the status field: `#[status(field, {k} = ...)]`",
            field.ident
        ),
    };
    cx.error_spanned_by(key, msg);
    true
}

fn check_roles(cx: &Ctxt, input: &Input) {
    let mut owner: BTreeMap<&'static str, &syn::Ident> = BTreeMap::new();
    for field in &input.fields {
        let is_status = input.is_status(field);
        // One role per field, among the roles that read the whole field (`detail`,
        // `when_set` and roles read at a path combine with any).
        let mut roles: Vec<(Role, Option<&syn::Path>)> = Vec::new();
        let marked_status = field.attrs.role(Role::Status).is_some()
            || field.attrs.role(Role::HttpStatus).is_some();
        if is_status && !marked_status {
            roles.push((Role::Status, None));
        }
        roles.extend(
            field
                .attrs
                .roles
                .iter()
                .filter(|r| r.path.is_none())
                .map(|r| (r.role, Some(&r.key))),
        );
        if let Some((first, _)) = roles.first() {
            for (role, key) in &roles[1..] {
                let Some(key) = key else { continue };
                let msg = if matches!(
                    (first, role),
                    (Role::Output, Role::Error) | (Role::Error, Role::Output)
                ) {
                    format!(
                        "`output` and `error` cannot mark the same field: the output is what the task produced, the error what went wrong; mark `{}` as one of them and put the other on its own field",
                        field.ident
                    )
                } else if matches!(first, Role::Status | Role::HttpStatus) {
                    format!(
                        "`{}` is the status field, so it cannot also be `{}`; put `{}` on another field",
                        field.ident,
                        role.key(),
                        role.key()
                    )
                } else {
                    format!(
                        "`{}` and `{}` cannot mark the same field: each field has one role (only `detail`, `when_set` and roles read at a path such as `{} = \"data.x\"` combine with others)",
                        first.key(),
                        role.key(),
                        role.key()
                    )
                };
                cx.error_spanned_by(key, msg);
            }
        }
        // One field per role (`output_fallback` may be on several, tried in order).
        for r in &field.attrs.roles {
            if matches!(r.role, Role::Status | Role::HttpStatus) {
                continue; // checked in check_status_field
            }
            if r.role != Role::OutputFallback {
                match owner.get(r.role.key()) {
                    Some(first) => cx.error_spanned_by(
                        &r.key,
                        format!(
                            "duplicate `{}`: `{first}` is already the {} field; mark only one field `{}`",
                            r.role.key(),
                            r.role.key(),
                            r.role.key()
                        ),
                    ),
                    None => {
                        owner.insert(r.role.key(), field.ident);
                    }
                }
            }
            if r.path.is_none() {
                check_type(cx, field, r.role, &r.key);
            }
        }
    }
}

fn check_type(cx: &Ctxt, field: &Field, role: Role, key: &syn::Path) {
    let kind = classify(field.ty);
    let inner = kind.unwrap_option();
    let (ok, expects): (bool, &str) = match role {
        Role::Status | Role::HttpStatus | Role::Output | Role::OutputFallback => return,
        Role::Error => (
            matches!(inner, Kind::Text | Kind::Json | Kind::Map | Kind::Other),
            "the error message (`String` or `Option<String>`) or an error object with `message` and `code` keys (`serde_json::Value` or a type deriving `Serialize`)",
        ),
        Role::ErrorCode => (
            matches!(inner, Kind::Text | Kind::Number | Kind::Json | Kind::Other),
            "an error code (`String`, a number, or an Option of one)",
        ),
        Role::Percent => (
            matches!(inner, Kind::Number | Kind::Json | Kind::Other),
            "a number from 0 to 100 (any integer or float type, or an Option of one)",
        ),
        Role::Progress => (
            matches!(inner, Kind::Number | Kind::Json | Kind::Other),
            "a fraction from 0 to 1 (`f32`, `f64`, or an Option of one)",
        ),
        Role::Count | Role::Total => (
            matches!(inner, Kind::Number | Kind::Json | Kind::Other),
            "a count (any integer or float type, or an Option of one)",
        ),
        Role::ResultUrl => (
            matches!(inner, Kind::Text | Kind::Json | Kind::Other),
            "the result's URL (`String` or `Option<String>`)",
        ),
        Role::RetryAfterSecs => (
            matches!(inner, Kind::Number | Kind::Json | Kind::Other),
            "a number of seconds (any integer or float type, or an Option of one)",
        ),
        Role::Step => (
            matches!(inner, Kind::Text | Kind::Number | Kind::Json | Kind::Other),
            "the current step as text (`String` or `Option<String>`)",
        ),
        Role::Events => (
            matches!(inner, Kind::Sequence | Kind::Json | Kind::Other),
            "a list of events (`Vec<T>` or `Option<Vec<T>>` where `T: Serialize`, e.g. `Vec<serde_json::Value>`)",
        ),
    };
    if !ok {
        let hint = match (role, inner) {
            (Role::Percent | Role::Progress, Kind::Text) => {
                "; for a text description of progress use `step`"
            }
            (Role::Error, Kind::Sequence) => {
                "; if the API returns a list of errors, keep it as a `detail`"
            }
            _ => "",
        };
        cx.error_spanned_by(
            key,
            format!(
                "`{}` expects {expects}, but `{}` is {}{hint}",
                role.key(),
                field.ident,
                inner.describe()
            ),
        );
    }
}

fn check_details(cx: &Ctxt, input: &Input) {
    let mut names: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for field in &input.fields {
        let (Some(detail), Some(name)) = (&field.attrs.detail, Input::detail_name(field)) else {
            continue;
        };
        if let Some(first) = names.get(&name) {
            let span: &dyn quote::ToTokens = match &detail.name {
                Some(lit) => lit,
                None => &detail.key,
            };
            cx.error_spanned_by(
                span,
                format!(
                    "two details named {name:?} (`{first}` and `{}`); give one another name with `detail = \"other_name\"`",
                    field.ident
                ),
            );
        } else {
            names.insert(name, field.ident);
        }
    }
}
