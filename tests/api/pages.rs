//! A browser for the pages' tests over HTTP: its cookies kept from every
//! answer as a browser keeps them, no redirect followed, forms posted as
//! a browser posts them; and what every page test reads of an answer.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

pub const PASSWORD: &str = "a-long-password-1";

/// A browser: its cookies, kept from every answer as a browser keeps them,
/// and no redirect followed.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// The `Set-Cookie` headers of the last answer, as sent.
    pub last_set_cookies: Vec<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Below the server's keep-alive (see helpers::spawn_with).
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .expect("client"),
            cookies: HashMap::new(),
            last_set_cookies: Vec::new(),
        }
    }

    pub fn origin(&self) -> String {
        self.base.clone()
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep(&mut self, headers: &HeaderMap) {
        self.last_set_cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for line in &self.last_set_cookies {
            let pair = line.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if line.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request");
        self.keep(res.headers());
        res
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.get_with(path, &[]).await
    }

    /// A page that must answer 200: its HTML.
    pub async fn html(&mut self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.expect("page")
    }

    /// Posts a form; `origin` is the `Origin` header sent (none: none).
    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Response {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request");
        self.keep(res.headers());
        res
    }

    /// Posts a form from this site (its own `Origin`).
    pub async fn send(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let origin = self.base.clone();
        self.post(path, fields, Some(&origin), headers).await
    }

    /// Signs in through the form, as a browser does; returns the answer.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Response {
        let form = self.get("/login").await;
        assert_eq!(form.status(), StatusCode::OK);
        let html = form.text().await.expect("login page");
        let token = hidden_csrf(&html);
        let origin = self.origin();
        self.post(
            "/login",
            &[
                ("csrf", &token),
                ("username", username),
                ("password", password),
            ],
            Some(&origin),
            &[],
        )
        .await
    }

    pub fn session(&self) -> Option<String> {
        self.cookies.get("nattplats_session").cloned()
    }
}

/// The value of the page's hidden `csrf` field.
pub fn hidden_csrf(html: &str) -> String {
    hidden(html, "csrf")
}

/// The value of the first field named `name` in the page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a {name} field"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').expect("end of value")].to_owned()
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Creates a user through the API; returns its id.
pub async fn user(app: &TestApp, username: &str, roles: &[&str], shelters: &[&str]) -> String {
    let res = app
        .post(
            "/api/v1/users",
            Some(&app.admin_token),
            &json!({"username": username, "password": PASSWORD, "roles": roles, "shelter_ids": shelters}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "create {username}");
    let body: Value = res.json().await.expect("user json");
    body["id"].as_str().expect("id").to_owned()
}

/// A browser signed in through the form as `username` (password [`PASSWORD`]).
pub async fn signed_in_browser(app: &TestApp, username: &str) -> Browser {
    let mut b = Browser::new(&app.address);
    let res = b.sign_in(username, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {username}");
    assert_eq!(location(&res), "/");
    b
}
