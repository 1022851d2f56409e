//! Calls to partners' endpoints, made safe: no redirect followed, 10 s at most, no
//! proxy from the environment, and in production HTTPS only and no address in a
//! loopback, private, link-local or otherwise internal range, whether written in
//! the URL or resolved from its name. The check is in the resolver the client
//! connects with, so a name cannot resolve to a public address when checked and an
//! internal one when connected to.

use kernel::Error;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Longest wait for a receiver's answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call was not made or failed, as shown to the partner (fixed texts, never
/// the receiver's answer).
pub const REFUSED_ADDRESS: &str = "adresse refusée (boucle locale, réseau privé ou lien local)";
pub const REFUSED_SCHEME: &str = "seules les adresses https sont acceptées";

/// The HTTP client for webhooks, and the rules its targets must follow.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    production: bool,
}

impl Outbound {
    /// `production`: HTTPS only and internal addresses refused. In development a
    /// local receiver is allowed (tests and demos run one).
    pub fn new(production: bool) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .no_proxy()
            .user_agent("Passerelle-Webhooks/1");
        if production {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder.build().map_err(Error::internal)?;
        Ok(Self { client, production })
    }

    pub fn is_production(&self) -> bool {
        self.production
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The URL as an endpoint may have it: http(s), a host, no credentials, and in
    /// production https and no internal address written as such. VALIDATION on `field`.
    pub fn check_url(&self, field: &str, raw: &str) -> Result<String, Error> {
        let raw = raw.trim();
        if raw.len() > 2000 {
            return Err(Error::validation(field, "2 000 caractères au plus"));
        }
        let url =
            reqwest::Url::parse(raw).map_err(|_| Error::validation(field, "adresse invalide"))?;
        match url.scheme() {
            "https" => {}
            "http" if !self.production => {}
            "http" => return Err(Error::validation(field, REFUSED_SCHEME)),
            _ => return Err(Error::validation(field, "adresse http ou https attendue")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::validation(
                field,
                "pas d'identifiants dans l'adresse : la signature authentifie les appels",
            ));
        }
        let Some(host) = url.host() else {
            return Err(Error::validation(field, "adresse sans hôte"));
        };
        if self.production {
            let literal = match host {
                url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
                url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
                url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
                    return Err(Error::validation(field, REFUSED_ADDRESS));
                }
                url::Host::Domain(_) => None,
            };
            if literal.is_some_and(|ip| !is_public(ip)) {
                return Err(Error::validation(field, REFUSED_ADDRESS));
            }
        }
        Ok(url.to_string())
    }
}

/// The resolver of production: every address a name resolves to must be public,
/// or the call is refused (one internal address is enough to refuse).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(Box::new(Refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver's refusal, recognised in the error chain to say why a call failed.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REFUSED_ADDRESS)
    }
}

impl std::error::Error for Refused {}

/// Reachable on the internet: not loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, documentation or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn production_urls() {
        let prod = Outbound::new(true).unwrap();
        let dev = Outbound::new(false).unwrap();
        assert!(prod.check_url("url", "http://hooks.example.org/x").is_err());
        assert!(prod.check_url("url", "https://127.0.0.1/x").is_err());
        assert!(prod.check_url("url", "https://[::1]/x").is_err());
        assert!(prod.check_url("url", "https://localhost/x").is_err());
        assert!(prod.check_url("url", "https://10.0.0.8/x").is_err());
        assert!(prod.check_url("url", "https://hooks.example.org/x").is_ok());
        assert!(dev.check_url("url", "http://127.0.0.1:9000/x").is_ok());
        assert!(dev.check_url("url", "ftp://example.org/").is_err());
        assert!(dev.check_url("url", "https://u:p@example.org/").is_err());
    }

    /// A name resolving to loopback is refused by the production client itself.
    #[tokio::test]
    async fn the_production_client_refuses_loopback_names() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let prod = Outbound::new(true).unwrap();
        let err = prod
            .client()
            .post(format!("http://localhost:{port}/hook"))
            .send()
            .await
            .unwrap_err();
        assert!(super::super::worker::is_refusal(&err), "{err:?}");
    }
}
