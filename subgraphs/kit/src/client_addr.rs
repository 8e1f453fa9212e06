//! The client's address: the TCP peer, or what a trusted proxy says it forwarded.
//!
//! `X-Forwarded-For` is a header any client can write, so it only counts when
//! the peer that sent it is a configured proxy (`PROMPTSALES_TRUSTED_PROXIES`,
//! comma-separated CIDRs or addresses; default none). The list is read from the
//! right: each hop a trusted proxy appended is skipped, and the first address a
//! trusted proxy did not vouch for is the client. Every place that reads a
//! client address (audit origins, login throttling, the router's rate limit)
//! goes through [`client_ip`].

use std::net::IpAddr;

use crate::config::{ConfigError, Vars};

/// The environment variable listing the trusted proxies.
pub const TRUSTED_PROXIES_ENV: &str = "PROMPTSALES_TRUSTED_PROXIES";

/// One network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `::1/128` or a bare address (a single host).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an address or CIDR"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has an invalid prefix length"))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// No proxy is trusted: the peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses a comma-separated list of CIDRs or addresses (empty: none).
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// `PROMPTSALES_TRUSTED_PROXIES`, or none when unset.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&Vars::from_env())
    }

    /// `PROMPTSALES_TRUSTED_PROXIES` of `vars`, or none when unset.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        match vars.get(TRUSTED_PROXIES_ENV) {
            Some(text) => Self::parse(text)
                .map_err(|reason| ConfigError::invalid(TRUSTED_PROXIES_ENV, text, reason)),
            None => Ok(Self::none()),
        }
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client's address: `peer` (the TCP peer, when known) unless it is a trusted proxy,
/// in which case the `X-Forwarded-For` values (each a comma-separated list, oldest hop
/// first) are read from the right past every trusted hop. An unparsable hop ends the
/// walk at the last address vouched for, so garbage never becomes an identity.
pub fn client_ip<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else {
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    Some(client)
}

/// [`client_ip`] from an `http` header map.
pub fn client_ip_from_headers(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let values = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    client_ip(peer, values, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_cidrs() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7 ,::1/128").unwrap();
        assert!(proxies.contains(ip("10.200.3.4")));
        assert!(proxies.contains(ip("192.168.1.7")));
        assert!(!proxies.contains(ip("192.168.1.8")));
        assert!(proxies.contains(ip("::1")));
        assert!(proxies.contains(ip("::ffff:10.1.1.1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let none = TrustedProxies::none();
        let spoofed = ["1.2.3.4"];
        // Default: the peer, whatever the header says.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), spoofed, &none),
            Some(ip("203.0.113.9"))
        );
        // An untrusted peer cannot pick its address either.
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), spoofed, &proxies),
            Some(ip("203.0.113.9"))
        );
        // Through a trusted proxy: the address it appended.
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), ["1.2.3.4, 198.51.100.7"], &proxies),
            Some(ip("198.51.100.7"))
        );
        // Through two trusted proxies: past both.
        assert_eq!(
            client_ip(
                Some(ip("10.0.0.2")),
                ["6.6.6.6, 198.51.100.7", "10.0.0.3"],
                &proxies
            ),
            Some(ip("198.51.100.7"))
        );
        // Garbage stops the walk at the last vouched-for hop.
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), ["nonsense"], &proxies),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(client_ip(None, spoofed, &proxies), None);
    }
}
