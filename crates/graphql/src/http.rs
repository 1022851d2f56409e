//! POST /graphql. The body is read here, under `max_body_bytes`, before anything
//! parses it: a declared Content-Length over the limit is refused at once, and a
//! streamed body is cut off at the limit. Then the batch size is checked, then
//! async-graphql executes.

use crate::{Limits, PasserelleSchema, RequestActor, Services, finish_errors, loaders::Loaders};
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

pub struct Endpoint {
    pub schema: PasserelleSchema,
    pub services: Services,
    pub limits: Limits,
    pub graphiql: bool,
}

impl Endpoint {
    /// Runs one operation in-process as `ctx`, exactly as POST /graphql runs it for
    /// that caller: the same schema and limits, the same loaders, the query's reads
    /// in one shared transaction, the same error codes. The web console executes
    /// its documents through this, so it reaches the data by no other path.
    pub async fn execute_as(
        &self,
        ctx: kernel::Ctx,
        req: async_graphql::Request,
    ) -> async_graphql::Response {
        let loaders = Arc::new(Loaders::new(&self.services, &ctx));
        let req = req.data(RequestActor(Some(ctx))).data(loaders);
        let (mut r, end) = db::ReadUnit::new().run(self.schema.execute(req)).await;
        if end.is_err() {
            tracing::warn!("the query's shared read transaction did not end cleanly");
        }
        finish_errors(&mut r.errors);
        r
    }
}

/// A GraphQL-shaped error body for failures before execution.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    let mut r = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    r
}

/// How long a client told UNAVAILABLE should wait before retrying (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 1;

/// 503 with `Retry-After` and the usual error shape, code UNAVAILABLE: the request
/// was shed, timed out, or the database cannot serve it now.
pub fn unavailable_response(reason: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": reason, "extensions": { "code": "UNAVAILABLE", "reason": reason } }]
    });
    let mut r = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    r
}

fn is_unavailable(e: &async_graphql::ServerError) -> bool {
    e.extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == "UNAVAILABLE"))
}

fn too_large(limit: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "VALIDATION",
        &format!("request body larger than {limit} bytes"),
    )
}

pub async fn post(State(ep): State<Arc<Endpoint>>, req: Request) -> Response {
    let limit = ep.limits.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let actor = req
        .extensions()
        .get::<RequestActor>()
        .cloned()
        .unwrap_or(RequestActor(None));
    let bytes = match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(b) => b,
        Err(_) => return too_large(limit),
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "VALIDATION",
                "body must be a JSON GraphQL request ({\"query\": ...}) or an array of them",
            );
        }
    };
    // serde reads `[]` as a (defaulted) single request: an empty batch is still empty.
    let empty_array =
        bytes.trim_ascii_start().starts_with(b"[") && matches!(batch, BatchRequest::Single(_));
    if empty_array
        || matches!(&batch, BatchRequest::Batch(v) if v.is_empty() || v.len() > ep.limits.max_batch)
    {
        return error_response(
            StatusCode::BAD_REQUEST,
            "VALIDATION",
            &format!(
                "a batch holds between 1 and {} operations",
                ep.limits.max_batch
            ),
        );
    }
    let mut batch = batch.data(actor.clone());
    if let Some(ctx) = &actor.0 {
        batch = batch.data(Arc::new(Loaders::new(&ep.services, ctx)));
    }
    let mut resp = match batch {
        // One operation of a known caller: its reads share one transaction when it
        // turns out to be a query (db::ReadUnit; `read_share` decides).
        BatchRequest::Single(req) if actor.0.is_some() => {
            let (r, end) = db::ReadUnit::new().run(ep.schema.execute(req)).await;
            if end.is_err() {
                tracing::warn!("the query's shared read transaction did not end cleanly");
            }
            BatchResponse::Single(r)
        }
        batch => ep.schema.execute_batch(batch).await,
    };
    match &mut resp {
        BatchResponse::Single(r) => finish_errors(&mut r.errors),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(|r| finish_errors(&mut r.errors)),
    }
    // The database could not serve it: say when to retry, and when nothing at all
    // was answered, say so with the status too (503), as a shed request would get.
    let (unavailable, nothing) = match &resp {
        BatchResponse::Single(r) => (
            r.errors.iter().any(is_unavailable),
            r.data == async_graphql::Value::Null,
        ),
        BatchResponse::Batch(rs) => (
            rs.iter().any(|r| r.errors.iter().any(is_unavailable)),
            false,
        ),
    };
    let status = if unavailable && nothing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    match serde_json::to_vec(&resp) {
        Ok(body) => {
            let mut b = Response::builder().status(status).header(
                header::CONTENT_TYPE,
                "application/graphql-response+json; charset=utf-8",
            );
            if unavailable {
                b = b.header(header::RETRY_AFTER, RETRY_AFTER_SECS);
            }
            b.body(Body::from(body))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error",
        ),
    }
}

