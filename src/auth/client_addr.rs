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
