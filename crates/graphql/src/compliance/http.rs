//! Evidence files over plain HTTP, beside /graphql (whose body limit is far below a
//! document's): `POST /compliance/evidence?ownerId=<global id>&fileName=<name>` with the
//! file as the raw body (any content type header: the type is read from the content),
//! and `GET /compliance/evidence/<document global id>`, streamed. Both take the same
//! token and identity headers as /graphql and run the same checks as the record the
//! file belongs to. Errors have the GraphQL shape (`extensions.code`, `field`).

use crate::RequestActor;
use crate::http::Endpoint;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::{Error, ErrorCode};
use std::sync::Arc;

/// The route both handlers live under.
pub const EVIDENCE_PATH: &str = "/compliance/evidence";
/// The outer body limit the route needs: the largest file, and some slack.
pub const EVIDENCE_BODY_LIMIT: usize = ::compliance::MAX_UPLOAD_BYTES + 64 * 1024;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadParams {
    owner_id: Option<String>,
    file_name: Option<String>,
}

fn fail(e: Error) -> Response {
    let status = match e.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::ActorChoiceRequired => StatusCode::OK,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Validation => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let g = crate::error::to_gql(e);
    let body = serde_json::json!({ "errors": [{
        "message": g.message,
        "extensions": g.extensions,
    }] });
    (status, axum::Json(body)).into_response()
}

fn caller(req: &Request) -> Result<kernel::Ctx, Error> {
    let ctx = req
        .extensions()
        .get::<RequestActor>()
        .and_then(|a| a.0.clone())
        .ok_or(Error::Unauthenticated)?;
    match ctx.choice_required() {
        Some(e) => Err(e),
        None => Ok(ctx),
    }
}

fn owner_kind(type_name: &str) -> Option<::compliance::OwnerKind> {
    use ::compliance::OwnerKind as K;
    Some(match type_name {
        "FranchiseContract" => K::Contract,
        "CriterionAnswer" => K::Answer,
        "AuditObservation" => K::Observation,
        "FindingReply" => K::Reply,
        "CorrectiveAction" => K::Action,
        _ => return None,
    })
}

pub async fn upload(
    State(ep): State<Arc<Endpoint>>,
    Query(p): Query<UploadParams>,
    req: Request,
) -> Response {
    let ctx = match caller(&req) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let Some((kind, owner)) = p
        .owner_id
        .as_deref()
        .and_then(kernel::gid::decode)
        .and_then(|(t, id)| Some((owner_kind(&t)?, id)))
    else {
        return fail(Error::validation(
            "ownerId",
            "l'identifiant d'un contrat, d'une réponse, d'un constat, d'une réponse contradictoire ou d'une action",
        ));
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_big = || {
        let mut r = fail(Error::validation(
            "file",
            "le fichier dépasse la taille maximale de 20 Mio",
        ));
        *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        r
    };
    if declared.is_some_and(|n| n > ::compliance::MAX_UPLOAD_BYTES as u64) {
        return too_big();
    }
    let body = match axum::body::to_bytes(req.into_body(), ::compliance::MAX_UPLOAD_BYTES).await {
        Ok(b) => b,
        Err(_) => return too_big(),
    };
    let name = p.file_name.unwrap_or_default();
    match ep
        .services
        .compliance
        .attach(&ctx, kind, owner, &name, body)
        .await
    {
        Ok(d) => {
            let id = kernel::gid::encode("EvidenceDocument", d.id);
            let body = serde_json::json!({ "document": {
                "id": id,
                "fileName": d.file_name,
                "contentType": d.content_type,
                "sizeBytes": d.size_bytes,
                "sha256": d.sha256,
                "downloadPath": format!("{EVIDENCE_PATH}/{id}"),
            } });
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Err(e) => fail(e),
    }
}

/// A file name safe in a header: ASCII letters, digits, dot, dash, underscore.
fn header_name(n: &str) -> String {
    let s: String = n
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "piece".to_owned() } else { s }
}

pub async fn download(
    State(ep): State<Arc<Endpoint>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let ctx = match caller(&req) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let Some(id) = kernel::gid::decode(&id)
        .filter(|(t, _)| t == "EvidenceDocument")
        .map(|(_, id)| id)
    else {
        return fail(Error::validation("documentId", "not a EvidenceDocument id"));
    };
    match ep.services.compliance.download(&ctx, id).await {
        Ok((d, stream)) => {
            // A document may name people: its download is logged as a read of
            // personal data before a byte leaves (privacy::PERSONAL_DOWNLOADS), and
            // refused when the entry cannot be written.
            let (operation, object_type) = ::privacy::PERSONAL_DOWNLOADS[0];
            if let Err(e) = ep
                .services
                .privacy
                .append(&[::privacy::Entry::read(&ctx, operation, object_type, d.id)])
                .await
            {
                return fail(e);
            }
            let mut r = Response::new(Body::from_stream(stream));
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&d.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(d.size_bytes));
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"{}\"",
                header_name(&d.file_name)
            )) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            if let Ok(v) = HeaderValue::from_str(&d.sha256) {
                h.insert("x-content-sha256", v);
            }
            r
        }
        Err(e) => fail(e),
    }
}
