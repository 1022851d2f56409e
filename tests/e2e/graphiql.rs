//! The development GraphiQL page loads nothing from outside the server, and every
//! file it loads is served with its content type and matches the integrity hash the
//! page gives the browser.

use crate::support::spawn_app;
use base64::Engine;
use sha2::{Digest, Sha384};

/// Every value of `attr="..."` in `html`.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The tags of `html` named `name` (`<script ...>`, `<link ...>`), opening tag only.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    html.match_indices(&open)
        .filter_map(|(i, _)| html[i..].find('>').map(|end| &html[i..=i + end]))
        .collect()
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_with_integrity() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("page");

    for scheme in ["http:", "https:", "\"//", "'//"] {
        assert!(
            !page.contains(scheme),
            "the page names an external URL ({scheme}):\n{page}"
        );
    }

    // (tag, URL, integrity, expected content type) for each script and stylesheet.
    let mut refs = Vec::new();
    for tag in tags(&page, "script") {
        if let Some(src) = attr_values(tag, "src").first() {
            refs.push((tag, *src, "text/javascript"));
        }
    }
    for tag in tags(&page, "link") {
        if let Some(href) = attr_values(tag, "href").first() {
            refs.push((tag, *href, "text/css"));
        }
    }
    assert_eq!(
        refs.len(),
        4,
        "GraphiQL, its stylesheet, React and ReactDOM: {refs:?}"
    );
    for (tag, url, content_type) in refs {
        assert!(
            url.starts_with("/graphql/assets/"),
            "{url}: not served by Passerelle"
        );
        let integrity = attr_values(tag, "integrity");
        let integrity = integrity
            .first()
            .unwrap_or_else(|| panic!("{tag}: no integrity attribute"));
        let resp = http
            .get(format!("{}{url}", app.base))
            .send()
            .await
            .expect("GET asset");
        assert_eq!(resp.status(), 200, "{url}");
        let headers = resp.headers().clone();
        let served_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            served_type.starts_with(content_type),
            "{url}: content type {served_type:?}, expected {content_type}"
        );
        assert_eq!(
            headers
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{url}"
        );
        let cache = headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(cache.contains("max-age=31536000"), "{url}: {cache:?}");
        let body = resp.bytes().await.expect("asset body");
        assert!(body.len() > 1000, "{url}: {} bytes", body.len());
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&body));
        assert_eq!(*integrity, format!("sha384-{digest}"), "{url}");
    }

    let missing = http
        .get(format!("{}/graphql/assets/nothing.js", app.base))
        .send()
        .await
        .expect("GET missing asset");
    assert_eq!(missing.status(), 404);
}
