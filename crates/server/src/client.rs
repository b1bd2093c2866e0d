//! Who the client is, by address, and where the public reaches this server.
//!
//! Behind a TLS-terminating proxy every connection comes from the proxy, so
//! the client's own address is in the header the proxy adds. That header is
//! believed only from the proxies the deployment names (`trusted_proxies`):
//! anyone else could write any address into it. Of the addresses it lists,
//! the client is the right-most one that is not a trusted proxy — everything
//! to the left of it was written by the client and proves nothing.
//!
//! `X-Forwarded-For` is read when present, else `Forwarded` (RFC 7239); a
//! proxy that writes `Forwarded` must drop a client's `X-Forwarded-For`.

use axum::http::{header, HeaderMap};
use std::net::IpAddr;

/// An address range, `10.0.0.0/8`, `fd00::/8`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "“{s}”不是IP地址或网段 / '{s}' is not an IP address or range (e.g. 10.0.0.1 or 10.0.0.0/8)"
            )
        };
        let (ip, bits) = match s.split_once('/') {
            Some((ip, bits)) => (ip, Some(bits.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let net = ip.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(bad());
        }
        Ok(Cidr { net, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose forwarding headers are believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn parse<S: AsRef<str>>(list: &[S]) -> Result<TrustedProxies, String> {
        list.iter()
            .map(|s| s.as_ref().trim())
            .filter(|s| !s.is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client's address: `peer` itself unless it is a trusted proxy, else
    /// the right-most forwarded hop that is not one.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_hops(headers).iter().rev() {
            match hop_ip(hop) {
                Some(ip) => client = ip,
                // Garbage can only come from the client: the hop to its right
                // (a trusted proxy's report) is the best there is.
                None => break,
            }
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// The hops of `X-Forwarded-For` (all its lines, in order), or else the `for=`
/// values of `Forwarded`.
fn forwarded_hops(headers: &HeaderMap) -> Vec<String> {
    let lines = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>()
    };
    let xff = lines(header::HeaderName::from_static("x-forwarded-for"));
    if headers.contains_key("x-forwarded-for") {
        return xff;
    }
    lines(header::FORWARDED)
        .iter()
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
                // An element without `for=` cannot be read as an address.
                .unwrap_or_default()
        })
        .collect()
}

/// One hop as an address: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or
/// `[2001:db8::1]:4711`.
fn hop_ip(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse::<IpAddr>().ok();
    }
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The address the public reaches this server at, as the operator set it:
/// `https://wangge.example.cn` (or with a path prefix). `https` makes cookies
/// `Secure` and turns on HSTS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn parse(s: &str) -> Result<PublicUrl, String> {
        let s = s.trim().trim_end_matches('/');
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        let ok = rest.is_some_and(|r| {
            let host = r.split('/').next().unwrap_or_default();
            !host.is_empty()
                && !r.contains(['?', '#', ' ', '@'])
                && host.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
        if ok {
            Ok(PublicUrl(s.to_string()))
        } else {
            Err(format!(
                "公开地址“{s}”应以 https:// 或 http:// 开头,且不含查询串 / \
                 the public URL '{s}' must start with https:// or http:// and have no query"
            ))
        }
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// The URL without a trailing slash, to append paths to.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_what_they_should() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.3.4")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped peers");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        for bad in ["10.0.0.0/33", "nginx", "10.0.0/8", "::/129", ""] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let p = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        let proxy = ip("127.0.0.1");
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.2.3")]);
        assert_eq!(p.client(proxy, &h), ip("203.0.113.9"));
        // Several header lines are one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(p.client(proxy, &h), ip("203.0.113.9"));
        // From an untrusted peer the header is ignored.
        assert_eq!(p.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // Without a header, the proxy is the client.
        assert_eq!(p.client(proxy, &HeaderMap::new()), proxy);
        // Garbage stops the walk at the last good hop.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, not-an-ip, 10.0.0.7")]);
        assert_eq!(p.client(proxy, &h), ip("10.0.0.7"));
        // Forwarded, with ports, quotes and brackets.
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.2:80",
        )]);
        assert_eq!(p.client(proxy, &h), ip("2001:db8::7"));
        // X-Forwarded-For wins over Forwarded.
        let h = headers(&[
            ("forwarded", "for=6.6.6.6"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(p.client(proxy, &h), ip("203.0.113.5"));
    }

    #[test]
    fn public_urls() {
        let u = PublicUrl::parse("https://wangge.example.cn/").unwrap();
        assert!(u.is_https());
        assert_eq!(u.as_str(), "https://wangge.example.cn");
        assert!(!PublicUrl::parse("http://10.0.0.1:8080/wg")
            .unwrap()
            .is_https());
        for bad in [
            "wangge.example.cn",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q=1",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
