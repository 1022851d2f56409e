//! A GraphQL-over-HTTP client for tests.

use serde_json::{Value, json};

#[derive(Clone)]
pub struct Gql {
    pub url: String,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The first error's code, if any.
    pub fn code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    pub fn ok(&self) -> bool {
        self.status == 200 && self.body.get("errors").is_none()
    }
}

impl Gql {
    pub fn new(base: &str) -> Self {
        Self {
            url: format!("{base}/graphql"),
            http: reqwest::Client::new(),
        }
    }

    pub async fn raw(&self, token: Option<&str>, tenant: Option<&str>, body: Value) -> Reply {
        let headers: Vec<(&str, &str)> = tenant
            .map(|t| ("x-passerelle-tenant", t))
            .into_iter()
            .collect();
        self.raw_with(token, &headers, body).await
    }

    /// With any headers (e.g. `x-passerelle-act-as`).
    pub async fn raw_with(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Reply {
        let mut r = self.http.post(&self.url).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        Reply { status, body }
    }

    pub async fn run(
        &self,
        token: &str,
        tenant: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Reply {
        self.raw(
            Some(token),
            tenant,
            json!({ "query": query, "variables": variables }),
        )
        .await
    }
}
