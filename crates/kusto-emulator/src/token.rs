//! Tokens: three-part JWTs signed with HMAC-SHA256, and the taking apart of the JWTs clients
//! present.
//!
//! Real clients only decode token payloads (azurerm reads `oid`, `tid`, `appid`), so a
//! symmetric signature is enough to let the emulator's ARM side tell its own tokens from
//! forged or damaged ones; the CI systems' ID tokens the emulator issues are signed the same
//! way (Entra, as the emulator plays it, does not check their signature). The key is part of
//! the persisted state so tokens survive a `--state` restart.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The claims the emulator puts into and reads from access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub appid: String,
    pub appidacr: String,
    pub idtyp: String,
    pub oid: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
}

/// Why a presented token is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not three base64url parts of JSON, or missing claims.
    Malformed,
    /// Well-formed, but not signed by this emulator.
    BadSignature,
}

/// Generates a fresh random signing key (244 random bits from two v4 UUIDs).
pub fn new_signing_key() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn key(signing_key: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, signing_key.as_bytes())
}

/// A compact JWS taken apart, its signature not checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws<'a> {
    /// The protected header, a JSON object.
    pub header: Value,
    /// The payload, a JSON object.
    pub claims: Value,
    /// What the signature signs: `header.payload` as sent.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

impl Jws<'_> {
    /// A string claim (empty when absent or not a string).
    pub fn text(&self, name: &str) -> &str {
        self.claims
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// A time claim of `claims` in seconds since the epoch, as a number or a numeric string (Go
/// clients send strings, and Entra takes them).
pub fn time_claim(claims: &Value, name: &str) -> Option<i64> {
    match claims.get(name)? {
        // Fractional seconds are truncated (`as` saturates at the ends of the range).
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The `aud` claim of `claims` as a list (it may be one string or an array of strings).
pub fn audiences(claims: &Value) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn json_object(segment: &str) -> Option<Value> {
    let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()?;
    value.is_object().then_some(value)
}

/// Takes a compact JWS apart: three base64url parts, the first two JSON objects.
pub fn parse(token: &str) -> Option<Jws<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    Some(Jws {
        header: json_object(header)?,
        claims: json_object(payload)?,
        signing_input,
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

/// Signs `claims` into a compact JWT.
pub fn mint(signing_key: &str, claims: &impl Serialize) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let tag = hmac::sign(&key(signing_key), signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Decodes the payload of any compact JWT without checking its signature.
pub fn decode_payload(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Checks the signature of one of the emulator's own tokens and returns its claims.
pub fn verify(signing_key: &str, token: &str) -> Result<Claims, TokenProblem> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenProblem::Malformed)?;
    let claims: Claims = decode_payload(token)
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or(TokenProblem::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenProblem::Malformed)?;
    hmac::verify(&key(signing_key), signing_input.as_bytes(), &signature)
        .map_err(|_| TokenProblem::BadSignature)?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            aud: "https://management.azure.com/".into(),
            iss: "https://sts.windows.net/t/".into(),
            iat: 1,
            nbf: 1,
            exp: 2,
            appid: "a".into(),
            appidacr: "1".into(),
            idtyp: "app".into(),
            oid: "o".into(),
            sub: "o".into(),
            tid: "t".into(),
            uti: "u".into(),
            ver: "1.0".into(),
        }
    }

    #[test]
    fn minted_tokens_verify_and_decode() {
        let key = new_signing_key();
        let token = mint(&key, &claims());
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(verify(&key, &token).unwrap(), claims());
        assert_eq!(decode_payload(&token).unwrap()["oid"], "o");
    }

    #[test]
    fn presented_jwts_are_taken_apart() {
        let token = mint(
            "k",
            &serde_json::json!({"aud": ["a", 1, "b"], "exp": "17", "nbf": 3.9, "iat": true}),
        );
        let jws = parse(&token).unwrap();
        assert_eq!(jws.header["alg"], "HS256");
        assert_eq!(audiences(&jws.claims), ["a", "b"]);
        assert_eq!(time_claim(&jws.claims, "exp"), Some(17));
        assert_eq!(time_claim(&jws.claims, "nbf"), Some(3));
        assert_eq!(time_claim(&jws.claims, "iat"), None);
        assert_eq!(time_claim(&jws.claims, "missing"), None);
        assert_eq!(jws.text("sub"), "");
        assert_eq!(jws.signing_input, token.rsplit_once('.').unwrap().0);
        for bad in [
            "abc",
            "a.b",
            "e30.e30.!!",
            "W10.e30.c2ln",
            "e30.bnVsbA.c2ln",
            "e30.e30.c2ln.c2ln",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("e30.e30.c2ln").is_some());
    }

    #[test]
    fn damaged_or_foreign_tokens_are_refused() {
        let key = new_signing_key();
        let token = mint(&key, &claims());
        assert_eq!(
            verify(&new_signing_key(), &token),
            Err(TokenProblem::BadSignature)
        );
        assert_eq!(verify(&key, "abc"), Err(TokenProblem::Malformed));
        assert_eq!(
            verify(&key, &format!("{token}x!")),
            Err(TokenProblem::Malformed)
        );
        let (head, _) = token.rsplit_once('.').unwrap();
        assert_eq!(
            verify(&key, &format!("{head}.AAAA")),
            Err(TokenProblem::BadSignature)
        );
    }
}
