//! The pages' own files, built into the binary: the stylesheet, the small
//! script, and htmx (vendored from its npm package by
//! `scripts/vendor-htmx.sh`). Nothing is fetched from another site.
//!
//! A page links each file with its content hash in the query
//! (`/static/app.css?v=…`); such an address names one content for ever
//! and is cached for a year. Any other address of the file is revalidated
//! by its `ETag`.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

/// htmx's settings, in `<meta name="htmx-config">`: no inline style for
/// its indicators (the CSP allows none), no `eval` (nor does the CSP),
/// no copies of pages in the browser's storage (they hold names), and
/// requests to this site only. A refusal (4xx) or failure (5xx) is
/// swapped in like any answer: the pages answer an htmx request with the
/// words to show, whatever the status.
pub const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[2345]..","swap":true}]}"#;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: [Asset; 3] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "vendor/htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/vendor/htmx.min.js"),
    },
];

/// The first 16 hex digits of each file's SHA-256, in the order of `FILES`.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|f| hex::encode(Sha256::digest(f.body))[..16].to_owned())
        .collect()
});

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    FILES
        .iter()
        .zip(HASHES.iter())
        .find(|(f, _)| f.name == name)
        .map(|(f, h)| (f, h.as_str()))
}

/// The address a page links `name` by: with its content hash.
pub fn url(name: &str) -> String {
    match find(name) {
        Some((f, hash)) => format!("/static/{}?v={hash}", f.name),
        None => format!("/static/{name}"),
    }
}

/// The routes of the files.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for f in &FILES {
        cfg.route(&format!("/static/{}", f.name), web::get().to(serve));
    }
}

async fn serve(req: HttpRequest) -> HttpResponse {
    let name = req.path().trim_start_matches("/static/");
    let Some((file, hash)) = find(name) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = format!("\"{hash}\"");
    let versioned = req
        .query_string()
        .split('&')
        .any(|kv| kv == format!("v={hash}"));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(file.content_type)
            .body(file.body)
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_linked_by_their_content() {
        let css = url("app.css");
        assert!(css.starts_with("/static/app.css?v="), "{css}");
        assert_eq!(css.len(), "/static/app.css?v=".len() + 16);
        assert!(url("vendor/htmx.min.js").starts_with("/static/vendor/htmx.min.js?v="));
    }

    #[test]
    fn htmx_is_the_vendored_file_and_its_config_is_json() {
        let (htmx, _) = find("vendor/htmx.min.js").unwrap();
        let text = std::str::from_utf8(htmx.body).unwrap();
        assert!(text.contains("htmx"), "not htmx");
        assert!(text.contains("includeIndicatorStyles"));
        let config: serde_json::Value = serde_json::from_str(HTMX_CONFIG).unwrap();
        assert_eq!(config["includeIndicatorStyles"], false);
        assert_eq!(config["allowEval"], false);
    }

    #[test]
    fn our_files_hold_no_inline_style_or_script_loader() {
        for name in ["app.css", "app.js"] {
            let (f, _) = find(name).unwrap();
            let text = std::str::from_utf8(f.body).unwrap();
            assert!(!text.contains("eval("), "{name}");
            assert!(!text.contains("innerHTML"), "{name}");
        }
    }
}
