use std::time::{Duration, Instant};

use nattplats::config::{IpNet, JwtSecretSource, LoginLimits};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::idp::{b64, claims_of, get_at, instance_with_settings, now, own_token, refused_at};

async fn login_at(
    app: &TestApp,
    address: &str,
    username: &str,
    password: &str,
    from: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{address}/api/v1/auth/token"))
        .json(&json!({"username": username, "password": password}));
    if let Some(ip) = from {
        req = req.header("X-Forwarded-For", ip);
    }
    req.send().await.expect("request")
}

/// Expects 429 `too-many-attempts` with a Retry-After of whole seconds.
async fn limited(res: reqwest::Response) {
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry.is_some_and(|s| (1..=900).contains(&s)),
        "Retry-After {retry:?}"
    );
    assert_problem(res, 429, "too-many-attempts").await;
}

/// An instance with small login budgets that believes the loopback proxy.
fn limited_instance(app: &TestApp, trust_loopback: bool) -> String {
    instance_with_settings(app, |s| {
        s.login_limits = LoginLimits {
            per_username: 3,
            per_address: 5,
            window_seconds: 900,
        };
        if trust_loopback {
            s.trusted_proxies = vec![IpNet::parse("127.0.0.1").unwrap()];
        }
    })
}

backend_tests! {
    async fn a_token_for_good_credentials(b: Backend) {
        let app = spawn_app(b).await;
        let res = app
            .post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 8 * 3600);
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(token.split('.').count(), 3);
        let res = app.get("/api/v1/shelters", Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn wrong_password_and_unknown_user_get_the_same_401(b: Backend) {
        let app = spawn_app(b).await;
        let wrong = app
            .post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": "not-the-password"}))
            .await;
        let wrong = assert_problem(wrong, 401, "unauthorized").await;
        let unknown = app
            .post("/api/v1/auth/token", None, &json!({"username": "nobody", "password": "not-the-password"}))
            .await;
        let unknown = assert_problem(unknown, 401, "unauthorized").await;
        assert_eq!(wrong["detail"], unknown["detail"]);
    }

    async fn a_login_needs_both_fields(b: Backend) {
        let app = spawn_app(b).await;
        let res = app.post("/api/v1/auth/token", None, &json!({"username": ADMIN})).await;
        let p = assert_problem(res, 422, "validation-failed").await;
        assert_eq!(error_fields(&p), vec!["password"]);
    }

    async fn requests_without_a_valid_token_are_401(b: Backend) {
        let app = spawn_app(b).await;
        for path in ["/api/v1/shelters", "/api/v1/guests?q=a"] {
            let res = app.get(path, None).await;
            assert!(res.headers().get("www-authenticate").is_some());
            assert_problem(res, 401, "unauthorized").await;
            assert_problem(app.get(path, Some("not-a-jwt")).await, 401, "unauthorized").await;
            let res = app
                .client
                .get(app.url(path))
                .header("Authorization", format!("Basic {}", app.admin_token))
                .send()
                .await
                .unwrap();
            assert_problem(res, 401, "unauthorized").await;
        }
        // A token signed with another secret.
        let forged = nattplats::auth::TokenKeys::from_secret(b"someone-elses-secret-0123456789abc", 600)
            .issue("x", vec![nattplats::domain::Role::Admin], vec![])
            .unwrap();
        assert_problem(app.get("/api/v1/shelters", Some(&forged)).await, 401, "unauthorized").await;
    }

    async fn an_unknown_user_costs_about_what_a_wrong_password_costs(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let mut wrong = Vec::new();
        let mut unknown = Vec::new();
        for i in 0..5 {
            let t = Instant::now();
            let res = app.post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": "not-the-password"})).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            wrong.push(t.elapsed());
            let t = Instant::now();
            let res = app.post("/api/v1/auth/token", None, &json!({"username": format!("nobody{i}"), "password": "not-the-password"})).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            unknown.push(t.elapsed());
        }
        wrong.sort();
        unknown.sort();
        // The fastest of each: noise from other work on the machine only
        // ever adds time. Both verify one argon2 hash; without the dummy the
        // unknown user would answer tens of times faster.
        let (w, u) = (wrong[0], unknown[0]);
        assert!(u * 3 > w && w * 3 > u, "fastest wrong {w:?}, unknown {u:?}");
        assert!(w > Duration::from_millis(1));
    }

    async fn alg_none_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let claims = claims_of(&app.admin_token);
        let t = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(claims.to_string()));
        refused_at(&app, &app.address, &t).await;
    }

    async fn an_hs256_token_signed_with_a_public_key_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let pem = std::fs::read(crate::idp::key_file("rsa-a.pub.pem")).unwrap();
        let t = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims_of(&app.admin_token),
            &jsonwebtoken::EncodingKey::from_secret(&pem),
        )
        .unwrap();
        refused_at(&app, &app.address, &t).await;
    }

    async fn an_expired_token_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let t = own_token(&app, |c| {
            c["iat"] = json!(now() - 9 * 3600);
            c["exp"] = json!(now() - 3600);
        });
        refused_at(&app, &app.address, &t).await;
        // Within the leeway it still holds.
        let t = own_token(&app, |c| {
            c["iat"] = json!(now() - 600);
            c["exp"] = json!(now() - 5);
        });
        assert_eq!(app.get("/api/v1/shelters", Some(&t)).await.status(), StatusCode::OK);
    }

    async fn a_token_not_yet_valid_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let t = own_token(&app, |c| {
            c["iat"] = json!(now() + 600);
            c["exp"] = json!(now() + 1200);
        });
        refused_at(&app, &app.address, &t).await;
        let t = own_token(&app, |c| c["nbf"] = json!(now() + 600));
        refused_at(&app, &app.address, &t).await;
    }

    async fn a_token_living_longer_than_ours_do_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let t = own_token(&app, |c| c["exp"] = json!(c["iat"].as_i64().unwrap() + 30 * 86_400));
        refused_at(&app, &app.address, &t).await;
    }

    async fn a_token_of_another_issuer_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        refused_at(&app, &app.address, &own_token(&app, |c| c["iss"] = json!("someone-else"))).await;
    }

    async fn a_token_for_another_audience_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        refused_at(&app, &app.address, &own_token(&app, |c| c["aud"] = json!("another-api"))).await;
    }

    async fn a_tampered_token_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let parts: Vec<&str> = app.admin_token.split('.').collect();
        let mut claims = claims_of(&app.admin_token);
        claims["sub"] = json!("someone-else");
        let t = format!("{}.{}.{}", parts[0], b64(claims.to_string()), parts[2]);
        refused_at(&app, &app.address, &t).await;
        let mut sig = parts[2].to_owned();
        let last = if sig.ends_with('A') { 'B' } else { 'A' };
        sig.pop();
        sig.push(last);
        refused_at(&app, &app.address, &format!("{}.{}.{sig}", parts[0], parts[1])).await;
    }

    async fn a_valid_token_for_no_user_is_refused(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        refused_at(&app, &app.address, &own_token(&app, |c| c["sub"] = json!("no-such-user-id"))).await;
    }

    async fn a_new_secret_refuses_old_tokens_at_once(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let rotated = app.instance_with(|s| {
            s.jwt_secret = JwtSecretSource::Value(SecretString::from("a-brand-new-secret-after-the-leak-0123456789".to_owned()));
        });
        refused_at(&app, &rotated, &app.admin_token).await;
        // The old instance, on the old secret, still takes it; a login at
        // the new one gives a token only the new secret verifies.
        assert_eq!(app.get("/api/v1/shelters", Some(&app.admin_token)).await.status(), StatusCode::OK);
        let res = login_at(&app, &rotated, ADMIN, ADMIN_PASSWORD, None).await;
        let body: Value = res.json().await.unwrap();
        let fresh = body["access_token"].as_str().unwrap();
        assert_eq!(get_at(&app, &rotated, "/api/v1/shelters", fresh).await.status(), StatusCode::OK);
        refused_at(&app, &app.address, fresh).await;
    }

    async fn a_new_secret_file_refuses_old_tokens_at_once(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nattplats.secret");
        // A missing file is made with a fresh secret.
        let rotated = app.instance_with(|s| s.jwt_secret = JwtSecretSource::File(path.clone()));
        assert!(path.exists());
        refused_at(&app, &rotated, &app.admin_token).await;
    }

    async fn failed_logins_for_one_username_slow_down_the_guessers_only(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        app.user_token("bystander", &["coordinator"], &[]).await;
        let at = limited_instance(&app, true);
        // One guesser, many addresses, one username: its budget of 3.
        for i in 0..3 {
            let res = login_at(&app, &at, ADMIN, "guess-guess-guess", Some(&format!("198.51.100.{i}"))).await;
            assert_problem(res, 401, "unauthorized").await;
        }
        // An address that has been guessing waits, even with the right
        // password, so guessing cannot go on from it.
        limited(login_at(&app, &at, ADMIN, "guess-guess-guess", Some("198.51.100.1")).await).await;
        limited(login_at(&app, &at, ADMIN, ADMIN_PASSWORD, Some("198.51.100.2")).await).await;
        // An address that has not been guessing gets in with the password ...
        let res = login_at(&app, &at, ADMIN, ADMIN_PASSWORD, Some("203.0.113.1")).await;
        assert_eq!(res.status(), StatusCode::OK);
        // ... and gets one try, which then counts: after it, it waits too.
        let res = login_at(&app, &at, ADMIN, "guess-guess-guess", Some("203.0.113.9")).await;
        assert_problem(res, 401, "unauthorized").await;
        limited(login_at(&app, &at, ADMIN, ADMIN_PASSWORD, Some("203.0.113.9")).await).await;
        // Someone else, elsewhere, is not touched.
        let res = login_at(&app, &at, "bystander", "a-long-password-1", Some("203.0.113.2")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn two_instances_share_the_login_budgets(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let one = limited_instance(&app, true);
        let two = limited_instance(&app, true);
        // Sequential guesses from one address, alternating instances: the
        // username's budget of 3 holds for both together (each instance
        // counting its own would let 6 through).
        let mut refused = 0;
        for i in 0..8 {
            let at = if i % 2 == 0 { &one } else { &two };
            let res = login_at(&app, at, ADMIN, "guess-guess-guess", Some("198.51.100.7")).await;
            match res.status().as_u16() {
                401 => refused += 1,
                429 => limited(res).await,
                other => panic!("status {other}"),
            }
        }
        assert_eq!(refused, 3, "wrong guesses judged");
        // The address's budget of 5 is shared too: the answers 429 above
        // were attempts from it, so it is spent at both instances, for any
        // username.
        for at in [&one, &two] {
            limited(login_at(&app, at, "nobody", "guess-guess-guess", Some("198.51.100.7")).await).await;
        }
    }

    async fn parallel_guesses_at_two_instances_stay_within_the_budget(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let wide = |s: &mut nattplats::config::Settings| {
            s.login_limits = LoginLimits { per_username: 3, per_address: 1000, window_seconds: 900 };
            s.trusted_proxies = vec![IpNet::parse("127.0.0.1").unwrap()];
        };
        let one = instance_with_settings(&app, wide);
        let two = instance_with_settings(&app, wide);
        // The address has been guessing already: its first try is spent.
        let res = login_at(&app, &one, ADMIN, "guess-guess-guess", Some("198.51.100.7")).await;
        assert_problem(res, 401, "unauthorized").await;
        let guesses = (0..30).map(|i| {
            let at = if i % 2 == 0 { one.clone() } else { two.clone() };
            let app = &app;
            async move { login_at(app, &at, ADMIN, &format!("guess-{i}-guess"), Some("198.51.100.7")).await.status().as_u16() }
        });
        let answers = futures_util::future::join_all(guesses).await;
        let judged = answers.iter().filter(|s| **s == 401).count();
        let limited = answers.iter().filter(|s| **s == 429).count();
        assert_eq!(judged + limited, 30, "{answers:?}");
        assert_eq!(judged + 1, 3, "wrong guesses judged in all: {answers:?}");
    }

    async fn the_admin_logs_in_from_a_fresh_address_while_the_username_is_hammered(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let one = limited_instance(&app, true);
        let two = limited_instance(&app, true);
        let hammer = {
            let client = app.client.clone();
            let (one, two) = (one.clone(), two.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for i in 0..40 {
                    let at = if i % 2 == 0 { &one } else { &two };
                    let res = client
                        .post(format!("{at}/api/v1/auth/token"))
                        .header("X-Forwarded-For", "198.51.100.66")
                        .json(&json!({"username": ADMIN, "password": format!("guess-{i}")}))
                        .send()
                        .await
                        .expect("request");
                    answers.push(res.status().as_u16());
                }
                answers
            })
        };
        // Meanwhile the admin logs in, at both instances, from addresses
        // that have not been guessing.
        for (i, at) in [&one, &two, &one, &two, &one].into_iter().enumerate() {
            let res = login_at(&app, at, ADMIN, ADMIN_PASSWORD, Some(&format!("203.0.113.{i}"))).await;
            assert_eq!(res.status(), StatusCode::OK, "the admin's login {i}");
        }
        let answers = hammer.await.unwrap();
        // The guesser's wrong guesses judged: at most the budget (fewer when
        // the admin's logins held a reservation at the moment it asked).
        let judged = answers.iter().filter(|s| **s == 401).count();
        assert!((1..=3).contains(&judged), "{answers:?}");
        assert!(answers.iter().all(|s| *s == 401 || *s == 429), "{answers:?}");
        // Once the hammering is over the admin still gets in, at both.
        for (i, at) in [&one, &two].into_iter().enumerate() {
            let res = login_at(&app, at, ADMIN, ADMIN_PASSWORD, Some(&format!("203.0.113.{}", 50 + i))).await;
            assert_eq!(res.status(), StatusCode::OK);
        }
    }

    async fn failed_logins_from_one_address_are_limited(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        app.user_token("bystander", &["coordinator"], &[]).await;
        let at = limited_instance(&app, true);
        // One address trying many usernames.
        for i in 0..5 {
            let res = login_at(&app, &at, &format!("user{i}"), "guess-guess-guess", Some("198.51.100.7")).await;
            assert_problem(res, 401, "unauthorized").await;
        }
        limited(login_at(&app, &at, "user9", "guess-guess-guess", Some("198.51.100.7")).await).await;
        // Who shares the address shares the limit ...
        limited(login_at(&app, &at, "bystander", "a-long-password-1", Some("198.51.100.7")).await).await;
        // ... and nobody else does.
        let res = login_at(&app, &at, "bystander", "a-long-password-1", Some("203.0.113.2")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let at = limited_instance(&app, false);
        // A new made-up address each time does not escape the limit.
        for i in 0..5 {
            let res = login_at(&app, &at, &format!("user{i}"), "guess-guess-guess", Some(&format!("198.51.100.{i}"))).await;
            assert_problem(res, 401, "unauthorized").await;
        }
        limited(login_at(&app, &at, "user9", "guess-guess-guess", Some("198.51.100.99")).await).await;
    }

    async fn the_default_limits_hold_on_a_plain_instance(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let defaults = LoginLimits::default();
        // Successful logins cost nothing: the admin's own at spawn, and more.
        for _ in 0..defaults.per_username + 1 {
            app.login(ADMIN, ADMIN_PASSWORD).await;
        }
        for _ in 0..defaults.per_username {
            let res = app.post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": "guess-guess-guess"})).await;
            assert_problem(res, 401, "unauthorized").await;
        }
        // This address has been guessing: it waits, with the right password too.
        limited(app.post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": "guess-guess-guess"})).await).await;
        limited(app.post("/api/v1/auth/token", None, &json!({"username": ADMIN, "password": ADMIN_PASSWORD})).await).await;
    }

    async fn no_username_or_password_of_a_failed_login_reaches_the_log(b: Backend) {
        let app = spawn_with(b, Options::default()).await;
        let name = format!("ghost{}", uuid::Uuid::new_v4().simple());
        let password = format!("pw{}", uuid::Uuid::new_v4().simple());
        let res = app.post("/api/v1/auth/token", None, &json!({"username": name, "password": password})).await;
        assert_problem(res, 401, "unauthorized").await;
        let log = log_text();
        assert!(!log.contains(&name));
        assert!(!log.contains(&password));
    }
}
