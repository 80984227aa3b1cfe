//! Who is at the other end of the connection: the client's address and whether it reached us over
//! HTTPS, believing `Forwarded` / `X-Forwarded-For` / `X-Forwarded-Proto` only from the proxies named
//! in `trusted_proxies` (`FITNESSCRM_TRUSTED_PROXIES`).
//!
//! The middleware [`client_address`] runs just inside `observe` and puts a [`ClientAddr`] in the
//! request extensions; the audit trail, the rate limiter and the security log lines read it from
//! there. It also sets `Strict-Transport-Security` on every response to a request that came over
//! HTTPS (the public URL is `https://`, or a trusted proxy says so).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// `Strict-Transport-Security` when served over HTTPS: a year, subdomains included.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// How many forwarded hops are read at most; a longer chain is cut (its leftmost entries ignored).
const MAX_HOPS: usize = 16;

/// The client of one request, in the request extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address: the peer's, or the one a trusted proxy reports.
    pub ip: IpAddr,
    /// Whether the client reached the server over HTTPS.
    pub https: bool,
}

/// The request's `User-Agent`, cut to 200 characters, in the request extensions.
#[derive(Debug, Clone)]
pub struct UserAgent(pub Arc<str>);

/// What [`client_address`] needs: the trusted proxies and whether the public URL is HTTPS.
#[derive(Debug, Clone, Default)]
pub struct ClientPolicy {
    trusted: Arc<[IpNet]>,
    public_https: bool,
}

impl ClientPolicy {
    /// A policy trusting `trusted` (CIDR blocks) to report the client.
    pub fn new(trusted: Vec<IpNet>, public_https: bool) -> Self {
        Self {
            trusted: trusted.into(),
            public_https,
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return ClientAddr {
                ip: peer,
                https: self.public_https,
            };
        }
        let (hops, proto) = forwarded(headers);
        // From the nearest hop outwards, the first address no trusted proxy vouches for is the client;
        // when every hop is a trusted proxy, the farthest one is.
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            client = canonical(*hop);
            if !self.trusts(client) {
                break;
            }
        }
        ClientAddr {
            ip: client,
            https: self.public_https || proto.is_some_and(|p| p.eq_ignore_ascii_case("https")),
        }
    }
}

/// Parses a comma-separated list of CIDR blocks (a bare address is one host).
pub fn parse_cidrs(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or CIDR block"))
        })
        .collect()
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The forwarded chain (client first) and protocol: RFC 7239 `Forwarded` when present, otherwise
/// `X-Forwarded-For` and `X-Forwarded-Proto`. An entry that is not an address (`unknown`, an
/// obfuscated name, garbage) ends the chain there: nothing to its left can be believed.
fn forwarded(headers: &HeaderMap) -> (Vec<IpAddr>, Option<String>) {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let standard = values(header::FORWARDED);
    if !standard.is_empty() {
        let mut hops = Vec::new();
        let mut proto = None;
        for element in standard {
            let mut hop = None;
            for pair in element.split(';') {
                let Some((key, value)) = pair.trim().split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                if key.trim().eq_ignore_ascii_case("for") {
                    hop = Some(parse_node(value));
                } else if key.trim().eq_ignore_ascii_case("proto") {
                    proto = Some(value.to_owned());
                }
            }
            hops.push(hop.flatten());
        }
        return (believable(hops), proto);
    }
    let hops = values(header::HeaderName::from_static("x-forwarded-for"))
        .into_iter()
        .map(parse_node)
        .collect();
    let proto = values(header::HeaderName::from_static("x-forwarded-proto"))
        .last()
        .map(|p| (*p).to_owned());
    (believable(hops), proto)
}

/// The hops to the right of the last unparseable one.
fn believable(hops: Vec<Option<IpAddr>>) -> Vec<IpAddr> {
    let start = hops.iter().rposition(Option::is_none).map_or(0, |i| i + 1);
    hops[start..].iter().flatten().copied().collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

/// See the module documentation.
pub async fn client_address(
    State(policy): State<ClientPolicy>,
    mut req: Request,
    next: Next,
) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| policy.resolve(c.0.ip(), req.headers()));
    if let Some(client) = client {
        req.extensions_mut().insert(client);
    }
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| UserAgent(v.chars().take(200).collect::<String>().into()));
    if let Some(agent) = agent {
        req.extensions_mut().insert(agent);
    }
    let https = client.map_or(policy.public_https, |c| c.https);
    let mut response = next.run(req).await;
    if https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trusted: &str) -> ClientPolicy {
        ClientPolicy::new(parse_cidrs(trusted).unwrap(), false)
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let p = policy("10.0.0.0/8");
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            p.resolve(ip("203.0.113.9"), &h),
            ClientAddr {
                ip: ip("203.0.113.9"),
                https: false
            }
        );
        // Nothing is trusted by default.
        assert_eq!(
            ClientPolicy::default().resolve(ip("127.0.0.1"), &h).ip,
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_hops_to_the_left_are_ignored() {
        let p = policy("10.0.0.0/8, 192.168.1.1");
        // The client sent its own X-Forwarded-For (1.1.1.1); nginx appended the real peer.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1, 198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            p.resolve(ip("10.1.2.3"), &h),
            ClientAddr {
                ip: ip("198.51.100.7"),
                https: true
            }
        );
        // Two trusted proxies in a row.
        let h = headers(&[("x-forwarded-for", "198.51.100.7, 192.168.1.1")]);
        assert_eq!(p.resolve(ip("10.1.2.3"), &h).ip, ip("198.51.100.7"));
        // A trusted peer that forwards nothing is itself the client.
        assert_eq!(
            p.resolve(ip("10.1.2.3"), &HeaderMap::new()).ip,
            ip("10.1.2.3")
        );
    }

    #[test]
    fn rfc_7239_forwarded_is_read_with_ports_brackets_and_ipv6() {
        let p = policy("::1/128, 127.0.0.1");
        let h = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https;by=x",
        )]);
        assert_eq!(
            p.resolve(ip("::1"), &h),
            ClientAddr {
                ip: ip("2001:db8::7"),
                https: true
            }
        );
        // An unknown hop ends what can be believed: the proxy's own peer view is kept.
        let h = headers(&[("forwarded", "for=1.1.1.1, for=unknown")]);
        assert_eq!(p.resolve(ip("127.0.0.1"), &h).ip, ip("127.0.0.1"));
        // An IPv4-mapped peer matches an IPv4 block.
        let h = headers(&[("x-forwarded-for", "198.51.100.7:5555")]);
        assert_eq!(p.resolve(ip("::ffff:127.0.0.1"), &h).ip, ip("198.51.100.7"));
    }

    #[test]
    fn cidr_lists_name_what_is_wrong() {
        assert_eq!(parse_cidrs("").unwrap(), Vec::<IpNet>::new());
        assert_eq!(parse_cidrs(" 10.0.0.0/8 ,::1").unwrap().len(), 2);
        let err = parse_cidrs("10.0.0.0/8, nginx").unwrap_err();
        assert!(err.contains("nginx"), "{err}");
    }
}
