//! Traders' webhooks: where a URL may point, the secret every delivery is
//! signed with, and the signature (issue 13, finding 5).
//!
//! - **Destinations.** A webhook URL is `http` or `https` with a host that
//!   is neither a local name (`localhost`, `*.localhost`) nor an address of
//!   a non-public range ([`forbidden_ip`]: loopback, private, shared,
//!   link-local, multicast, unspecified, broadcast, documentation and
//!   reserved ranges, and the IPv4-mapped, 6to4 and NAT64 forms of those).
//!   It is checked when it is set (400 `WEBHOOK_URL_FORBIDDEN`, pointer
//!   `/url`) and again by the dispatcher at every delivery, after DNS
//!   resolution: every address a name resolves to must be allowed, and the
//!   connection goes to the checked addresses (`tamga_http::webhook`).
//!   [`crate::Settings::webhook_allow_loopback`] lets tests use a loopback
//!   receiver; it is off unless a program sets it.
//! - **Signature.** Setting a webhook makes a new secret from the OS CSPRNG
//!   ([`new_secret`]), stores it (so every instance signs alike) and shows
//!   it to the trader once. Each delivery carries `X-Tamga-Timestamp` (Unix
//!   seconds) and `X-Tamga-Webhook-Signature: v1=<hex>`, the HMAC-SHA256
//!   under the secret (its UTF-8 bytes) of `timestamp + "." + body`
//!   ([`signature`]). A receiver recomputes it over the raw body, compares
//!   in constant time and refuses timestamps outside its replay window
//!   (e.g. 5 minutes).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ring::rand::SecureRandom;
use serde_json::json;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_store::Store;

use crate::error::AppError;

/// Header with the Unix time (seconds) the delivery was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Tamga-Timestamp";
/// Header with the signature: `v1=` and the lower-case hex HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "X-Tamga-Webhook-Signature";
/// Most characters of a webhook URL.
pub const MAX_URL_LEN: usize = 2048;

/// A webhook URL checked for its form and destination: the normalised
/// form is what is stored and called.
pub fn check_url(raw: &str, allow_loopback: bool) -> Result<url::Url, AppError> {
    let malformed = || {
        AppError::bad_request(
            "WEBHOOK_URL",
            "/url",
            format!("the webhook URL must be an http:// or https:// URL of at most {MAX_URL_LEN} characters"),
        )
    };
    if raw.len() > MAX_URL_LEN || raw.contains(char::is_whitespace) {
        return Err(malformed());
    }
    let url = url::Url::parse(raw).map_err(|_| malformed())?;
    if !matches!(url.scheme(), "http" | "https") || url.as_str().len() > MAX_URL_LEN {
        return Err(malformed());
    }
    let forbidden = |why: String| {
        AppError::bad_request(
            "WEBHOOK_URL_FORBIDDEN",
            "/url",
            format!("webhooks may only reach public addresses: {why}"),
        )
    };
    match url.host() {
        None => return Err(malformed()),
        Some(url::Host::Domain(name)) => {
            if let Some(why) = forbidden_name(name, allow_loopback) {
                return Err(forbidden(format!("{name} is {why}")));
            }
        }
        Some(url::Host::Ipv4(ip)) => {
            if let Some(why) = forbidden_ip(IpAddr::V4(ip), allow_loopback) {
                return Err(forbidden(format!("{ip} is {why}")));
            }
        }
        Some(url::Host::Ipv6(ip)) => {
            if let Some(why) = forbidden_ip(IpAddr::V6(ip), allow_loopback) {
                return Err(forbidden(format!("{ip} is {why}")));
            }
        }
    }
    Ok(url)
}

/// Why a host name may not be a webhook's (names of this machine), if so.
pub fn forbidden_name(name: &str, allow_loopback: bool) -> Option<&'static str> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let local = name == "localhost" || name.ends_with(".localhost");
    (local && !allow_loopback).then_some("a name of this machine (localhost)")
}

