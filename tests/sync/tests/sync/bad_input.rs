//! Bad input over HTTP: each a 4xx with a JSON `{code, message}`, never a 5xx, nothing written.

use reqwest::Method;
use roadbook_model::{Id, Kind};
use roadbook_protocol::{FieldChange, Mutation, Operation, PushRequest, routes};
use serde_json::{Value, json};

use super::lead_and_sam;
use roadbook_sync_tests::{BODY_LIMIT, World};

/// What is sent (method, path, body, protocol header) and the status and code expected.
type Case<'a> = (
    &'a str,
    Method,
    String,
    Option<Vec<u8>>,
    Option<&'a str>,
    u16,
    &'a str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_a_reason_and_change_nothing() {
    let world = World::start().await;
    let (_lead, _sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    let token = world.issuer.token("ed", "Ed", &["rb-editors"]);
    let mutation = |seq: u64| Mutation {
        seq,
        mutation_id: Id::new(),
        kind: Kind::Decision,
        item_id: decision,
        operation: Operation::Update {
            fields: [(
                "title".to_owned(),
                FieldChange {
                    value: json!("x"),
                    base_version: 0,
                    set: None,
                    kept: false,
                },
            )]
            .into(),
        },
        made_at: None,
    };
    let push = |seq: u64| {
        serde_json::to_vec(&PushRequest {
            client_id: Id::new(),
            mutations: vec![mutation(seq)],
            history: None,
        })
        .unwrap()
    };
    let mut unknown_field: Value = serde_json::from_slice(&push(1)).unwrap();
    unknown_field["priority"] = json!("high");
    let mut wrong_type: Value = serde_json::from_slice(&push(1)).unwrap();
    wrong_type["mutations"][0]["seq"] = json!("one");
    let huge = {
        let mut body = b"{\"client_id\": \"".to_vec();
        body.extend(std::iter::repeat_n(b'a', BODY_LIMIT + 10));
        body.extend(b"\", \"mutations\": []}");
        body
    };
    let push_path = routes::push(program);
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            Method::POST,
            push_path.clone(),
            Some(b"{\"client_id\": ".to_vec()),
            Some("1"),
            400,
            "bad_request",
        ),
        (
            "trailing garbage",
            Method::POST,
            push_path.clone(),
            Some([push(1), b"}}".to_vec()].concat()),
            Some("1"),
            400,
            "bad_request",
        ),
        (
            "wrong types",
            Method::POST,
            push_path.clone(),
            Some(serde_json::to_vec(&wrong_type).unwrap()),
            Some("1"),
            400,
            "bad_request",
        ),
        (
            "an unknown field",
            Method::POST,
            push_path.clone(),
            Some(serde_json::to_vec(&unknown_field).unwrap()),
            Some("1"),
            400,
            "bad_request",
        ),
        (
            "a body over the limit",
            Method::POST,
            push_path.clone(),
            Some(huge),
            Some("1"),
            413,
            "too_large",
        ),
        (
            "a sequence gap",
            Method::POST,
            push_path.clone(),
            Some(push(2)),
            Some("1"),
            409,
            "sequence_gap",
        ),
        (
            "an unknown program",
            Method::POST,
            routes::push(Id::new()),
            Some(push(1)),
            Some("1"),
            404,
            "not_found",
        ),
        (
            "a program id that is not one",
            Method::POST,
            "/v1/programs/x/push".into(),
            Some(push(1)),
            Some("1"),
            404,
            "not_found",
        ),
        (
            "a protocol newer than the server's",
            Method::POST,
            push_path.clone(),
            Some(push(1)),
            Some("99"),
            426,
            "upgrade_required",
        ),
        (
            "no protocol version",
            Method::POST,
            push_path.clone(),
            Some(push(1)),
            None,
            400,
            "bad_request",
        ),
        (
            "a cursor that is not a number",
            Method::GET,
            format!("{}?after=yesterday", routes::changes(program)),
            None,
            Some("1"),
            400,
            "bad_request",
        ),
        (
            "an unknown route",
            Method::GET,
            "/v1/spaceships".into(),
            None,
            Some("1"),
            404,
            "not_found",
        ),
    ];
    let head = world.head(program);
    let (audit, mutations) = (world.count("audit"), world.count("mutations"));
    for (what, method, path, body, protocol, status, code) in cases {
        let (got, answer) = world.raw(method, &path, Some(&token), body, protocol).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["code"], json!(code), "{what}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {answer}"
        );
    }
    assert_eq!(world.head(program), head, "nothing written");
    assert_eq!(
        (world.count("audit"), world.count("mutations")),
        (audit, mutations)
    );
    // And the health endpoints answer without a token.
    let (status, _) = world
        .raw(Method::GET, routes::HEALTH, None, None, None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = world
        .raw(Method::GET, routes::READY, None, None, None)
        .await;
    assert_eq!(status, 200);
}
