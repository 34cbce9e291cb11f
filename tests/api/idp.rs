//! Tokens of the city's identity provider (JWKS), and the helpers the
//! token, login and user tests share: instances built with settings that
//! `startup` does not pass on yet, own tokens with chosen claims, and the
//! test key pairs of tests/data/jwks/.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use nattplats::config::{IdpSettings, JwksSource, JwtSecretSource, Settings};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::*;

pub const ISSUER: &str = "https://idp.stad.example";
pub const AUDIENCE: &str = "nattplats";

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The claims of a JWT, read without checking it.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims json")
}

/// The test's signing secret.
pub fn secret(settings: &Settings) -> Vec<u8> {
    match &settings.jwt_secret {
        JwtSecretSource::Value(s) => s.expose_secret().as_bytes().to_vec(),
        JwtSecretSource::File(_) => panic!("tests sign with a given secret"),
    }
}

/// Our own HS256 token for the admin, with `change` applied to its claims.
pub fn own_token(app: &TestApp, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = claims_of(&app.admin_token);
    change(&mut claims);
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&secret(&app.settings)),
    )
    .expect("sign")
}

/// An instance on the test's database built from `settings` the way
/// `startup` will once it passes the settings to `TokenKeys::from_settings`
/// (today it passes only the secret and the lifetime).
pub fn instance_with_settings(app: &TestApp, change: impl FnOnce(&mut Settings)) -> String {
    app.instance_with(change)
}

/// The test key pairs.
pub fn key_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/jwks")
        .join(name)
}

pub fn encoding_key(file: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(key_file(file)).expect("key file");
    match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
        other => panic!("no test key for {other:?}"),
    }
    .expect("encoding key")
}

/// The public JWK of a test key pair, with its `kid`.
pub fn jwk(file: &str, alg: Algorithm, kid: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(&encoding_key(file, alg), alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    serde_json::to_value(jwk).expect("jwk json")
}

/// The three keys the provider signs with in these tests.
pub fn jwks_all() -> Value {
    json!({"keys": [
        jwk("rsa-a.pem", Algorithm::RS256, "rsa-a"),
        jwk("ec-p256.pem", Algorithm::ES256, "ec"),
        jwk("ed25519.pem", Algorithm::EdDSA, "ed"),
    ]})
}

pub fn idp_claims(sub: &str) -> Value {
    let now = now();
    json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300})
}

/// A token the provider would sign.
pub fn idp_token(file: &str, alg: Algorithm, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &encoding_key(file, alg)).expect("sign")
}

pub fn rsa_token(claims: &Value) -> String {
    idp_token("rsa-a.pem", Algorithm::RS256, "rsa-a", claims)
}

/// A JWKS file and an instance that trusts it. The directory lives as
/// long as the returned value.
pub struct IdpInstance {
    pub address: String,
    pub jwks_path: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn idp_instance(app: &TestApp, jwks: &Value) -> IdpInstance {
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks_path = dir.path().join("idp.jwks");
    write_atomically(&jwks_path, jwks);
    let source = JwksSource::File(jwks_path.clone());
    let address = instance_with_settings(app, |s| s.idp = Some(idp_settings(source)));
    IdpInstance {
        address,
        jwks_path,
        _dir: dir,
    }
}

pub fn idp_settings(jwks: JwksSource) -> IdpSettings {
    IdpSettings {
        jwks,
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        max_token_lifetime_seconds: 3600,
    }
}

/// Replaces the file in one step, as a deployment tool would.
pub fn write_atomically(path: &Path, value: &Value) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, value.to_string()).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

