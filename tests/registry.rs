//! The provider registry as a binary that only names `poller_providers` sees it: the four
//! providers are found through `inventory` (the crate is linked because of the `use` below,
//! and for no other reason), sorted, and their configuration mistakes are clear errors.

// Without this line the providers crate is not linked and `providers()` is empty.
use poller_providers as _;

use poller_core::{ConfigError, PollPolicy, SourceConfig, provider, providers};

#[test]
fn all_four_are_found_sorted_by_name() {
    let names: Vec<&str> = providers().iter().map(|p| p.name).collect();
    assert_eq!(names, ["dari", "narada", "runware", "vessl"]);
}

#[test]
fn entries_carry_their_documented_defaults() {
    let narada = provider("narada").unwrap();
    assert_eq!(narada.default_base_url, Some("https://api.narada.ai"));
    assert_eq!(narada.key_env, "NARADA_API_KEY");
    assert!(narada.params.is_empty());

    let runware = provider("runware").unwrap();
    assert_eq!(runware.default_base_url, Some("https://api.runware.ai/v1"));
    assert_eq!(runware.key_env, "RUNWARE_API_KEY");

    let dari = provider("dari").unwrap();
    assert_eq!(dari.default_base_url, Some("https://agent.usedari.com"));
    assert_eq!(dari.key_env, "DARI_API_KEY");
    let params: Vec<(&str, Option<&str>)> =
        dari.params.iter().map(|p| (p.name, p.default)).collect();
    assert_eq!(
        params,
        [
            ("org_id", None),
            ("endpoint_name", None),
            // The vendor's current docs: jobs are created and report waiting_for_input there.
            ("revision", Some("jobs"))
        ]
    );
    assert_eq!(dari.params[0].doc, "Organization ID");
    assert_eq!(dari.params[1].doc, "Portal endpoint name");

    let vessl = provider("vessl").unwrap();
    assert_eq!(vessl.default_base_url, None);
    assert_eq!(
        vessl.base_url_hint,
        "https://serve-api.dev2.vssl.ai/api/v1/services/<slug>"
    );
    assert_eq!(vessl.key_env, "VESSL_API_TOKEN");

    for p in providers() {
        assert!(p.docs_url.starts_with("https://"), "{}", p.name);
        assert!(!p.summary.is_empty(), "{}", p.name);
        assert!(
            p.policy().deadline().is_some(),
            "{} has no deadline",
            p.name
        );
    }
}

#[test]
fn complete_configurations_build_sources() {
    let key = || SourceConfig::new().api_key("key");
    let cases = [
        ("narada", key()),
        ("runware", key()),
        (
            "dari",
            key()
                .param("org_id", "my-org")
                .param("endpoint_name", "contact_form"),
        ),
        (
            "vessl",
            key().base_url("https://serve-api.dev2.vssl.ai/api/v1/services/my-svc"),
        ),
    ];
    for (name, config) in cases {
        let source = provider(name).unwrap().build_source(config).unwrap();
        assert_eq!(source.name(), name);
        assert_eq!(
            source.as_batch().is_some(),
            name == "runware",
            "only Runware asks about many tasks in one call"
        );
    }
}

fn error(name: &str, config: SourceConfig) -> ConfigError {
    match provider(name).unwrap().build_source(config) {
        Ok(_) => panic!("{name}: expected an error"),
        Err(e) => e,
    }
}

#[test]
fn missing_parameter() {
    let err = error(
        "dari",
        SourceConfig::new().api_key("key").param("org_id", "my-org"),
    );
    assert_eq!(
        err.to_string(),
        "missing parameter `endpoint_name` (Portal endpoint name)"
    );
    let err = error("dari", SourceConfig::new().api_key("key"));
    assert_eq!(
        err.to_string(),
        "missing parameter `org_id` (Organization ID)"
    );
}

#[test]
fn unknown_parameter() {
    let err = error(
        "narada",
        SourceConfig::new().api_key("key").param("org_id", "x"),
    );
    assert_eq!(
        err.to_string(),
        "unknown parameter `org_id`; this provider takes: none"
    );
    let err = error(
        "dari",
        SourceConfig::new()
            .api_key("key")
            .param("org_id", "my-org")
            .param("endpoint_name", "contact_form")
            .param("job_id", "x"),
    );
    assert_eq!(
        err.to_string(),
        "unknown parameter `job_id`; this provider takes: org_id, endpoint_name, revision"
    );
}

#[test]
fn dari_revision_is_checked() {
    let dari = |revision: &str| {
        provider("dari").unwrap().build_source(
            SourceConfig::new()
                .api_key("key")
                .param("org_id", "my-org")
                .param("endpoint_name", "contact_form")
                .param("revision", revision),
        )
    };
    assert!(dari("jobs").is_ok());
    assert!(dari("task").is_ok());
    let err = dari("v3").map(drop).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `revision` is \"v3\"; use jobs or task"
    );
}

#[test]
fn missing_key_names_the_variable() {
    let vars = [
        ("narada", "NARADA_API_KEY"),
        ("runware", "RUNWARE_API_KEY"),
        ("vessl", "VESSL_API_TOKEN"),
    ];
    for (name, var) in vars {
        let config = SourceConfig::new().base_url("https://example.com/api");
        assert_eq!(
            error(name, config).to_string(),
            format!("no API key; set {var}")
        );
    }
    let config = SourceConfig::new()
        .api_key("")
        .param("org_id", "my-org")
        .param("endpoint_name", "contact_form");
    assert_eq!(
        error("dari", config).to_string(),
        "no API key; set DARI_API_KEY"
    );
}

#[test]
fn missing_vessl_base_url_shows_the_documented_form() {
    let err = error("vessl", SourceConfig::new().api_key("token"));
    assert_eq!(
        err.to_string(),
        "no base URL; this provider needs one of the form https://serve-api.dev2.vssl.ai/api/v1/services/<slug>"
    );
}

#[test]
fn bad_base_urls_and_unknown_providers() {
    let err = error(
        "narada",
        SourceConfig::new()
            .api_key("key")
            .base_url("http://api.narada.ai"),
    );
    assert!(
        matches!(err, ConfigError::InsecureTransport { .. }),
        "{err}"
    );
    let err = provider("narda").map(drop).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown provider `narda`; known providers: dari, narada, runware, vessl"
    );
}
