//! The portal's static files, embedded in the binary: one hand-written
//! style sheet and one small script (WebCrypto signing; the public pages
//! work without it). Each is
//! served under a name that carries its content hash
//! (`/static/tamga-1a2b3c4d5e6f.css`), so it can be cached for a year
//! (`immutable`); its ETag is the full hash.

use std::sync::LazyLock;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The name it is served under (with the hash).
    pub name: String,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// A strong ETag (quoted SHA-256 of the body).
    pub etag: String,
}

impl Asset {
    fn new(stem: &str, ext: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
        let hash = tamga_core::hash::sha256_hex(body);
        Asset {
            name: format!("{stem}-{}.{ext}", &hash[..12]),
            content_type,
            body,
            etag: format!("\"{hash}\""),
        }
    }

    /// The URL path of the file.
    pub fn path(&self) -> String {
        format!("/static/{}", self.name)
    }
}

/// The style sheet.
pub static CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "tamga",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../static/tamga.css"),
    )
});

/// The script: signing in the browser with WebCrypto Ed25519.
pub static JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "tamga",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/sign.js"),
    )
});

/// `Cache-Control` of a hashed file.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The file served as `name`, if any.
pub fn find(name: &str) -> Option<&'static Asset> {
    [&*CSS, &*JS].into_iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_have_hashed_names_and_etags() {
        let css = find(&CSS.name).unwrap();
        assert!(css.name.starts_with("tamga-") && css.name.ends_with(".css"));
        assert!(css.etag.contains(&css.name[6..18]));
        assert_eq!(css.path(), format!("/static/{}", css.name));
        assert!(find("tamga.css").is_none());
        assert!(find("../Cargo.toml").is_none());
    }
}