/// Why a webhook may not connect to `ip`, if so: every address that is not
/// public unicast. `allow_loopback` (tests) lets 127.0.0.0/8 and ::1 (and
/// their IPv4-mapped forms) through.
pub fn forbidden_ip(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4, allow_loopback),
        IpAddr::V6(v6) => forbidden_v6(v6, allow_loopback),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn forbidden_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified (\"this network\", 0.0.0.0/8)"),
        ([10, 0, 0, 0], 8, "private (10.0.0.0/8)"),
        ([100, 64, 0, 0], 10, "shared address space (100.64.0.0/10)"),
        ([169, 254, 0, 0], 16, "link-local (169.254.0.0/16)"),
        ([172, 16, 0, 0], 12, "private (172.16.0.0/12)"),
        (
            [192, 0, 0, 0],
            24,
            "reserved for IETF protocols (192.0.0.0/24)",
        ),
        ([192, 0, 2, 0], 24, "documentation (192.0.2.0/24)"),
        (
            [192, 88, 99, 0],
            24,
            "reserved (6to4 relay, 192.88.99.0/24)",
        ),
        ([192, 168, 0, 0], 16, "private (192.168.0.0/16)"),
        ([198, 18, 0, 0], 15, "benchmarking (198.18.0.0/15)"),
        ([198, 51, 100, 0], 24, "documentation (198.51.100.0/24)"),
        ([203, 0, 113, 0], 24, "documentation (203.0.113.0/24)"),
        ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
        ([255, 255, 255, 255], 32, "broadcast"),
        ([240, 0, 0, 0], 4, "reserved (240.0.0.0/4)"),
    ];
    if ip.is_loopback() {
        return (!allow_loopback).then_some("loopback (127.0.0.0/8)");
    }
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn in_v6(ip: Ipv6Addr, net: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn forbidden_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    let bits = u128::from(ip);
    // Forms that carry an IPv4 address: judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4, allow_loopback);
    }
    if in_v6(ip, 0x0064_ff9b << 96, 96) {
        // NAT64 well-known prefix (RFC 6052): the IPv4 address in the low bits.
        return forbidden_v4(Ipv4Addr::from(bits as u32), allow_loopback);
    }
    if in_v6(ip, 0x2002 << 112, 16) {
        // 6to4 (RFC 3056): the IPv4 address after the prefix.
        return forbidden_v4(Ipv4Addr::from((bits >> 80) as u32), allow_loopback);
    }
    if ip.is_loopback() {
        return (!allow_loopback).then_some("loopback (::1)");
    }
    const RANGES: &[(u128, u32, &str)] = &[
        (0, 128, "unspecified (::)"),
        (0, 96, "reserved (IPv4-compatible, ::/96)"),
        (
            0x0064_ff9b_0001 << 80,
            48,
            "reserved (local-use NAT64, 64:ff9b:1::/48)",
        ),
        (0x0100 << 112, 64, "reserved (discard-only, 100::/64)"),
        (0x2001_0db8 << 96, 32, "documentation (2001:db8::/32)"),
        (0x2001 << 112, 23, "reserved for IETF protocols (2001::/23)"),
        (0x3fff << 112, 20, "documentation (3fff::/20)"),
        (0xfc00 << 112, 7, "private (unique local, fc00::/7)"),
        (0xfe80 << 112, 10, "link-local (fe80::/10)"),
        (0xfec0 << 112, 10, "reserved (site-local, fec0::/10)"),
        (0xff00 << 112, 8, "multicast (ff00::/8)"),
    ];
    if let Some((_, _, why)) = RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
    {
        return Some(why);
    }
    // Public unicast is 2000::/3; everything else is reserved.
    (!in_v6(ip, 0x2000 << 112, 3)).then_some("reserved (outside 2000::/3)")
}

