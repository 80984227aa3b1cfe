//! Static assets (CSS, JavaScript, icons), embedded in the binary and served under names that carry a
//! hash of their content, so they can be cached for a year: a new release changes the name. The web
//! manifest names its icons by their file names in `assets/`; they are replaced with the hashed URLs
//! before the manifest's own hash is taken.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
pub struct Asset {
    /// The name in `assets/`.
    pub name: &'static str,
    /// The name it is served under: `app.3f2a91c0.css`.
    pub hashed: String,
    /// Its content type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: Cow<'static, [u8]>,
}

const FILES: [(&str, &str, &[u8]); 6] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/icon.svg"),
    ),
    (
        "icon-192.png",
        "image/png",
        include_bytes!("../../assets/icon-192.png"),
    ),
    (
        "icon-512.png",
        "image/png",
        include_bytes!("../../assets/icon-512.png"),
    ),
    (
        "manifest.webmanifest",
        "application/manifest+json",
        include_bytes!("../../assets/manifest.webmanifest"),
    ),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    let mut assets: Vec<Asset> = Vec::new();
    // The manifest comes last in FILES, so every file it names already has its hashed name.
    for (name, content_type, body) in FILES {
        let body: Cow<'static, [u8]> = if name == "manifest.webmanifest" {
            let mut text = String::from_utf8_lossy(body).into_owned();
            for a in &assets {
                text = text.replace(
                    &format!("\"{}\"", a.name),
                    &format!("\"/assets/{}\"", a.hashed),
                );
            }
            Cow::Owned(text.into_bytes())
        } else {
            Cow::Borrowed(body)
        };
        let digest = Sha256::digest(&body);
        let short = hex::encode(&digest[..5]);
        let hashed = match name.split_once('.') {
            Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
            None => format!("{name}.{short}"),
        };
        assets.push(Asset {
            name,
            hashed,
            content_type,
            body,
        });
    }
    assets
});

/// The URL of an asset by its name in `assets/` (`app.css` → `/assets/app.3f2a91c0e1.css`).
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/assets/{}", a.hashed))
        .unwrap_or_default()
}

/// `GET /assets/{file}`: the asset under its hashed name, cached for a year. A stale hash is 404,
/// so an old page never gets new code under an old name.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.hashed == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_hashed_url() {
        for (name, _, _) in FILES {
            let u = url(name);
            assert!(u.starts_with("/assets/"), "{name}: {u}");
            assert_ne!(u, format!("/assets/{name}"), "{name} has no hash");
        }
        assert_eq!(url("missing.css"), "");
    }
}
