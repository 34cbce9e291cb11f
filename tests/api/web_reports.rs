//! The follow-up report as a page (issue 17), over HTTP as a browser sends
//! it: the page opens with a session for the report roles and answers 403
//! to the others; its figures are the JSON report's; the Excel CSV
//! through the page is the API's with a byte order mark and semicolons;
//! each is on the audit trail as `report.follow-up`; every word the
//! report produces is in words in both languages.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::pages::*;
use crate::reports::build_month;

const DECEMBER: &str = "from=2019-12-01&to=2019-12-31";

async fn english(b: &mut Browser) {
    let res = b.get("/reports?lang=en").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// The cells of the row of all organisations of a table of the page:
/// (label, cells with the total last).
fn all_row(html: &str, table_id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<table id=\"{table_id}\""))
        .unwrap_or_else(|| panic!("table {table_id}"));
    let table = &html[start..start + html[start..].find("</table>").expect("end of table")];
    let row = &table[table.find("<tr class=\"all\">").expect("the row of all")..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    row.split("<td>")
        .skip(1)
        .map(|c| c[..c.find("</td>").expect("end of cell")].to_owned())
        .collect()
}

/// The column headers of a table of the page.
fn headers(html: &str, table_id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<table id=\"{table_id}\""))
        .expect("table");
    let head = &html[start..start + html[start..].find("</thead>").expect("head")];
    head.split("<th scope=\"col\">")
        .skip(1)
        .map(|c| c[..c.find("</th>").expect("end")].to_owned())
        .collect()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// askama's escaping of a text, for finding a catalogue text in a page.
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A catalogue's `key = text` lines.
fn catalogue(lang: &str) -> BTreeMap<String, String> {
    let path = format!("{}/locales/{lang}/reports.ftl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .expect("reports.ftl")
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

backend_tests! {
    async fn the_report_page_is_for_coordinators_and_outreach(b: Backend) {
        let app = spawn_app(b).await;
        let shelter = app.shelters().await[0]["id"].as_str().unwrap().to_owned();
        for (user, roles, shelters) in [
            ("coord.r", vec!["coordinator"], vec![]),
            ("eu.r", vec!["outreach"], vec![]),
            ("desk.r", vec!["shelter_staff"], vec![shelter.as_str()]),
            ("sj.r", vec!["social_emergency"], vec![]),
        ] {
            app.user_token(user, &roles, &shelters).await;
        }
        // No session: the way to sign in.
        let mut anon = Browser::new(&app.address);
        let res = anon.get("/reports").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/login");
        let res = anon.get("/reports/follow-up.csv?from=2019-11-25&to=2019-11-30").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        for user in ["coord.r", "eu.r"] {
            let mut br = signed_in(&app, user, PASSWORD).await;
            let page = br.html("/reports").await;
            assert!(page.contains("id=\"report-chooser\""), "{user}");
            assert!(!page.contains("id=\"report\""), "no report before a period is chosen");
            let start = br.html("/").await;
            assert!(start.contains("href=\"/reports\""), "{user}: the start page links the reports");
            assert_eq!(start.matches("href=\"/reports\"").count(), 1, "{user}: one link");
            let title = &start[start.find("<title>").unwrap() + 7..start.find("</title>").unwrap()];
            assert!(!title.contains('<'), "{user}: the title is text only: {title}");
            assert!(!start.contains("Sidorna för din roll kommer senare"), "{user}: the start page does not say there is no page");
        }
        // The API's report roles only: the admin is not one of them.
        for (user, password) in [("desk.r", PASSWORD), ("sj.r", PASSWORD), (ADMIN, ADMIN_PASSWORD)] {
            let mut br = signed_in(&app, user, password).await;
            for path in ["/reports", "/reports?preset=half-year", "/reports/follow-up.csv?from=2019-11-25&to=2019-11-30&dialect=excel"] {
                let res = br.get(path).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user} {path}");
                let body = res.text().await.unwrap();
                assert!(body.contains("id=\"denied\""), "{user} {path}");
            }
            let start = br.html("/").await;
            assert!(!start.contains("href=\"/reports\""), "{user}: no link to a page refused");
        }
        // A period the API refuses is said so on the page.
        let mut br = signed_in(&app, "coord.r", PASSWORD).await;
        let res = br.get("/reports?preset=dates&from=2019-12-31&to=2019-12-01").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("id=\"period-invalid\""));
    }

    async fn the_page_shows_the_json_reports_figures_in_words_and_the_excel_csv_is_the_apis(b: Backend) {
        let m = build_month(b).await;
        let json = m.report_with(&m.coordinator, DECEMBER).await;
        let audited = |app: &TestApp| {
            let app_token = app.admin_token.clone();
            let client = app.client.clone();
            let url = app.url("/api/v1/audit?limit=1000");
            async move {
                let v: Value = client.get(url).bearer_auth(app_token).send().await.unwrap().json().await.unwrap();
                v["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "report.follow-up").cloned().collect::<Vec<_>>()
            }
        };
        let users: Vec<Value> = m.app.get("/api/v1/users", Some(&m.app.admin_token)).await.json().await.unwrap();
        let coord_id = users.iter().find(|u| u["username"] == "coord").unwrap()["id"].clone();

        let mut sv = signed_in(&m.app, "coord", PASSWORD).await;
        let before = audited(&m.app).await.len();
        let page = sv.html(&format!("/reports?preset=dates&{DECEMBER}")).await;
        let after = audited(&m.app).await;
        assert_eq!(after.len(), before + 1, "the page is one report.follow-up entry");
        assert_eq!(after[0]["user_id"], coord_id, "by the coordinator who opened it");
        assert!(page.contains("id=\"report\""));
        assert!(page.contains("id=\"suppression-note\""), "what <5 and x mean");
        assert!(page.contains("id=\"chart-occupancy\"") && page.contains("id=\"chart-turnaways\""));
        assert!(!page.contains("style="), "no inline style");
        assert!(!page.contains("<script>"), "no inline script");

        // Figures: the page's rows of all organisations are the JSON's.
        let all_of = |t: &Value| -> Vec<String> {
            let row = t["rows"].as_array().unwrap().iter().find(|r| r["organization_id"].is_null()).unwrap();
            let mut v: Vec<String> = row["cells"].as_array().unwrap().iter().map(|c| escaped(&text_of(c))).collect();
            if !row["total"].is_null() {
                v.push(escaped(&text_of(&row["total"])));
            }
            v
        };
        for (id, path) in [
            ("table-guests-by-gender", "/guests/by_gender"),
            ("table-guests-by-age-band", "/guests/by_age_band"),
            ("table-bed-nights-by-citizenship", "/bed_nights/by_citizenship"),
            ("table-stays", "/stays"),
            ("table-turnaways", "/turnaways"),
            ("table-referrals-by-reason", "/referrals/by_reason"),
            ("table-incidents", "/incidents"),
            ("table-complaints-by-status", "/complaints/by_status"),
        ] {
            assert_eq!(all_row(&page, id), all_of(json.pointer(path).unwrap()), "{id}");
        }
        let occupied = json["occupancy"]["total"]["all"]["occupied"].as_i64().unwrap();
        assert!(occupied > 0);
        assert_eq!(all_row(&page, "table-occupancy")[1], occupied.to_string(), "occupied place-nights");
        // The month has small counts, shown as the report gives them.
        assert!(page.contains("<td>&#60;5</td>") || page.contains("<td>x</td>"), "suppressed figures shown");

        // Every column word the report produced is a catalogue text, in
        // both languages, and the page shows the text, not the word.
        let mut en = signed_in(&m.app, "coord", PASSWORD).await;
        english(&mut en).await;
        let page_en = en.html(&format!("/reports?preset=dates&{DECEMBER}")).await;
        assert!(page_en.contains("<html lang=\"en\">"));
        for (lang, html) in [("sv", &page), ("en", &page_en)] {
            let texts = catalogue(lang);
            for (id, path, kind) in [
                ("table-guests-by-gender", "/guests/by_gender", "gender"),
                ("table-bed-nights-by-age-band", "/bed_nights/by_age_band", "age"),
                ("table-stays", "/stays", "outcome"),
                ("table-turnaways", "/turnaways", "refusal"),
                ("table-referrals-by-reason", "/referrals/by_reason", "referral-reason"),
                ("table-referrals-by-status", "/referrals/by_status", "referral-status"),
                ("table-incidents", "/incidents", "incident"),
                ("table-complaints-by-category", "/complaints/by_category", "complaint-category"),
                ("table-complaints-by-kind", "/complaints/by_kind", "complaint-kind"),
                ("table-complaints-by-status", "/complaints/by_status", "complaint-status"),
            ] {
                let shown = headers(html, id);
                for word in json.pointer(path).unwrap()["columns"].as_array().unwrap() {
                    let word = word.as_str().unwrap();
                    let key = format!("report-{kind}-{}", word.replace('+', "plus"));
                    let text = texts.get(&key).unwrap_or_else(|| panic!("{lang}: no text for {word} ({key})"));
                    assert!(shown.contains(&escaped(text)), "{lang} {id}: {text} among {shown:?}");
                }
            }
            for q in json["survey"]["questions"].as_array().unwrap() {
                let key = format!("report-question-{}", q["id"].as_str().unwrap());
                assert!(texts.contains_key(&key), "{lang}: {key}");
                for a in q["answers"].as_array().unwrap() {
                    let a = a.as_str().unwrap();
                    assert!(a.chars().all(|c| c.is_ascii_digit()) || texts.contains_key(&format!("report-answer-{a}")), "{lang}: answer {a}");
                }
            }
        }
        assert!(page.contains("avslutad efter uteblivna nätter"));
        assert!(page_en.contains("ended after no-shows"));
        assert!(!page.contains(">ended_by_no_shows<") && !page_en.contains(">ended_by_no_shows<"));

        // The downloads: the page links them, and they are the API's.
        assert!(page.contains(&format!("href=\"/reports/follow-up.csv?{}&#38;dialect=excel\"", DECEMBER.replace('&', "&#38;"))));
        let records = |bytes: &[u8], delimiter: u8| -> Vec<Vec<String>> {
            csv::ReaderBuilder::new().has_headers(false).delimiter(delimiter).from_reader(bytes)
                .records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
        };
        let before = audited(&m.app).await.len();
        let res = sv.get(&format!("/reports/follow-up.csv?{DECEMBER}&dialect=excel")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(res.headers()["content-disposition"].to_str().unwrap().contains("-excel.csv"));
        let excel = res.bytes().await.unwrap().to_vec();
        assert_eq!(audited(&m.app).await.len(), before + 1, "the download is one report.follow-up entry");
        assert_eq!(&excel[..3], [0xEF, 0xBB, 0xBF], "a byte order mark first");
        let header = std::str::from_utf8(&excel[3..]).unwrap().lines().next().unwrap().to_owned();
        assert_eq!(header, "section;table;organization_id;organization;column;value");
        let api = m.app.get(&format!("/api/v1/reports/follow-up.csv?{DECEMBER}"), Some(&m.coordinator)).await;
        let comma = api.bytes().await.unwrap().to_vec();
        let (a, e) = (records(&comma, b','), records(&excel[3..], b';'));
        assert!(a.len() > 50, "{} records", a.len());
        assert_eq!(a, e, "the same records as the API's CSV");
        // And the machines' form through the page is the API's, byte for byte.
        let res = sv.get(&format!("/reports/follow-up.csv?{DECEMBER}")).await;
        assert_eq!(res.bytes().await.unwrap().to_vec(), comma);
    }
}

/// A browser signed in as `username` through the form.
async fn signed_in(app: &TestApp, username: &str, password: &str) -> Browser {
    let mut b = Browser::new(&app.address);
    let res = b.sign_in(username, password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {username}");
    b
}