/// A new webhook secret: 32 bytes from the OS CSPRNG, hex, prefixed
/// `whsec_` (so it is recognisable in a leak scan).
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Unavailable("the system random generator failed".into()))?;
    Ok(format!("whsec_{}", hex::encode(bytes)))
}

/// The value of [`SIGNATURE_HEADER`]: `v1=` and the hex HMAC-SHA256 under
/// the secret's UTF-8 bytes of `timestamp + "." + body`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("v1={}", hex::encode(ctx.sign().as_ref()))
}

/// Sets (a checked URL, with a new secret, which is returned) or removes
/// the operator's webhook, and audits it (the URL, never the secret).
pub(crate) async fn set(
    store: &dyn Store,
    allow_loopback: bool,
    op: &Eori,
    url: Option<&str>,
) -> Result<Option<(String, String)>, AppError> {
    let set = match url {
        Some(u) => {
            let url = check_url(u, allow_loopback)?;
            let secret = new_secret()?;
            store.set_signed_webhook(op, url.as_str(), &secret).await?;
            Some((url.to_string(), secret))
        }
        None => {
            store.set_webhook(op, None).await?;
            None
        }
    };
    store
        .append_audit(
            &format!("operator:{op}"),
            "webhook.set",
            OffsetDateTime::now_utc(),
            &json!({ "url": set.as_ref().map(|(u, _)| u) }),
        )
        .await?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        match check_url(url, false) {
            Err(AppError::BadRequest { code, pointer, .. }) => {
                assert_eq!(pointer, "/url");
                code.to_owned()
            }
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn internal_destinations_are_refused() {
        for url in [
            "http://127.0.0.1/hook",
            "http://127.1.2.3:8080/hook",
            "http://[::1]/hook",
            "http://localhost/hook",
            "http://LOCALHOST./hook",
            "http://api.localhost/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://255.255.255.255/",
            "http://224.0.0.1/",
            "http://192.0.2.10/",
            "http://198.51.100.7/",
            "http://203.0.113.9/",
            "http://198.18.0.1/",
            "http://240.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[::]/",
            "http://[::127.0.0.1]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
            "http://[2001:db8::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:7f00:1::]/",
            "http://[2001::1]/",
            // Other spellings of 127.0.0.1 the URL standard accepts.
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
        ] {
            assert_eq!(refused(url), "WEBHOOK_URL_FORBIDDEN", "{url}");
        }
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "http://",
            "http://:80/",
        ] {
            assert_eq!(refused(url), "WEBHOOK_URL", "{url}");
        }
    }

    #[test]
    fn public_destinations_are_accepted() {
        for url in [
            "https://hooks.example.com/tamga",
            "http://93.184.216.34:8080/x",
            "https://[2606:2800:220:1::1]/x",
            "http://[64:ff9b::5db8:d822]/",
            "http://172.32.0.1/",
            "http://192.169.0.1/",
            "http://notlocalhost.example/",
        ] {
            assert!(check_url(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_test_switch_allows_loopback_only() {
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        for url in [
            "http://10.0.0.1/",
            "http://169.254.169.254/",
            "http://[fe80::1]/",
        ] {
            assert!(check_url(url, true).is_err(), "{url}");
        }
    }

    #[test]
    fn secrets_are_random_and_signatures_are_hmac_sha256() {
        let a = new_secret().unwrap();
        assert_eq!(a.len(), 6 + 64);
        assert_ne!(a, new_secret().unwrap());
        // The signature is the HMAC of "<timestamp>.<body>"; the primitive
        // gives RFC 4231's answer for its test case 2.
        let sig = signature("Jefe", 0, b"what do ya want for nothing?");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"Jefe");
        let expected = ring::hmac::sign(&key, b"0.what do ya want for nothing?");
        assert_eq!(sig, format!("v1={}", hex::encode(expected.as_ref())));
        let rfc = ring::hmac::sign(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(rfc.as_ref()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