pub async fn get_at(app: &TestApp, address: &str, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{address}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// A coordinator whose username is the provider's `sub`, marked as
/// signing in through the provider.
pub async fn idp_user(app: &TestApp, username: &str) -> String {
    let res = app
        .post(
            "/api/v1/users",
            Some(&app.admin_token),
            &json!({"username": username, "password": "a-long-password-1", "roles": ["coordinator"], "external_sign_in": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("user json");
    body["id"].as_str().expect("id").to_owned()
}

/// Expects 401 `unauthorized` for `token` at `address`.
pub async fn refused_at(app: &TestApp, address: &str, token: &str) {
    assert_problem(
        get_at(app, address, "/api/v1/shelters", token).await,
        401,
        "unauthorized",
    )
    .await;
}

/// One instance with the provider configured and a user `idp.user`.
async fn setup(b: Backend) -> (TestApp, IdpInstance) {
    let app = spawn_with(b, Options::default()).await;
    idp_user(&app, "idp.user").await;
    let idp = idp_instance(&app, &jwks_all());
    (app, idp)
}

backend_tests! {
    async fn provider_tokens_of_each_key_type_are_accepted(b: Backend) {
        let (app, idp) = setup(b).await;
        for (file, alg, kid) in [
            ("rsa-a.pem", Algorithm::RS256, "rsa-a"),
            ("ec-p256.pem", Algorithm::ES256, "ec"),
            ("ed25519.pem", Algorithm::EdDSA, "ed"),
        ] {
            let t = idp_token(file, alg, kid, &idp_claims("idp.user"));
            let res = get_at(&app, &idp.address, "/api/v1/shelters", &t).await;
            assert_eq!(res.status(), StatusCode::OK, "{kid}");
        }
        // Our own tokens still work beside them.
        let res = get_at(&app, &idp.address, "/api/v1/shelters", &app.admin_token).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn a_provider_token_gets_the_roles_of_our_users_table(b: Backend) {
        let (app, idp) = setup(b).await;
        // The provider says admin; our table says coordinator.
        let mut claims = idp_claims("idp.user");
        claims["roles"] = json!(["admin"]);
        let t = rsa_token(&claims);
        let res = app
            .client
            .post(format!("{}/api/v1/users", idp.address))
            .bearer_auth(&t)
            .json(&json!({"username": "made.by.idp", "password": "a-long-password-1", "roles": ["admin"]}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 403, "forbidden").await;
    }

    async fn a_provider_token_for_no_user_of_ours_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        refused_at(&app, &idp.address, &rsa_token(&idp_claims("stranger"))).await;
        // Nor does `sub` name a user by our id.
        let admin_id = claims_of(&app.admin_token)["sub"].as_str().unwrap().to_owned();
        refused_at(&app, &idp.address, &rsa_token(&idp_claims(&admin_id))).await;
    }

    async fn an_unknown_kid_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let t = idp_token("rsa-a.pem", Algorithm::RS256, "no-such-kid", &idp_claims("idp.user"));
        refused_at(&app, &idp.address, &t).await;
        // Signed by a key the provider does not publish, under a kid it does.
        let t = idp_token("rsa-b.pem", Algorithm::RS256, "rsa-a", &idp_claims("idp.user"));
        refused_at(&app, &idp.address, &t).await;
    }

    async fn a_provider_token_without_kid_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let t = encode(
            &Header::new(Algorithm::RS256),
            &idp_claims("idp.user"),
            &encoding_key("rsa-a.pem", Algorithm::RS256),
        )
        .unwrap();
        refused_at(&app, &idp.address, &t).await;
    }

    async fn a_header_algorithm_other_than_the_keys_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        // ES256-signed, pointing at the RSA key.
        let t = idp_token("ec-p256.pem", Algorithm::ES256, "rsa-a", &idp_claims("idp.user"));
        refused_at(&app, &idp.address, &t).await;
        // EdDSA-signed, pointing at the EC key.
        let t = idp_token("ed25519.pem", Algorithm::EdDSA, "ec", &idp_claims("idp.user"));
        refused_at(&app, &idp.address, &t).await;
    }

    async fn hs256_signed_with_the_providers_public_key_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let pem = std::fs::read(key_file("rsa-a.pub.pem")).unwrap();
        let jwks = jwks_all();
        let n = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
        for secret in [pem.clone(), n.into_bytes(), jwks["keys"][0].to_string().into_bytes()] {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("rsa-a".into());
            let t = encode(&header, &idp_claims("idp.user"), &EncodingKey::from_secret(&secret)).unwrap();
            refused_at(&app, &idp.address, &t).await;
        }
    }

    async fn an_rs256_header_on_our_own_secret_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        for kid in [None, Some("rsa-a")] {
            let mut header = json!({"alg": "RS256", "typ": "JWT"});
            if let Some(k) = kid {
                header["kid"] = json!(k);
            }
            let claims = claims_of(&app.admin_token);
            let message = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
            let sig = jsonwebtoken::crypto::sign(
                message.as_bytes(),
                &EncodingKey::from_secret(&secret(&app.settings)),
                Algorithm::HS256,
            )
            .unwrap();
            let t = format!("{message}.{sig}");
            refused_at(&app, &idp.address, &t).await;
            refused_at(&app, &app.address, &t).await;
        }
    }

    async fn alg_none_is_refused_with_or_without_a_provider(b: Backend) {
        let (app, idp) = setup(b).await;
        for header in [json!({"alg": "none"}), json!({"alg": "none", "kid": "rsa-a"}), json!({"alg": "None"})] {
            for claims in [claims_of(&app.admin_token), idp_claims("idp.user")] {
                let t = format!("{}.{}.", b64(header.to_string()), b64(claims.to_string()));
                refused_at(&app, &idp.address, &t).await;
                refused_at(&app, &app.address, &t).await;
            }
        }
    }

    async fn an_expired_provider_token_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let mut c = idp_claims("idp.user");
        c["iat"] = json!(now() - 900);
        c["exp"] = json!(now() - 120);
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
    }

    async fn a_provider_token_not_yet_valid_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let mut c = idp_claims("idp.user");
        c["nbf"] = json!(now() + 300);
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
        let mut c = idp_claims("idp.user");
        c["iat"] = json!(now() + 300);
        c["exp"] = json!(now() + 600);
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
    }

    async fn a_provider_token_living_too_long_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let mut c = idp_claims("idp.user");
        c["exp"] = json!(now() + 3601);
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
    }

    async fn a_provider_token_of_another_issuer_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let mut c = idp_claims("idp.user");
        c["iss"] = json!("https://evil.example");
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
        c.as_object_mut().unwrap().remove("iss");
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
    }

    async fn a_provider_token_for_another_audience_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        let mut c = idp_claims("idp.user");
        c["aud"] = json!("some-other-service");
        refused_at(&app, &idp.address, &rsa_token(&c)).await;
        c["aud"] = json!(["some-other-service", AUDIENCE]);
        let res = get_at(&app, &idp.address, "/api/v1/shelters", &rsa_token(&c)).await;
        assert_eq!(res.status(), StatusCode::OK, "a list naming us");
    }

    async fn a_tampered_provider_token_is_refused(b: Backend) {
        let (app, idp) = setup(b).await;
        idp_user(&app, "other.user").await;
        for (file, alg, kid) in [
            ("rsa-a.pem", Algorithm::RS256, "rsa-a"),
            ("ec-p256.pem", Algorithm::ES256, "ec"),
            ("ed25519.pem", Algorithm::EdDSA, "ed"),
        ] {
            let t = idp_token(file, alg, kid, &idp_claims("idp.user"));
            let parts: Vec<&str> = t.split('.').collect();
            let payload = b64(idp_claims("other.user").to_string());
            refused_at(&app, &idp.address, &format!("{}.{payload}.{}", parts[0], parts[2])).await;
            let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let last = sig.len() - 1;
            sig[last] ^= 0x01;
            refused_at(&app, &idp.address, &format!("{}.{}.{}", parts[0], parts[1], b64(&sig))).await;
        }
    }

    async fn a_key_removed_from_the_file_stops_verifying_at_once(b: Backend) {
        let (app, idp) = setup(b).await;
        let with_b = json!({"keys": [
            jwk("rsa-a.pem", Algorithm::RS256, "rsa-a"),
            jwk("rsa-b.pem", Algorithm::RS256, "rsa-b"),
        ]});
        write_atomically(&idp.jwks_path, &with_b);
        let ta = rsa_token(&idp_claims("idp.user"));
        let tb = idp_token("rsa-b.pem", Algorithm::RS256, "rsa-b", &idp_claims("idp.user"));
        // A key added to the file verifies at once, too.
        assert_eq!(get_at(&app, &idp.address, "/api/v1/shelters", &tb).await.status(), StatusCode::OK);
        assert_eq!(get_at(&app, &idp.address, "/api/v1/shelters", &ta).await.status(), StatusCode::OK);
        write_atomically(&idp.jwks_path, &json!({"keys": [jwk("rsa-b.pem", Algorithm::RS256, "rsa-b")]}));
        refused_at(&app, &idp.address, &ta).await;
        assert_eq!(get_at(&app, &idp.address, "/api/v1/shelters", &tb).await.status(), StatusCode::OK);
    }

    async fn a_deactivated_provider_user_is_refused_at_once(b: Backend) {
        let (app, idp) = setup(b).await;
        let id = idp_user(&app, "leaving.user").await;
        let t = rsa_token(&idp_claims("leaving.user"));
        assert_eq!(get_at(&app, &idp.address, "/api/v1/shelters", &t).await.status(), StatusCode::OK);
        let res = patch_user(&app, &id, &json!({"active": false})).await;
        assert_eq!(res.status(), StatusCode::OK);
        refused_at(&app, &idp.address, &t).await;
    }

    async fn a_provider_token_reaches_only_users_marked_for_the_provider(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let local = app.user_token("local.user", &["coordinator"], &[]).await;
        let local_id = claims_of(&local)["sub"].as_str().unwrap().to_owned();
        let idp = idp_instance(&app, &jwks_all());
        // Local accounts, the bootstrap admin first, are out of its reach.
        refused_at(&app, &idp.address, &rsa_token(&idp_claims(ADMIN))).await;
        refused_at(&app, &idp.address, &rsa_token(&idp_claims("local.user"))).await;
        // A user the admin creates as signing in through the provider.
        let res = app
            .post(
                "/api/v1/users",
                Some(&app.admin_token),
                &json!({"username": "city.user", "password": "a-long-password-1", "roles": ["coordinator"], "external_sign_in": true}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["external_sign_in"], true);
        let t = rsa_token(&idp_claims("city.user"));
        assert_eq!(get_at(&app, &idp.address, "/api/v1/shelters", &t).await.status(), StatusCode::OK);
        // A local user marked later, and unmarked again.
        let res = patch_user(&app, &local_id, &json!({"external_sign_in": true})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["external_sign_in"], true);
        let t = rsa_token(&idp_claims("local.user"));
        assert_eq!(get_at(&app, &idp.address, "/api/v1/shelters", &t).await.status(), StatusCode::OK);
        let res = patch_user(&app, &local_id, &json!({"external_sign_in": false})).await;
        assert_eq!(res.status(), StatusCode::OK);
        refused_at(&app, &idp.address, &t).await;
        // Their own tokens are untouched by the mark.
        assert_eq!(app.get("/api/v1/shelters", Some(&local)).await.status(), StatusCode::OK);
        // Only an admin marks.
        let res = patch_user_as(&app, &local, &local_id, &json!({"external_sign_in": true})).await;
        assert_problem(res, 403, "forbidden").await;
    }

    async fn a_url_source_is_fetched_at_start_and_again_for_an_unknown_kid(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        idp_user(&app, "idp.user").await;
        let served = Arc::new(Mutex::new(json!({"keys": [jwk("rsa-a.pem", Algorithm::RS256, "rsa-a")]})));
        let fetches = Arc::new(AtomicUsize::new(0));
        let url = jwks_server(served.clone(), fetches.clone());
        let address = instance_with_settings(&app, |s| s.idp = Some(idp_settings(JwksSource::Url(url))));
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched at start");
        let ta = rsa_token(&idp_claims("idp.user"));
        assert_eq!(get_at(&app, &address, "/api/v1/shelters", &ta).await.status(), StatusCode::OK);
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "a known kid needs no fetch");
        // The provider adds a key: its first token makes the service fetch.
        *served.lock().unwrap() = json!({"keys": [
            jwk("rsa-a.pem", Algorithm::RS256, "rsa-a"),
            jwk("ec-p256.pem", Algorithm::ES256, "ec"),
        ]});
        let te = idp_token("ec-p256.pem", Algorithm::ES256, "ec", &idp_claims("idp.user"));
        assert_eq!(get_at(&app, &address, "/api/v1/shelters", &te).await.status(), StatusCode::OK);
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // Made-up kids right after do not make it fetch again.
        for i in 0..5 {
            let t = idp_token("rsa-a.pem", Algorithm::RS256, &format!("made-up-{i}"), &idp_claims("idp.user"));
            refused_at(&app, &address, &t).await;
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "rate-limited");
    }
}

/// Serves `served` as a JWKS document on a loopback port, counting fetches.
fn jwks_server(served: Arc<Mutex<Value>>, fetches: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(move || {
        let served = served.clone();
        let fetches = fetches.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let served = served.clone();
                let fetches = fetches.clone();
                async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().map(|v| v.to_string()).unwrap_or_default();
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/jwks")
}

/// `PATCH /api/v1/users/{id}` as the admin.
pub async fn patch_user(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    patch_user_as(app, &app.admin_token, id, body).await
}

pub async fn patch_user_as(
    app: &TestApp,
    token: &str,
    id: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}
