//! Opaque global ids (Relay): base64url("Type:uuid"). Clients must not parse them;
//! we decode them to route `node(id:)` and to read the tenant header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

pub fn encode(type_name: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}"))
}

/// `(type, uuid)`, or `None` for anything that is not one of our ids.
pub fn decode(gid: &str) -> Option<(String, Uuid)> {
    if gid.len() > 128 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(gid.as_bytes()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (t, id) = s.split_once(':')?;
    let id = Uuid::parse_str(id).ok()?;
    Some((t.to_owned(), id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_garbage() {
        let id = uuid::Uuid::now_v7();
        let g = super::encode("Tenant", id);
        assert_eq!(super::decode(&g), Some(("Tenant".to_owned(), id)));
        assert_eq!(super::decode("not-an-id"), None);
        assert_eq!(super::decode(""), None);
    }
}
