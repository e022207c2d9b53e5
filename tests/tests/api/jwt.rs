//! Tokens that must not get in: forged, stripped, malformed, signed with the wrong key or
//! kind of key, or naming a key the server does not know; and key rotation by `kid`.
//! Every one is `UNAUTHENTICATED` with status 401, before any resolver runs.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TEST_SECRET, TestApp, error_code, spawn_app, spawn_app_with};

const ME: &str = "{ me { id role } }";

fn key_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("keys")
        .join(name)
}

fn key_text(name: &str) -> String {
    std::fs::read_to_string(key_file(name)).unwrap()
}

/// Valid claims for a user of an organization, as a JSON object to tamper with.
fn claims(organization: &str, user: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({ "sub": user, "org": organization, "role": "ADMIN", "iat": now, "nbf": now,
            "exp": now + 600, "iss": "attain", "aud": "attain-api", "jti": "t-1" })
}

fn hs256(header: Header, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn status_and_code(app: &TestApp, token: &str) -> (u16, String) {
    let (status, body) = app.graphql(ME, json!({}), Some(token)).await;
    (status, error_code(&body).to_owned())
}

async fn admin_of_small_org(app: &TestApp) -> (String, String) {
    let report = app.small_org().await;
    (
        report.organization_id.to_string(),
        report.id("users", "adm").unwrap().to_string(),
    )
}

#[tokio::test]
async fn forged_stripped_and_malformed_tokens_are_refused() {
    let app = spawn_app().await;
    let (org, user) = admin_of_small_org(&app).await;
    let good = claims(&org, &user);
    let accepted = hs256(Header::new(Algorithm::HS256), &good, TEST_SECRET.as_bytes());
    assert_eq!(status_and_code(&app, &accepted).await.0, 200, "the control");

    // alg: none, no signature.
    let segment = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let unsigned = format!(
        "{}.{}.",
        segment(&json!({ "alg": "none", "typ": "JWT" })),
        segment(&good)
    );
    let mut refused = vec![("alg none", unsigned)];
    refused.push((
        "wrong key",
        hs256(
            Header::new(Algorithm::HS256),
            &good,
            b"another-secret-another-secret-0000",
        ),
    ));
    refused.push((
        "HS384",
        hs256(Header::new(Algorithm::HS384), &good, TEST_SECRET.as_bytes()),
    ));
    for claim in ["exp", "iss", "aud", "sub"] {
        let mut stripped = good.clone();
        stripped.as_object_mut().unwrap().remove(claim);
        refused.push((
            claim,
            hs256(
                Header::new(Algorithm::HS256),
                &stripped,
                TEST_SECRET.as_bytes(),
            ),
        ));
    }
    let mut text_exp = good.clone();
    text_exp["exp"] = json!((Utc::now().timestamp() + 600).to_string());
    refused.push((
        "exp as text",
        hs256(
            Header::new(Algorithm::HS256),
            &text_exp,
            TEST_SECRET.as_bytes(),
        ),
    ));
    let mut stale = good.clone();
    stale["exp"] = json!(Utc::now().timestamp() - 120);
    refused.push((
        "expired beyond the leeway",
        hs256(
            Header::new(Algorithm::HS256),
            &stale,
            TEST_SECRET.as_bytes(),
        ),
    ));
    let mut early = good.clone();
    early["nbf"] = json!(Utc::now().timestamp() + 300);
    refused.push((
        "not valid before",
        hs256(
            Header::new(Algorithm::HS256),
            &early,
            TEST_SECRET.as_bytes(),
        ),
    ));
    let unknown_kid = Header {
        kid: Some("nobody-knows".into()),
        ..Header::new(Algorithm::HS256)
    };
    refused.push((
        "unknown kid",
        hs256(unknown_kid, &good, TEST_SECRET.as_bytes()),
    ));
    refused.push(("garbage", "not.a.token".to_owned()));
    for (what, token) in refused {
        assert_eq!(
            status_and_code(&app, &token).await,
            (401, "UNAUTHENTICATED".to_owned()),
            "{what}"
        );
    }
}

#[tokio::test]
async fn an_rs256_server_refuses_hs256_signed_with_its_public_key() {
    let public = key_text("rs256-test-public.pem");
    let private = key_text("rs256-test-private.pem");
    let app = spawn_app_with(&[
        ("ATTAIN_JWT_ALGORITHM", "RS256"),
        ("ATTAIN_JWT_PUBLIC_KEY", public.as_str()),
        ("ATTAIN_JWT_PRIVATE_KEY", private.as_str()),
    ])
    .await;
    let (org, user) = admin_of_small_org(&app).await;
    let good = claims(&org, &user);
    let signed = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &good,
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(status_and_code(&app, &signed).await.0, 200, "the control");
    // The classic confusion: the public key used as an HMAC secret.
    let confused = hs256(Header::new(Algorithm::HS256), &good, public.as_bytes());
    assert_eq!(
        status_and_code(&app, &confused).await,
        (401, "UNAUTHENTICATED".to_owned())
    );
    // And the server's own login issues RS256 tokens that work.
    let token = app.login("admin@small.example").await;
    assert_eq!(status_and_code(&app, &token).await.0, 200);
}

#[tokio::test]
async fn a_rotated_key_keeps_verifying_until_it_is_dropped() {
    const OLD: &str = "the-old-secret-the-old-secret-0123456789";
    let previous = format!("k0={OLD}");
    let app = spawn_app_with(&[
        ("ATTAIN_JWT_KEY_ID", "k1"),
        ("ATTAIN_JWT_PREVIOUS_KEYS", previous.as_str()),
    ])
    .await;
    let (org, user) = admin_of_small_org(&app).await;
    let good = claims(&org, &user);
    let with_kid = |kid: &str| Header {
        kid: Some(kid.into()),
        ..Header::new(Algorithm::HS256)
    };
    let old_token = hs256(with_kid("k0"), &good, OLD.as_bytes());
    let new_token = hs256(with_kid("k1"), &good, TEST_SECRET.as_bytes());
    assert_eq!(status_and_code(&app, &old_token).await.0, 200);
    assert_eq!(status_and_code(&app, &new_token).await.0, 200);
    // A token naming one key but signed with the other is refused.
    let crossed = hs256(with_kid("k1"), &good, OLD.as_bytes());
    assert_eq!(status_and_code(&app, &crossed).await.0, 401);
    // Issued tokens name the current key.
    let issued = app.login("admin@small.example").await;
    let header = jsonwebtoken::decode_header(&issued).unwrap();
    assert_eq!(header.kid.as_deref(), Some("k1"));

    // Without the old key configured, its tokens stop working.
    let app = spawn_app_with(&[("ATTAIN_JWT_KEY_ID", "k1")]).await;
    let (org, user) = admin_of_small_org(&app).await;
    let old_token = hs256(with_kid("k0"), &claims(&org, &user), OLD.as_bytes());
    assert_eq!(status_and_code(&app, &old_token).await.0, 401);
}
