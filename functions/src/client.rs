//! Who a client is, for rate limits and reports: an address taken only from
//! sources the operator trusts, never from a header any client can write.
//!
//! - `entraide serve`: the socket peer; `X-Forwarded-For` hops only when they were
//!   added by proxies listed with `--trusted-proxy`.
//! - the `api` Lambda: the address its entry point proved (CloudFront's viewer
//!   address behind the origin secret, or API Gateway's source IP), handed over as
//!   a [`ClientAddress`] extension.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

/// The client's address, as established by the Lambda's entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The proxies whose `X-Forwarded-For` hops are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        TrustedProxies(networks)
    }

    /// A comma-separated list of CIDR blocks (or single addresses), as in
    /// `ENTRAIDE_TRUSTED_PROXIES`.
    pub fn parse_list(list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(parse_network)
            .collect()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client behind `peer`: the right-most `X-Forwarded-For` hop that was not
    /// added by a trusted proxy, as long as every hop after it is trusted.
    fn client_behind(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer;
        for hop in forwarded_for.iter().rev() {
            if !self.trusts(client) {
                break;
            }
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => client = ip,
                // A hop that is not an address: stop at the last proxy we believe.
                Err(_) => break,
            }
        }
        canonical(client)
    }
}

/// One CIDR block or a single address (`192.0.2.1` = `192.0.2.1/32`).
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("« {text} » n'est ni une adresse IP ni un bloc CIDR"))
}

/// IPv4 clients that reach an IPv6 socket are counted as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The client of a request, if anything trustworthy says it.
pub fn client_address(parts: &Parts, trusted: &TrustedProxies) -> Option<IpAddr> {
    if let Some(ClientAddress(ip)) = parts.extensions.get::<ClientAddress>() {
        return Some(canonical(*ip));
    }
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    Some(trusted.client_behind(peer, &hops))
}

/// The client of a request, as an extractor: what its rate limits and reports
/// count it as.
pub struct Client(Option<IpAddr>);

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Client(client_address(parts, &state.trusted_proxies)))
    }
}

impl Client {
    /// What a rate limit counts it as (a keyed digest of it is what is stored).
    pub fn rate_key(&self) -> String {
        rate_key(self.0)
    }

    /// The network a reporter counts as.
    pub fn network_key(&self) -> String {
        network_key(self.0)
    }
}

/// What a rate limit counts a client as: an IPv4 address, or an IPv6 /64 (one
/// subscriber gets a whole /64 and can pick any address in it).
pub fn rate_key(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
        // No address at all (a test without a socket): one shared bucket.
        None => "inconnue".into(),
    }
}

/// The network a client belongs to, coarser than `rate_key`: an IPv4 /24 or an
/// IPv6 /48, what one subscriber or one cheap server can hold at most. Reports
/// count once per network, so that hopping addresses within one's own
/// allocation does not make one person several reporters.
pub fn network_key(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        Some(IpAddr::V4(v4)) => {
            let prefix = u32::from(v4) & 0xffff_ff00;
            format!("{}/24", std::net::Ipv4Addr::from(prefix))
        }
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & !((1u128 << 80) - 1);
            format!("{}/48", Ipv6Addr::from(prefix))
        }
        None => "inconnue".into(),
    }
}

/// CloudFront's `CloudFront-Viewer-Address`: `ip:port`, IPv6 not bracketed.
pub fn parse_viewer_address(value: &str) -> Option<IpAddr> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, forwarded_for: &[&str]) -> Parts {
        let mut request = Request::get("/");
        for value in forwarded_for {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies::new(TrustedProxies::parse_list(list).unwrap())
    }

    fn client(peer: &str, forwarded_for: &[&str], proxies: &str) -> String {
        client_address(&parts(peer, forwarded_for), &trusted(proxies))
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_forwarded_header_from_an_untrusted_peer_is_ignored() {
        assert_eq!(
            client("203.0.113.9:5000", &["198.51.100.1"], ""),
            "203.0.113.9"
        );
        assert_eq!(
            client("127.0.0.1:5000", &["198.51.100.1"], ""),
            "127.0.0.1",
            "not even from loopback unless listed"
        );
    }

    #[test]
    fn can_find_the_client_behind_trusted_proxies() {
        assert_eq!(
            client("127.0.0.1:5000", &["198.51.100.1"], "127.0.0.1/32"),
            "198.51.100.1"
        );
        // A client that sends its own header cannot choose its address.
        assert_eq!(
            client("127.0.0.1:5000", &["6.6.6.6, 198.51.100.1"], "127.0.0.1"),
            "198.51.100.1"
        );
        // Two proxies of ours, in two headers.
        assert_eq!(
            client(
                "10.0.0.2:5000",
                &["6.6.6.6", "198.51.100.1, 10.0.0.1"],
                "10.0.0.0/8"
            ),
            "198.51.100.1"
        );
        assert_eq!(
            client("127.0.0.1:5000", &["pas-une-adresse"], "127.0.0.1"),
            "127.0.0.1"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a = rate_key(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = rate_key(Some("2001:db8:1:2:bbbb::7".parse().unwrap()));
        let c = rate_key(Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, c);
        assert_eq!(
            rate_key(Some("::ffff:192.0.2.7".parse().unwrap())),
            "192.0.2.7"
        );
    }

    #[test]
    fn reports_count_per_network() {
        let key = |ip: &str| network_key(Some(ip.parse().unwrap()));
        assert_eq!(
            key("2001:db8:0:100::1"),
            key("2001:db8:0:1ff::1"),
            "one /56"
        );
        assert_eq!(key("2001:db8:0:100::1"), "2001:db8::/48");
        assert_ne!(key("2001:db8:0:100::1"), key("2001:db8:1:100::1"));
        assert_eq!(key("192.0.2.7"), key("192.0.2.200"));
        assert_eq!(key("192.0.2.7"), "192.0.2.0/24");
        assert_ne!(key("192.0.2.7"), key("192.0.3.7"));
    }

    #[test]
    fn can_read_cloudfront_viewer_addresses() {
        assert_eq!(
            parse_viewer_address("192.0.2.1:46532"),
            Some("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            parse_viewer_address("2001:db8::7:46532"),
            Some("2001:db8::7".parse().unwrap())
        );
        assert_eq!(parse_viewer_address("192.0.2.1"), None);
        assert_eq!(parse_viewer_address("n'importe quoi:80"), None);
    }

    #[test]
    fn errors_on_bad_proxy_lists() {
        assert!(TrustedProxies::parse_list("10.0.0.0/8, ::1").is_ok());
        assert!(
            parse_network(" 127.0.0.1 ").is_ok(),
            "as an environment list spaces it"
        );
        assert!(TrustedProxies::parse_list("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse_list("proxy.example").is_err());
    }
}
