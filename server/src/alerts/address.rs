//! Where webhooks may go. Without `ALERT_WEBHOOK_ALLOW_PRIVATE`, a webhook URL must name a
//! public host: loopback, private, link-local, shared (CGNAT), documentation, multicast and
//! other reserved addresses are refused, as literals in the URL, as what its name resolves to
//! when it is set, and again on every delivery — the webhook client resolves through
//! [`PublicOnly`], which refuses a name with any non-public address, so a name re-pointed at an
//! internal address after it was accepted (DNS rebinding) is not reached. Redirects are not
//! followed and no proxy is used (either would bypass the check).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::AlertOptions;

const MAX_URL_LEN: usize = 2048;

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Addresses that carry an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b {
        // NAT64: the embedded IPv4 address.
        return is_public_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        // 6to4: the embedded IPv4 address.
        return is_public_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || s[0..6] == [0; 6] // IPv4-compatible (deprecated) and other ::/80 forms
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] < 0x200)) // IETF protocol assignments (Teredo, ORCHID, ...)
}

/// A URL's host as an IP address, when it is a literal.
fn literal_ip(url: &Url) -> Option<IpAddr> {
    // `host_str` writes an IPv6 literal in brackets; a domain never parses as an address.
    url.host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Parses and checks a webhook URL's form (the field is named in the message); `Ok` carries
/// the URL as it will be stored.
pub fn parse(text: &str, allow_private: bool) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_URL_LEN {
        return Err(format!(
            "webhook_url: must be an http(s) URL of 1 to {MAX_URL_LEN} characters"
        ));
    }
    let url = Url::parse(text).map_err(|e| format!("webhook_url: not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("webhook_url: must start with https:// or http://".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("webhook_url: must not contain user information (user:password@)".into());
    }
    if url.fragment().is_some() {
        return Err("webhook_url: must not contain a fragment (#...)".into());
    }
    let Some(host) = url.host_str() else {
        return Err("webhook_url: must name a host".into());
    };
    if !allow_private {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let refused = match literal_ip(&url) {
            Some(ip) => !is_public(ip),
            None => host == "localhost" || host.ends_with(".localhost") || !host.contains('.'),
        };
        if refused {
            return Err(format!("webhook_url: {NOT_PUBLIC}"));
        }
    }
    Ok(url)
}

const NOT_PUBLIC: &str = "must point at a public address (loopback, private, link-local and other non-public addresses are refused)";

/// [`parse`], then the host's current addresses (a name that resolves to a non-public address,
/// or not at all, is refused).
pub async fn check(text: &str, allow_private: bool) -> Result<Url, String> {
    let url = parse(text, allow_private)?;
    if allow_private || literal_ip(&url).is_some() {
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let resolved = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await;
    match resolved {
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err("webhook_url: the host does not resolve".into())
            } else if addrs.iter().all(|a| is_public(a.ip())) {
                Ok(url)
            } else {
                Err(format!("webhook_url: {NOT_PUBLIC}"))
            }
        }
        _ => Err("webhook_url: the host does not resolve".into()),
    }
}

/// Whether a delivery to `url` may start: the form again and a literal address (a name's
/// addresses are checked by [`PublicOnly`] as the client connects).
pub fn check_for_delivery(url: &str, allow_private: bool) -> Result<Url, String> {
    parse(url, allow_private)
}

/// The resolver of the webhook client: the system's, refusing any name with a non-public
/// address (unless allowed).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("webhook host {host} {NOT_PUBLIC}").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The client webhooks are sent with.
pub fn webhook_client(options: &AlertOptions) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Switchboard-Alerts/", env!("CARGO_PKG_VERSION")));
    if !options.allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_for_form_and_literal_addresses() {
        assert!(parse("https://hooks.example.com/a?b=c", false).is_ok());
        for (url, says) in [
            ("http://127.0.0.1:8080/hook", "public address"),
            ("http://[::1]/hook", "public address"),
            ("http://localhost/hook", "public address"),
            ("http://api.localhost/hook", "public address"),
            ("http://intranet/hook", "public address"),
            ("http://169.254.169.254/latest", "public address"),
            ("ftp://example.com/x", "https://"),
            ("https://user:pw@example.com/", "user information"),
            ("not a url", "not a URL"),
            ("", "characters"),
        ] {
            let err = parse(url, false).unwrap_err();
            assert!(
                err.starts_with("webhook_url: ") && err.contains(says),
                "{url}: {err}"
            );
        }
        assert!(parse("http://127.0.0.1:8080/hook", true).is_ok());
    }
}
