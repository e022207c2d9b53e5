//! Login, tokens and who the caller is.

use attain_api::auth::Claims;
use attain_entity::user;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TEST_SECRET, TestApp, error_code, spawn_app};

const ME: &str = "{ me { id role user { email displayName } organization { name timezone } } }";
const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt user { role } } }";

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    app.graphql(ME, json!({}), Some(token)).await
}

/// Claims as the server would issue them for a user of the small organization.
async fn claims_for(app: &TestApp, email: &str) -> Claims {
    let token = app.login(email).await;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Claims, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn login_with_the_right_password_gives_a_token_that_me_accepts() {
    let app = spawn_app().await;
    app.small_org().await;
    let (status, body) = app
        .graphql(
            LOGIN,
            json!({ "email": "Rep1@Small.example ", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["login"]["user"]["role"], "REP");
    let token = body["data"]["login"]["token"].as_str().unwrap();

    let (status, body) = me(&app, token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "REP");
    assert_eq!(body["data"]["me"]["user"]["email"], "rep1@small.example");
    assert_eq!(
        body["data"]["me"]["organization"]["timezone"],
        "Asia/Shanghai"
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_fail_alike() {
    let app = spawn_app().await;
    app.small_org().await;
    let (_, wrong_password) = app
        .graphql(
            LOGIN,
            json!({ "email": "rep1@small.example", "password": "nope" }),
            None,
        )
        .await;
    let (_, unknown_email) = app
        .graphql(
            LOGIN,
            json!({ "email": "nobody@small.example", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(error_code(&wrong_password), "UNAUTHENTICATED");
    assert_eq!(wrong_password["data"], Value::Null);
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown_email["errors"][0]["message"]
    );
    assert_eq!(error_code(&unknown_email), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_deactivated_user_cannot_log_in() {
    let app = spawn_app().await;
    app.small_org().await;
    let (_, body) = app
        .graphql(
            LOGIN,
            json!({ "email": "gone@small.example", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_deactivated_users_token_stops_working_at_once() {
    let app = spawn_app().await;
    app.small_org().await;
    let token = app.login("rep2@small.example").await;
    assert_eq!(me(&app, &token).await.0, 200);

    user::Entity::update_many()
        .col_expr(user::Column::Active, Expr::value(false))
        .filter(user::Column::Email.eq("rep2@small.example"))
        .exec(&app.db)
        .await
        .unwrap();

    let (status, body) = me(&app, &token).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn me_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    let (status, body) = app.graphql(ME, json!({}), None).await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let app = spawn_app().await;
    app.small_org().await;
    let mut claims = claims_for(&app, "rep1@small.example").await;
    let genuine = sign(&claims, Algorithm::HS256);
    // Same signature, other payload: the claims now name the other rep.
    let reports = app.small_org_ids().await;
    claims.sub = reports.to_string();
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let parts: Vec<&str> = genuine.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let (status, body) = me(&app, &tampered).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn expired_tokens_and_tokens_not_yet_valid_are_refused() {
    let app = spawn_app().await;
    app.small_org().await;
    let mut claims = claims_for(&app, "rep1@small.example").await;
    let now = Utc::now().timestamp();
    claims.exp = now - 120;
    assert_eq!(me(&app, &sign(&claims, Algorithm::HS256)).await.0, 401);
    claims.exp = now + 3600;
    claims.nbf = now + 600;
    assert_eq!(me(&app, &sign(&claims, Algorithm::HS256)).await.0, 401);
    claims.nbf = now;
    assert_eq!(me(&app, &sign(&claims, Algorithm::HS256)).await.0, 200);
}

#[tokio::test]
async fn tokens_signed_with_another_algorithm_are_refused() {
    let app = spawn_app().await;
    app.small_org().await;
    let claims = claims_for(&app, "rep1@small.example").await;
    assert_eq!(me(&app, &sign(&claims, Algorithm::HS384)).await.0, 401);
    assert_eq!(me(&app, &sign(&claims, Algorithm::HS512)).await.0, 401);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    assert_eq!(me(&app, &format!("{header}.{payload}.")).await.0, 401);
}

#[tokio::test]
async fn tokens_for_another_issuer_audience_or_organization_are_refused() {
    let app = spawn_app().await;
    app.small_org().await;
    let claims = claims_for(&app, "rep1@small.example").await;
    let variants = [
        Claims {
            iss: "someone-else".into(),
            ..claims.clone()
        },
        Claims {
            aud: "another-api".into(),
            ..claims.clone()
        },
        Claims {
            org: Uuid::now_v7().to_string(),
            ..claims.clone()
        },
        Claims {
            sub: "not-a-uuid".into(),
            ..claims.clone()
        },
    ];
    for forged in variants {
        let (status, body) = me(&app, &sign(&forged, Algorithm::HS256)).await;
        assert_eq!(status, 401, "{forged:?} gave {body}");
    }
}

#[tokio::test]
async fn the_role_comes_from_the_database_not_from_the_token() {
    let app = spawn_app().await;
    app.small_org().await;
    let claims = claims_for(&app, "rep1@small.example").await;
    let promoted = Claims {
        role: "ADMIN".into(),
        ..claims
    };
    let (status, body) = me(&app, &sign(&promoted, Algorithm::HS256)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "REP");
}

impl TestApp {
    /// The stored id of the small organization's second rep.
    async fn small_org_ids(&self) -> Uuid {
        user::Entity::find()
            .filter(user::Column::Email.eq("rep2@small.example"))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
            .id
    }
}