/// Where GraphiQL's files are served (development only, like the page).
pub const GRAPHIQL_ASSETS_PATH: &str = "/graphql/assets";

/// One of GraphiQL's vendored files (crates/graphql/assets/vendor/graphiql, taken from the
/// npm registry with `npm pack`; versions and licences in its README.md).
pub struct Asset {
    /// The URL name under GRAPHIQL_ASSETS_PATH. It carries the package version, so a
    /// browser may keep a file for a year: an upgrade changes the name.
    pub name: &'static str,
    pub content_type: &'static str,
    /// Subresource Integrity of `bytes` (sha384, base64), written in the page so a
    /// browser refuses a file that is not the one vendored; a test recomputes it.
    pub integrity: &'static str,
    pub bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// In the order the page loads them: the stylesheet, React, ReactDOM, GraphiQL.
pub const GRAPHIQL_ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql-3.8.3.min.css",
        content_type: CSS,
        integrity: "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
        bytes: include_bytes!("../assets/vendor/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: JS,
        integrity: "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
        bytes: include_bytes!("../assets/vendor/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: JS,
        integrity: "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
        bytes: include_bytes!("../assets/vendor/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql-3.8.3.min.js",
        content_type: JS,
        integrity: "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
        bytes: include_bytes!("../assets/vendor/graphiql/graphiql.min.js"),
    },
];

/// GraphiQL, in development only. Everything it loads comes from this binary
/// (`graphiql_asset`), so it works without internet access and every file is
/// checked by the browser against the integrity written here.
pub async fn graphiql(State(ep): State<Arc<Endpoint>>) -> Response {
    if !ep.graphiql {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    Html(graphiql_page()).into_response()
}

/// GET /graphql/assets/{name}: one of GRAPHIQL_ASSETS, whenever the page is served.
pub async fn graphiql_asset(
    State(ep): State<Arc<Endpoint>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let asset = GRAPHIQL_ASSETS.iter().find(|a| a.name == name);
    match asset {
        Some(a) if ep.graphiql => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            a.bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn graphiql_page() -> &'static str {
    static PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut head = String::new();
        let mut scripts = String::new();
        for a in GRAPHIQL_ASSETS {
            let url = format!("{GRAPHIQL_ASSETS_PATH}/{}", a.name);
            if a.content_type == CSS {
                head.push_str(&format!(
                    "  <link rel=\"stylesheet\" href=\"{url}\" integrity=\"{}\">\n",
                    a.integrity
                ));
            } else {
                scripts.push_str(&format!(
                    "  <script src=\"{url}\" integrity=\"{}\"></script>\n",
                    a.integrity
                ));
            }
        }
        GRAPHIQL
            .replace("{{stylesheets}}", &head)
            .replace("{{scripts}}", &scripts)
    });
    &PAGE
}

const GRAPHIQL: &str = r#"<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Passerelle · GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
{{stylesheets}}</head>
<body>
  <div id="graphiql">Chargement de GraphiQL…</div>
{{scripts}}  <script>
    const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultHeaders: '{\n  "Authorization": "Bearer <jeton: POST /dev/token>",\n  "X-Passerelle-Tenant": "pimms-lyon-metropole"\n}',
        defaultQuery: '{\n  viewer {\n    user { displayName email }\n    activeTenant { name }\n    activeRole\n    unionRole\n  }\n}\n',
      }),
    );
  </script>
</body>
</html>
"#;
