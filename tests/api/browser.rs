//! The printable report in a real headless browser (Debian's `chromium`):
//! the page is served with the service's own headers (its CSP included)
//! from a local socket, rendered with no network, its DOM read back and
//! the totals compared with the JSON report; it prints to PDF.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::reports::build_month;

fn chromium() -> String {
    let path =
        std::env::var("NATTPLATS_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&path).exists(),
        "no browser at {path}: apt-get install -y chromium (or set NATTPLATS_TEST_CHROMIUM)"
    );
    path
}

/// Serves `body` with `headers` to every request on a local port, in a
/// thread, for as long as the test runs.
fn serve(body: String, headers: Vec<(String, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let found = request.starts_with("GET /report ");
            let mut head = if found {
                "HTTP/1.1 200 OK\r\n".to_owned()
            } else {
                "HTTP/1.1 404 Not Found\r\n".to_owned()
            };
            let payload = if found { body.clone() } else { String::new() };
            if found {
                for (k, v) in &headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                payload.len()
            ));
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(payload.as_bytes());
        }
    });
    format!("http://{addr}/report")
}

fn run_chromium(args: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args);
    let out = cmd.output().expect("start chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The text of the element carrying `data-figure="KEY"` in the DOM.
fn figure(dom: &str, key: &str) -> String {
    let marker = format!("data-figure=\"{key}\">");
    let start = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no figure {key} in the rendered page"))
        + marker.len();
    let end = dom[start..].find('<').unwrap() + start;
    dom[start..end].replace("&lt;", "<")
}

fn text(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

backend_tests! {
    async fn the_printable_report_renders_in_a_headless_browser_with_its_totals(b: Backend) {
        let m = build_month(b).await;
        let query = "from=2019-12-01&to=2019-12-31";
        let json = m.report_with(&m.outreach, query).await;
        let res = m.app.get(&format!("/api/v1/reports/follow-up.html?{query}"), Some(&m.outreach)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let mut headers = Vec::new();
        for name in ["content-type", "content-security-policy", "x-content-type-options"] {
            headers.push((name.to_owned(), res.headers()[name].to_str().unwrap().to_owned()));
        }
        let csp = &headers[1].1;
        assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
        let html = res.text().await.unwrap();
        // Nothing to fetch: no sources, no links, no scripts.
        for needle in ["<script", " src=", " href=", "url(", "@import"] {
            assert!(!html.contains(needle), "the page would fetch or run something: {needle}");
        }
        assert!(!m.guests.iter().any(|g| html.contains(&g.name)), "a name in the report");
        let url = serve(html, headers);

        let out = run_chromium(&["--dump-dom".to_owned(), url.clone()]);
        let dom = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(dom.contains("<h1>Follow-up report 2019-12-01"), "the page did not render: {}", &dom[..dom.len().min(500)]);
        // The totals as rendered are the report's.
        let all = |t: &Value| t["rows"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(figure(&dom, "guests-gender.all.total"), text(&all(&json["guests"]["by_gender"])["total"]));
        assert_eq!(figure(&dom, "nights-gender.all.total"), text(&all(&json["bed_nights"]["by_gender"])["total"]));
        assert_eq!(figure(&dom, "turnaways.all.total"), text(&all(&json["turnaways"])["total"]));
        assert_eq!(figure(&dom, "occupancy.total.all.occupied"), text(&json["occupancy"]["total"]["all"]["occupied"]));
        assert_eq!(figure(&dom, "occupancy.total.all.places"), text(&json["occupancy"]["total"]["all"]["places"]));
        assert_eq!(figure(&dom, "survey.responses"), text(&json["survey"]["responses"]));
        let beds = m.bed_nights(crate::reports::d("2019-12-01"), crate::reports::d("2019-12-31")).len();
        assert_eq!(figure(&dom, "occupancy.total.all.occupied"), beds.to_string());
        // Every organisation's row, suppressed or not, as in the JSON.
        for r in json["guests"]["by_citizenship"]["rows"].as_array().unwrap() {
            let row = r["organization_id"].as_str().unwrap_or("all");
            assert_eq!(figure(&dom, &format!("guests-citizenship.{row}.total")), text(&r["total"]));
        }
        // The charts are there: a bar per night, a bar per reason that
        // turned someone away.
        assert_eq!(dom.matches("class=\"occupied\"").count(), 31);
        assert!(dom.contains("id=\"chart-turnaways\""));
        assert!(dom.matches("class=\"turnaway\"").count() >= 2);

        // And it prints.
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("report.pdf");
        run_chromium(&["--no-pdf-header-footer".to_owned(), format!("--print-to-pdf={}", pdf.display()), url]);
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF") && bytes.len() > 10_000, "no PDF ({} bytes)", bytes.len());
    }
}
