//! What handlers read from a request the same way everywhere: the address the client used,
//! query parameters compared as ARM compares them, percent-decoded paths, and the largest
//! body accepted.

use axum::http::{HeaderMap, StatusCode, Uri, header};

use super::error::ApiError;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 1 << 20;

/// The answer to a body larger than [`BODY_LIMIT`].
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        format!("The request content exceeds the limit of {BODY_LIMIT} bytes."),
    )
}

/// `https://host:port` as the client addressed the emulator, so that URLs handed back
/// (operation URLs, metadata, OIDC discovery) lead to the same place.
pub fn base_url(uri: &Uri, headers: &HeaderMap) -> String {
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    format!("https://{host}")
}

/// The value of a query parameter (name compared case-insensitively, as ARM does).
pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

/// Decodes `%XX` escapes in a path (invalid escapes are kept as they are).
pub fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(
            percent_decode("/locations/West%20Europe/x"),
            "/locations/West Europe/x"
        );
        assert_eq!(percent_decode("/a%2"), "/a%2");
        assert_eq!(percent_decode("/a%zz"), "/a%zz");
        assert_eq!(percent_decode("%24Default"), "$Default");
    }
}
