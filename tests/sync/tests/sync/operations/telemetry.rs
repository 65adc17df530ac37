//! What leaves the server about its use: usage counts queued only when shared and without
//! program text, traces only to a configured collector and without a token.

use super::*;

#[test]
#[allow(clippy::too_many_lines)]
pub(super) fn usage_counts_are_queued_only_when_shared_carry_no_program_text_and_admins_see_counts()
{
    let issuer = Issuer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = database();
    let env = server_env(&database_url, &issuer);
    let server = ServerProcess::start(env.clone());
    let http = Http::new(&server.url);
    let lee = Person {
        db: dir.path().join("lee.db"),
        token: token(&issuer, "lee", &["rb-leads"]),
    };
    let ada = token(&issuer, "ada", &["rb-admins"]);
    let waiting = || {
        roadbook_store::Store::open(&lee.db)
            .unwrap()
            .usage_waiting()
            .unwrap()
    };
    lee.ok(&["init", "--sample"]);
    lee.ok(&["publish", "--server", &server.url]);

    // Off unless turned on: the same work queues nothing and sends nothing.
    assert!(lee.ok(&["usage"]).starts_with("not sharing usage counts"));
    let memo = dir.path().join("memo.pdf");
    let memo = memo.to_str().unwrap();
    lee.ok(&["report", "memo", "--out", memo]);
    lee.ok(&["decision", "add", "--title", "Counted nowhere"]);
    lee.ok(&["sync"]);
    roadbook_store::Store::open(&lee.db)
        .unwrap()
        .note_usage(roadbook_model::UsageKind::ReviewRecorded)
        .unwrap();
    assert_eq!(waiting(), 0);
    let counts = http.get("/v1/usage", &ada);
    assert_eq!(counts.status, 200, "{}", counts.body);
    assert_eq!(counts.json(), json!([]));

    // Turned on: each kind is queued by the path that does it (the app's review and sign-in
    // commands call the same store method).
    assert!(lee.ok(&["usage", "on"]).starts_with("sharing usage counts"));
    for kind in ["readout", "memo", "packet", "dashboard", "register"] {
        let out = dir.path().join(format!("{kind}.pdf"));
        lee.ok(&["report", kind, "--out", out.to_str().unwrap()]);
    }
    {
        let mut store = roadbook_store::Store::open(&lee.db).unwrap();
        store
            .note_usage(roadbook_model::UsageKind::ReviewRecorded)
            .unwrap();
        store.note_usage(roadbook_model::UsageKind::SignIn).unwrap();
    }
    lee.ok(&["decision", "add", "--title", "Counted as a sync"]);
    assert_eq!(waiting(), 7);
    // What would leave the machine, as the protocol writes it: no title, name or text of the
    // program, nothing but ids, kinds and days.
    let queued = roadbook_store::Store::open(&lee.db)
        .unwrap()
        .queued_usage(100)
        .unwrap();
    let report = roadbook_sync::usage_report(&queued);
    let wire = serde_json::to_string(&report).unwrap();
    let sample = roadbook_model::sample::builder_insights().unwrap();
    let mut texts: Vec<String> = sample
        .labels()
        .into_values()
        .filter(|l| l.len() >= 5)
        .collect();
    texts.extend(["Counted as a sync".to_owned(), "Counted nowhere".to_owned()]);
    assert!(texts.len() > 30);
    for text in &texts {
        assert!(
            !wire.contains(text.as_str()),
            "a usage event carries '{text}'"
        );
    }
    let said = lee.ok(&["sync"]);
    assert!(said.contains("pushed 1"), "{said}");
    assert_eq!(waiting(), 0, "sent with the sync, then dropped");

    // Admins see counts; the server kept nothing more than kind and day.
    let counts = http.get("/v1/usage", &ada).json();
    let count = |kind: &str| {
        counts
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == kind)
            .map(|c| c["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        (
            count("document_generated"),
            count("review_recorded"),
            count("sign_in")
        ),
        (5, 1, 1)
    );
    // The sync that sent them counted itself, and goes with the next one.
    assert_eq!(waiting(), 0);
    lee.ok(&["decision", "add", "--title", "Another"]);
    lee.ok(&["sync"]);
    let counts = http.get("/v1/usage", &ada).json();
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "sync_run" && c["count"].as_u64().unwrap() >= 1)
    );
    let stored = psql(
        &database_url,
        "SELECT coalesce(string_agg(row_to_json(u)::text, ' '), '') FROM usage_events u",
    )
    .unwrap();
    for text in &texts {
        assert!(
            !stored.contains(text.as_str()),
            "the server stored '{text}'"
        );
    }
    assert!(!stored.contains("lee"), "no person: {stored}");
    let out = operator(&env, &["usage", "--since", "2020-01-01"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Documents generated") && table.contains("Sign-ins"),
        "{table}"
    );

    // Only admins read the counts; the server takes nothing but kind and day, and a resend once.
    assert_eq!(http.get("/v1/usage", &lee.token).status, 403);
    let post = |body: &str| {
        let bearer = format!("Bearer {}", lee.token);
        let runtime = &http.runtime;
        runtime.block_on(async {
            let response = http
                .client
                .post(format!("{}/v1/usage", http.base))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .header("authorization", bearer)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    let id = roadbook_model::Id::new();
    let event = format!(r#"{{"events":[{{"id":"{id}","kind":"sign_in","day":"2026-12-01"}}]}}"#);
    assert_eq!(post(&event), (200, r#"{"stored":1}"#.to_owned()));
    assert_eq!(post(&event), (200, r#"{"stored":0}"#.to_owned()));
    let (status, body) = post(&format!(
        r#"{{"events":[{{"id":"{}","kind":"sign_in","day":"2026-12-01","title":"Okta SSO"}}]}}"#,
        roadbook_model::Id::new()
    ));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("title"), "{body}");
    let (status, body) = post(&format!(
        r#"{{"events":[{{"id":"{}","kind":"decision_title","day":"2026-12-01"}}]}}"#,
        roadbook_model::Id::new()
    ));
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&format!(
        r#"{{"events":[{{"id":"{}","kind":"sign_in","day":"yesterday"}}]}}"#,
        roadbook_model::Id::new()
    ));
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("'yesterday' is not a date"), "{body}");

    // Off again: what waited is dropped and nothing more is queued.
    lee.ok(&["report", "memo", "--out", memo]);
    assert_eq!(waiting(), 1);
    assert!(lee.ok(&["usage", "off"]).starts_with("not sharing"));
    assert_eq!(waiting(), 0);
    lee.ok(&["report", "memo", "--out", memo]);
    assert_eq!(waiting(), 0);
}

/// What the stand-in collector received: each OTLP/HTTP body posted to `/v1/traces`.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// A stand-in OpenTelemetry collector: its URL, what it received, and its stop switch.
pub(super) fn collector() -> (String, Received, std::sync::mpsc::Sender<()>) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            kept.lock().unwrap().push(body.to_vec());
            async { "" }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = roadbook_harness::serve(listener, app);
    (url, received, stop)
}

#[test]
pub(super) fn traces_go_to_the_collector_only_when_an_otlp_endpoint_is_set_and_carry_no_token() {
    let issuer = Issuer::start();
    let database_url = database();
    let (url, received, _stop) = collector();
    let lee = token(&issuer, "lee", &["rb-leads"]);

    // Unset: no exporter, nothing sent.
    let mut quiet = server_env(&database_url, &issuer);
    quiet.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let server = ServerProcess::start(quiet);
    let http = Http::new(&server.url);
    assert_eq!(http.get("/v1/programs", &lee).status, 200);
    std::thread::sleep(Duration::from_millis(800));
    drop(server);
    assert!(
        received.lock().unwrap().is_empty(),
        "traces with no endpoint set"
    );

    // Set: each request's span reaches the collector, named by its route and caller.
    let mut traced = server_env(&database_url, &issuer);
    traced.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), url.clone()));
    traced.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let server = ServerProcess::start(traced);
    let http = Http::new(&server.url);
    assert_eq!(http.get("/v1/programs", &lee).status, 200);
    assert_eq!(http.get("/v1/programs", "not-a-token").status, 401);
    let deadline = Instant::now() + Duration::from_secs(10);
    let exported = loop {
        let bodies = received.lock().unwrap().concat();
        let text = String::from_utf8_lossy(&bodies).into_owned();
        if text.contains("/v1/programs") && text.contains("lee") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no span reached the collector: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exported.contains("roadbook-server"), "the service is named");
    assert!(exported.contains("request_id"));
    assert!(!exported.contains(&lee) && !exported.contains(lee.rsplit('.').next().unwrap()));
    assert!(!exported.contains("not-a-token"));

    // A bad endpoint is refused at start with what to give.
    let mut bad = server_env(&database_url, &issuer);
    bad.push((
        "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
        "otel-collector:4318".into(),
    ));
    let out = Command::new(binary("roadbook-server"))
        .envs(bad.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("OTEL_EXPORTER_OTLP_ENDPOINT is 'otel-collector:4318'"),
        "{err}"
    );
}
