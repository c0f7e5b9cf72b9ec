//! Finding client secrets in requests, so tests can prove where a client sends them (to the
//! token endpoint, and nowhere else).
//!
//! A secret counts as seen when it occurs in the path, the query, any header value (also
//! inside a `Basic` credential) or the body, raw or decoded (percent/form encoding, JSON
//! string escapes).

use axum::http::{HeaderMap, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::http::percent_decode;

/// Whether any of `secrets` occurs anywhere in the request.
pub fn secret_seen(uri: &Uri, headers: &HeaderMap, body: &[u8], secrets: &[String]) -> bool {
    if secrets.is_empty() {
        return false;
    }
    let mut texts: Vec<String> = vec![uri.path().to_owned(), percent_decode(uri.path())];
    if let Some(query) = uri.query() {
        texts.push(query.to_owned());
        texts.extend(form_fields(query.as_bytes()));
    }
    for value in headers.values() {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if let Some(basic) = text
            .strip_prefix("Basic ")
            .and_then(|b| STANDARD.decode(b.trim()).ok())
        {
            texts.push(String::from_utf8_lossy(&basic).into_owned());
        }
        texts.push(text);
    }
    texts.push(String::from_utf8_lossy(body).into_owned());
    texts.extend(form_fields(body));
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        json_strings(&json, &mut texts);
    }
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .any(|secret| texts.iter().any(|text| text.contains(secret.as_str())))
}

fn form_fields(bytes: &[u8]) -> Vec<String> {
    url::form_urlencoded::parse(bytes)
        .flat_map(|(k, v)| [k.into_owned(), v.into_owned()])
        .collect()
}

fn json_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            json_strings(v, out);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn seen(uri: &str, header: Option<&str>, body: &str) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(h) = header {
            headers.insert("authorization", HeaderValue::from_str(h).unwrap());
        }
        secret_seen(
            &uri.parse().unwrap(),
            &headers,
            body.as_bytes(),
            &["s3cr+t/x".to_owned()],
        )
    }

    #[test]
    fn secrets_are_found_raw_and_encoded() {
        assert!(!seen("/a?b=c", Some("Bearer x"), "{}"));
        assert!(seen("/a?client_secret=s3cr%2Bt%2Fx", None, ""));
        assert!(seen("/a", None, "client_secret=s3cr%2Bt%2Fx&x=1"));
        assert!(seen("/a", None, r#"{"p":{"k":"s3cr+t\/x"}}"#));
        assert!(seen(
            "/a",
            Some(&format!("Basic {}", STANDARD.encode("id:s3cr+t/x"))),
            ""
        ));
        assert!(seen("/a/s3cr+t%2Fx", None, ""));
    }
}
