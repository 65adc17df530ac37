//! Forged and wrong tokens: each refused with 401 and nothing written.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use roadbook_harness::now;
use roadbook_model::{Id, Kind};
use roadbook_protocol::{FieldChange, Mutation, Operation, PushRequest};
use serde_json::{Value, json};

use super::lead_and_sam;
use roadbook_sync_tests::World;

fn push_body(program_decision: Id) -> Vec<u8> {
    let request = PushRequest {
        client_id: Id::new(),
        mutations: vec![Mutation {
            seq: 1,
            mutation_id: Id::new(),
            kind: Kind::Decision,
            item_id: program_decision,
            operation: Operation::Update {
                fields: [(
                    "title".to_owned(),
                    FieldChange {
                        value: json!("forged"),
                        base_version: 0,
                        set: None,
                        kept: false,
                    },
                )]
                .into(),
            },
            made_at: None,
        }],
        history: None,
    };
    serde_json::to_vec(&request).unwrap()
}

fn unsigned(header: Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_wrong_tokens_are_refused_with_401_and_write_nothing() {
    let world = World::start().await;
    let (_lead, _sam, handbook) = lead_and_sam(&world).await;
    let program = handbook.program.id;
    let decision = handbook.decisions[0].id;
    let issuer = &world.issuer;
    let good = issuer.claims("eve", "Eve", &["rb-admins"]);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = good.clone();
        change(&mut claims);
        claims
    };
    let mut forged: Vec<(&str, Option<String>)> = vec![("missing token", None)];
    for alg in ["none", "None", "NONE", "nOnE"] {
        forged.push((
            "alg none",
            Some(unsigned(
                json!({"alg": alg, "typ": "at+jwt", "kid": "key-1"}),
                &good,
            )),
        ));
    }
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        header.kid = Some("key-1".into());
        jsonwebtoken::encode(
            &header,
            &good,
            &EncodingKey::from_secret(&issuer.public_key_der()),
        )
        .unwrap()
    };
    forged.push(("HS256 signed with the RSA public key", Some(hs256)));
    let header = |change: &dyn Fn(&mut Header)| {
        let mut h = Header::new(Algorithm::RS256);
        h.typ = Some("at+jwt".into());
        change(&mut h);
        h
    };
    forged.push((
        "unknown kid",
        Some(issuer.sign_with_header(header(&|h| h.kid = Some("elsewhere".into())), &good)),
    ));
    forged.push((
        "jku header",
        Some(issuer.sign_with_header(
            header(&|h| h.jku = Some("https://evil.example/jwks".into())),
            &good,
        )),
    ));
    forged.push((
        "x5u header",
        Some(issuer.sign_with_header(
            header(&|h| h.x5u = Some("https://evil.example/cert".into())),
            &good,
        )),
    ));
    let embedded: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(json!({"kty": "oct", "k": "c2VjcmV0"})).unwrap();
    forged.push((
        "embedded jwk",
        Some(issuer.sign_with_header(header(&|h| h.jwk = Some(embedded.clone())), &good)),
    ));
    let tampered = {
        let token = issuer.sign(&with(&|c| c["groups"] = json!(["rb-viewers"])));
        let parts: Vec<&str> = token.split('.').collect();
        let payload =
            URL_SAFE_NO_PAD.encode(with(&|c| c["groups"] = json!(["rb-admins"])).to_string());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    forged.push(("tampered payload", Some(tampered)));
    forged.push((
        "expired",
        Some(issuer.sign(&with(&|c| c["exp"] = json!(now() - 600)))),
    ));
    forged.push((
        "not valid yet",
        Some(issuer.sign(&with(&|c| c["nbf"] = json!(now() + 600)))),
    ));
    forged.push((
        "exp as text",
        Some(issuer.sign(&with(&|c| c["exp"] = json!((now() + 600).to_string())))),
    ));
    forged.push((
        "missing exp",
        Some(issuer.sign(&with(&|c| {
            c.as_object_mut().unwrap().remove("exp");
        }))),
    ));
    forged.push((
        "wrong issuer",
        Some(issuer.sign(&with(&|c| c["iss"] = json!("https://evil.example")))),
    ));
    forged.push((
        "wrong audience",
        Some(issuer.sign(&with(&|c| c["aud"] = json!("api://other")))),
    ));
    let id_token = issuer.sign_with_header(
        Header::new(Algorithm::RS256),
        &with(&|c| c["aud"] = json!("roadbook-desktop")),
    );
    forged.push(("an ID token as an access token", Some(id_token)));
    forged.push(("not a JWT", Some("this-is-not.a.jwt".into())));

    let head = world.head(program);
    let audit = world.count("audit");
    for (what, token) in &forged {
        let (status, body) = world
            .raw(
                Method::POST,
                &roadbook_protocol::routes::push(program),
                token.as_deref(),
                Some(push_body(decision)),
                Some("1"),
            )
            .await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["code"], json!("unauthorized"), "{what}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("sign in again"),
            "{what}: {body}"
        );
    }
    assert_eq!(world.head(program), head, "nothing written");
    assert_eq!(world.count("audit"), audit, "nothing written");

    // The real token, for contrast, is taken.
    let (status, body) = world
        .raw(
            Method::GET,
            roadbook_protocol::routes::PROGRAMS,
            Some(&issuer.sign(&good)),
            None,
            Some("1"),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A viewer's push: 403, nothing written.
    let viewer = issuer.token("vic", "Vic", &["rb-viewers"]);
    let (status, body) = world
        .raw(
            Method::POST,
            &roadbook_protocol::routes::push(program),
            Some(&viewer),
            Some(push_body(decision)),
            Some("1"),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (403, json!("forbidden")),
        "{body}"
    );
    assert_eq!(world.head(program), head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_taken_after_one_refetch_and_unknown_keys_do_not_hammer_the_issuer() {
    let world = World::start().await;
    let issuer = &world.issuer;
    let fetches = || issuer.fetches.load(std::sync::atomic::Ordering::SeqCst);
    let programs = roadbook_protocol::routes::PROGRAMS;
    let at_start = fetches();
    issuer.rotate();
    let token = issuer.token("lee", "Lee", &["rb-leads"]);
    let (status, body) = world
        .raw(Method::GET, programs, Some(&token), None, Some("1"))
        .await;
    assert_eq!(status, 200, "a rotated key is fetched and taken: {body}");
    assert_eq!(fetches(), at_start + 1);
    // Unknown key ids right after: refused, and no new fetch within 10 seconds.
    for n in 0..5 {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("at+jwt".into());
        header.kid = Some(format!("made-up-{n}"));
        let forged = issuer.sign_with_header(header, &issuer.claims("eve", "Eve", &["rb-admins"]));
        let (status, _) = world
            .raw(Method::GET, programs, Some(&forged), None, Some("1"))
            .await;
        assert_eq!(status, 401);
    }
    assert_eq!(fetches(), at_start + 1, "at most one refetch every 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_and_is_ready_while_the_identity_provider_is_down_and_takes_tokens_once_it_is_back()
 {
    // An identity-provider outage while a pod starts: it serves anyway.
    let issuer = roadbook_harness::Issuer::start();
    issuer.set_down(true);
    let database_url = roadbook_sync_tests::database();
    let server = roadbook_server::start(&roadbook_sync_tests::config(&database_url, &issuer))
        .await
        .expect("starts without the issuer");
    let url = format!("http://{}", server.addr);
    let ready = reqwest::get(format!("{url}{}", roadbook_protocol::routes::READY))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let said = ready.text().await.unwrap();
    assert!(said.contains("keys are not loaded yet"), "{said}");

    // A sound token while the provider is still down: "try again", not "sign in again".
    let token = issuer.token("lee", "Lee", &["rb-leads"]);
    let programs = format!("{url}{}", roadbook_protocol::routes::PROGRAMS);
    let get = |token: String| {
        let programs = programs.clone();
        async move {
            let response = reqwest::Client::new()
                .get(programs)
                .bearer_auth(token)
                .header(roadbook_protocol::PROTOCOL_HEADER, "2")
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = get(token.clone()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "unavailable");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("identity provider"),
        "{body}"
    );

    // Back: the keys are fetched (at most once every 10 s) and the same token is taken.
    issuer.set_down(false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = get(token.clone()).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(std::time::Instant::now() < deadline, "never taken: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    server.stop().await;
}
