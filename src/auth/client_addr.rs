//! The address a request comes from, for the login limits. The peer of
//! the connection, unless that peer is a configured trusted proxy: then
//! `X-Forwarded-For` is read from the right, past every trusted proxy, and
//! the first address that is not one is the client. Anyone can write the
//! header, so without configured proxies it is ignored.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

use crate::config::IpNet;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    pub fn client_of(&self, req: &HttpRequest) -> IpAddr {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.client(peer, &forwarded)
    }

    /// Whether the request reached the proxy in front of us over TLS: the
    /// peer is a trusted proxy and its `X-Forwarded-Proto` says `https`.
    /// A header from anyone else is ignored, as `X-Forwarded-For` is. (The
    /// service itself speaks plain HTTP; TLS ends at the proxy.)
    pub fn came_over_tls(&self, req: &HttpRequest) -> bool {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let proto: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-proto")
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.tls(peer, &proto)
    }

    /// `proto`: the `X-Forwarded-Proto` headers in the order received; the
    /// last value is the one the trusted proxy wrote.
    pub fn tls(&self, peer: IpAddr, proto: &[&str]) -> bool {
        self.trusts(peer.to_canonical())
            && proto
                .iter()
                .flat_map(|h| h.split(','))
                .next_back()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    }

    /// `forwarded`: the `X-Forwarded-For` headers in the order received.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops = forwarded.iter().flat_map(|h| h.split(',')).rev();
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !self.trusts(client) {
                        break;
                    }
                }
                // What a trusted proxy passed on cannot be read: the last
                // address known is the best there is.
                Err(_) => break,
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| IpNet::parse(s).unwrap()).collect())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let t = proxies(&[]);
        assert_eq!(t.client(ip("10.0.0.5"), &["1.2.3.4"]), ip("10.0.0.5"));
    }

    #[test]
    fn a_peer_that_is_not_trusted_cannot_name_the_client() {
        let t = proxies(&["10.0.0.1"]);
        assert_eq!(t.client(ip("10.0.0.2"), &["1.2.3.4"]), ip("10.0.0.2"));
    }

    #[test]
    fn tls_is_believed_from_a_trusted_proxy_only() {
        let t = proxies(&["127.0.0.1"]);
        assert!(t.tls(ip("127.0.0.1"), &["https"]));
        assert!(t.tls(ip("::ffff:127.0.0.1"), &["http, https"]));
        assert!(!t.tls(ip("127.0.0.1"), &["http"]));
        assert!(!t.tls(ip("127.0.0.1"), &[]));
        assert!(!t.tls(ip("10.0.0.2"), &["https"]));
        assert!(!proxies(&[]).tls(ip("127.0.0.1"), &["https"]));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let t = proxies(&["10.0.0.0/24"]);
        // The client wrote a fake first hop; the proxies appended the truth.
        assert_eq!(
            t.client(ip("10.0.0.1"), &["6.6.6.6, 198.51.100.7", "10.0.0.3"]),
            ip("198.51.100.7")
        );
        assert_eq!(t.client(ip("10.0.0.1"), &[]), ip("10.0.0.1"));
        assert_eq!(t.client(ip("10.0.0.1"), &["10.0.0.4"]), ip("10.0.0.4"));
        assert_eq!(
            t.client(ip("10.0.0.1"), &["198.51.100.7, garbage"]),
            ip("10.0.0.1")
        );
        assert_eq!(
            t.client(ip("::ffff:10.0.0.1"), &["2001:db8::1"]),
            ip("2001:db8::1")
        );
    }
}
