//! Evidence files: checked (type sniffed from the content, never the name; 20 MiB at
//! most), hashed (SHA-256) and stored through `object_store` under a key that names
//! nothing personal (`<tenant>/<document id>`). The database keeps the type, size and
//! hash; downloads go through the gateway after the owning record's scope checks.

use crate::error::ComplianceError;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use kernel::Error;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The largest file accepted: 20 MiB.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

/// Where evidence files live.
#[derive(Clone, Debug)]
pub enum StoreConfig {
    /// A directory of the server's filesystem (created if missing).
    Local(std::path::PathBuf),
    /// An S3-compatible bucket; endpoint, region and keys come from the standard
    /// `AWS_*` variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`...).
    S3 { bucket: String },
}

#[derive(Clone, Debug)]
pub struct EvidenceStore {
    store: Arc<dyn ObjectStore>,
}

impl EvidenceStore {
    pub fn open(config: &StoreConfig) -> Result<Self, ComplianceError> {
        let store: Arc<dyn ObjectStore> = match config {
            StoreConfig::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| ComplianceError::StoreConfig(format!("{}: {e}", dir.display())))?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
            }
            StoreConfig::S3 { bucket } => {
                // reqwest is built without a bundled TLS provider: ring, already in the
                // build for the OIDC client, serves. Installing twice is harmless.
                let _ = rustls::crypto::ring::default_provider().install_default();
                Arc::new(
                    object_store::aws::AmazonS3Builder::from_env()
                        .with_bucket_name(bucket)
                        .build()?,
                )
            }
        };
        Ok(Self { store })
    }

    pub(crate) async fn put(&self, key: &str, body: Bytes) -> Result<(), ComplianceError> {
        self.store
            .put(&Path::from(key), PutPayload::from_bytes(body))
            .await?;
        Ok(())
    }

    /// The file's bytes as a stream, for the gateway to pass on without holding it.
    pub(crate) async fn stream(
        &self,
        key: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, std::io::Error>>, ComplianceError> {
        let got = self.store.get(&Path::from(key)).await?;
        Ok(got
            .into_stream()
            .map(|r| r.map_err(std::io::Error::other))
            .boxed())
    }
}

/// A file accepted for storage: its checked type, size and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub content_type: &'static str,
    pub size: usize,
    pub sha256: String,
}

/// Refuses an empty or oversized file, or one whose content is none of the accepted
/// types; VALIDATION on `file`.
pub fn check(body: &[u8]) -> Result<Checked, Error> {
    if body.is_empty() {
        return Err(Error::validation("file", "le fichier est vide"));
    }
    if body.len() > MAX_BYTES {
        return Err(Error::validation(
            "file",
            "le fichier dépasse la taille maximale de 20 Mio",
        ));
    }
    let content_type = sniff(body).ok_or_else(|| {
        Error::validation(
            "file",
            "type de fichier refusé : PDF, PNG, JPEG ou document bureautique (Word, Excel, PowerPoint, OpenDocument) seulement",
        )
    })?;
    let sha256 = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Checked {
        content_type,
        size: body.len(),
        sha256,
    })
}

/// The type the content says it is, from its first bytes (magic numbers) and, for
/// zip containers, the names of their first entries.
pub fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    // Legacy Office files (.doc, .xls, .ppt) are OLE compound documents.
    if b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some("application/x-ole-storage");
    }
    if b.starts_with(b"PK\x03\x04") {
        // OpenDocument: an uncompressed `mimetype` entry first, naming the type.
        if b.get(30..38) == Some(b"mimetype") {
            let rest = b.get(38..).unwrap_or_default();
            if rest.starts_with(b"application/vnd.oasis.opendocument.text") {
                return Some("application/vnd.oasis.opendocument.text");
            }
            if rest.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
                return Some("application/vnd.oasis.opendocument.spreadsheet");
            }
            return None;
        }
        // Office Open XML: the parts' names are in the local headers near the start.
        let head = &b[..b.len().min(64 * 1024)];
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        if has(b"[Content_Types].xml") {
            if has(b"word/") {
                return Some(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                );
            }
            if has(b"xl/") {
                return Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
            }
            if has(b"ppt/") {
                return Some(
                    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                );
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\x00 an executable"), None);
        assert_eq!(sniff(b"<html>"), None);
        let mut docx = b"PK\x03\x04".to_vec();
        docx.extend_from_slice(&[0; 26]);
        docx.extend_from_slice(b"[Content_Types].xml....word/document.xml");
        assert_eq!(
            sniff(&docx),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&[0; 26]);
        zip.extend_from_slice(b"payload.exe");
        assert_eq!(sniff(&zip), None);
    }

    #[test]
    fn refuses_empty_oversized_and_unknown() {
        assert!(check(b"").is_err());
        assert!(check(&vec![b'%'; MAX_BYTES + 1]).is_err());
        assert!(check(b"plain text").is_err());
        let ok = check(b"%PDF-1.4 x").unwrap();
        assert_eq!(ok.size, 10);
        assert_eq!(ok.sha256.len(), 64);
    }
}
