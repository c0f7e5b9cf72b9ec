//! Client assertions (`client_assertion_type` =
//! `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`), the two kinds Entra accepts in
//! place of a client secret.
//!
//! - Certificate credentials: the application signs the JWT itself (`iss` = `sub` = client
//!   id, audience the token endpoint) with the key of a certificate registered on it, named
//!   by the header's `x5t`/`x5t#S256`. The emulator checks everything Entra checks: the
//!   thumbprint, the certificate's validity, the RS256/PS256 signature, the claims.
//! - Workload identity federation: a token from another issuer (a CI system, Kubernetes)
//!   whose `iss`/`sub` match a federated credential of the application, with audience
//!   `api://AzureADTokenExchange`. The emulator cannot fetch the issuer's keys, so it checks
//!   everything but the signature.
//!
//! An assertion is a certificate assertion when its `iss` is the client id (a federated
//! credential's issuer is a URL, never a client id); a certificate assertion without a
//! thumbprint then gets Entra's "no thumbprint" error rather than a federation mismatch.
//! Errors carry the real AADSTS codes.

use axum::http::StatusCode;
use time::OffsetDateTime;

use super::certificate::{Certificate, Thumbprint};
use super::clock::arm_timestamp;
use super::entra_error::AadError;
use super::token::{self, Jws};
use super::world::{Application, FederatedCredential};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The audience of every token exchanged through a federated credential.
pub const FEDERATION_AUDIENCE: &str = "api://AzureADTokenExchange";
/// How far in the future an assertion's `nbf` may lie (the clock skew Entra tolerates).
const CLOCK_SKEW_SECONDS: i64 = 300;
const CERTIFICATE_DOCS: &str = "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";

/// Which kind of client assertion a request presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Federated,
    Certificate,
}

impl Kind {
    /// A certificate assertion is issued by the application itself (`iss` = client id); any
    /// other assertion, well-formed or not, is taken for a federated one.
    pub fn of(assertion: &str, client_id: &str) -> Kind {
        let issued_by_client = token::decode_payload(assertion).is_some_and(|claims| {
            claims
                .get("iss")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|iss| iss.eq_ignore_ascii_case(client_id))
        });
        if issued_by_client {
            Kind::Certificate
        } else {
            Kind::Federated
        }
    }

    /// The request log's name for a token request authenticated this way.
    pub fn grant(self) -> &'static str {
        match self {
            Kind::Federated => "client_assertion_federated",
            Kind::Certificate => "client_assertion_certificate",
        }
    }
}

/// What an assertion is checked against.
pub struct Expected<'a> {
    pub application: &'a Application,
    /// The addresses of the token endpoint the request was sent to: the audience a
    /// certificate assertion must name.
    pub token_endpoints: Vec<String>,
    pub now: OffsetDateTime,
}

fn error(
    status: StatusCode,
    error: &str,
    code: u32,
    text: String,
    now: OffsetDateTime,
) -> AadError {
    AadError::new(status, error, code, text, now)
}

fn malformed(detail: &str, now: OffsetDateTime) -> AadError {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        50027,
        format!("JWT token is invalid or malformed.{detail}"),
        now,
    )
}

/// Checks the assertion of a token request for `expected.application`.
pub fn check(
    assertion_type: Option<&str>,
    assertion: &str,
    expected: &Expected,
) -> Result<(), AadError> {
    if assertion_type != Some(ASSERTION_TYPE) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("Invalid client_assertion_type; expected '{ASSERTION_TYPE}'."),
            expected.now,
        ));
    }
    match Kind::of(assertion, &expected.application.client_id) {
        Kind::Federated => check_federated(
            assertion,
            &expected.application.federated_credentials,
            expected.now,
        ),
        Kind::Certificate => check_certificate(assertion, expected),
    }
}

/// Entra's answer to an assertion outside its validity window (`exp` passed, or `nbf` more
/// than the tolerated skew ahead).
fn time_range(claims: &serde_json::Value, now: OffsetDateTime) -> Result<(), AadError> {
    let exp = token::time_claim(claims, "exp");
    let nbf = token::time_claim(claims, "nbf");
    let current = now.unix_timestamp();
    let expired = exp.is_none_or(|exp| exp <= current);
    let early = nbf.is_some_and(|nbf| nbf > current.saturating_add(CLOCK_SKEW_SECONDS));
    if !expired && !early {
        return Ok(());
    }
    let at = |t: Option<i64>| {
        arm_timestamp(
            t.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    };
    Err(error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        700024,
        format!(
            "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, \
             expiry time of assertion {}. {CERTIFICATE_DOCS}",
            arm_timestamp(now),
            at(nbf),
            at(exp)
        ),
        now,
    ))
}

fn check_federated(
    assertion: &str,
    trusted: &[FederatedCredential],
    now: OffsetDateTime,
) -> Result<(), AadError> {
    let Some(claims) = token::decode_payload(assertion) else {
        return Err(malformed("", now));
    };
    let text = |key: &str| {
        claims
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (iss, sub) = (text("iss"), text("sub"));
    let audiences = token::audiences(&claims);
    time_range(&claims, now)?;
    if !trusted.iter().any(|c| c.issuer == iss && c.subject == sub) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. \
                 Assertion Subject: '{sub}'. Assertion Audience: '{}'.",
                audiences.join(",")
            ),
            now,
        ));
    }
    if !audiences.iter().any(|a| a == FEDERATION_AUDIENCE) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            700212,
            format!(
                "No matching federated identity record found for presented assertion audience '{}'.",
                audiences.join(",")
            ),
            now,
        ));
    }
    Ok(())
}

/// A URL as Entra compares audiences: case-insensitive, without a trailing slash, and with
/// `localhost` and `127.0.0.1` (the two names of the emulator's certificate) alike.
fn normalized(url: &str) -> String {
    url.trim_end_matches('/')
        .to_ascii_lowercase()
        .replace("://localhost", "://127.0.0.1")
}

fn check_certificate(assertion: &str, expected: &Expected) -> Result<(), AadError> {
    let now = expected.now;
    let client_id = &expected.application.client_id;
    let Some(jws) = token::parse(assertion) else {
        return Err(malformed("", now));
    };
    let Some(thumbprint) = Thumbprint::of_header(&jws.header) else {
        return Err(malformed(
            " No certificate thumbprint specified in token header.",
            now,
        ));
    };
    let invalid_signature = |reason: &str| {
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!(
                "Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: \
                 '{}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys \
                 for app Id '{client_id}'.]",
                thumbprint.display()
            ),
            now,
        )
    };
    let certificates: Vec<Certificate> = expected
        .application
        .certificates
        .iter()
        .flat_map(|pem| Certificate::parse_pem(pem))
        .collect();
    let Some(certificate) = certificates.iter().find(|c| c.matches(&thumbprint)) else {
        return Err(invalid_signature("The key was not found."));
    };
    if now > certificate.not_after {
        return Err(invalid_signature("The key used is expired."));
    }
    if now < certificate.not_before {
        return Err(invalid_signature("The key used is not yet valid."));
    }
    verify_signature(&jws, certificate).map_err(|found| {
        invalid_signature(&format!(
            "The provided signature value did not match the expected signature value., Found key '{found}'"
        ))
    })?;
    check_certificate_claims(&jws, expected)
}

/// Checks the signature; on failure, describes the key found as Entra does
/// (`Start=M/d/yyyy H:mm:ss, End=...`).
fn verify_signature(jws: &Jws, certificate: &Certificate) -> Result<(), String> {
    let alg = jws
        .header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    if certificate.verifies(alg, jws.signing_input.as_bytes(), &jws.signature) {
        return Ok(());
    }
    let date = |t: OffsetDateTime| {
        format!(
            "{:02}/{:02}/{} {:02}:{:02}:{:02}",
            u8::from(t.month()),
            t.day(),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    Err(format!(
        "Start={}, End={}",
        date(certificate.not_before),
        date(certificate.not_after)
    ))
}

fn check_certificate_claims(jws: &Jws, expected: &Expected) -> Result<(), AadError> {
    let now = expected.now;
    if !jws
        .text("sub")
        .eq_ignore_ascii_case(&expected.application.client_id)
    {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700021,
            format!(
                "Client assertion application identifier doesn't match 'client_id' parameter. {CERTIFICATE_DOCS}"
            ),
            now,
        ));
    }
    let endpoints: Vec<String> = expected
        .token_endpoints
        .iter()
        .map(|e| normalized(e))
        .collect();
    let audience_ok = token::audiences(&jws.claims)
        .iter()
        .any(|aud| endpoints.contains(&normalized(aud)));
    if !audience_ok {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700023,
            format!(
                "Client assertion audience claim does not match Realm issuer. {CERTIFICATE_DOCS}"
            ),
            now,
        ));
    }
    time_range(&jws.claims, now)?;
    if jws.text("jti").is_empty() {
        return Err(malformed(" The assertion has no 'jti' claim.", now));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{DEFAULT_CLIENT_ID, World};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, RsaKeyPair};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
    use serde_json::{Value, json};

    const ENDPOINT: &str = "https://localhost:9/t/oauth2/v2.0/token";

    fn unsigned(payload: &Value) -> String {
        format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(payload.to_string()))
    }

    fn expected(application: &Application, now: OffsetDateTime) -> Expected<'_> {
        Expected {
            application,
            token_endpoints: vec![ENDPOINT.to_owned()],
            now,
        }
    }

    fn code(result: Result<(), AadError>) -> Result<(), u32> {
        result.map_err(|e| e.code)
    }

    #[test]
    fn assertions_need_a_trusted_issuer_subject_and_the_exchange_audience() {
        let now = OffsetDateTime::now_utc();
        let world = World::default();
        let application = &world.applications[0];
        let credential = &application.federated_credentials[0];
        let check = |aud: &str, sub: &str, exp: i64| {
            let token =
                unsigned(&json!({"iss": credential.issuer, "sub": sub, "aud": aud, "exp": exp}));
            code(super::check(
                Some(ASSERTION_TYPE),
                &token,
                &expected(application, now),
            ))
        };
        let later = now.unix_timestamp() + 60;
        assert!(check(FEDERATION_AUDIENCE, &credential.subject, later).is_ok());
        assert_eq!(
            check(FEDERATION_AUDIENCE, "someone-else", later),
            Err(70021)
        );
        assert_eq!(
            check("api://other", &credential.subject, later),
            Err(700212)
        );
        assert_eq!(
            check(
                FEDERATION_AUDIENCE,
                &credential.subject,
                now.unix_timestamp()
            ),
            Err(700024)
        );
        let wrong_type = super::check(Some("other"), "x", &expected(application, now));
        assert_eq!(code(wrong_type), Err(50027));
    }

    /// An application with one RSA certificate, and a signer of assertions with its key.
    struct Signer {
        key: RsaKeyPair,
        application: Application,
        sha1: String,
    }

    /// RSA keys are slow to make: the tests share one.
    fn rsa_key() -> &'static KeyPair {
        static KEY: std::sync::OnceLock<KeyPair> = std::sync::OnceLock::new();
        KEY.get_or_init(|| KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap())
    }

    impl Signer {
        fn new(valid_from: OffsetDateTime, valid_to: OffsetDateTime) -> Signer {
            let key = rsa_key();
            let mut params = CertificateParams::new(vec!["client".to_owned()]).unwrap();
            params.not_before = valid_from;
            params.not_after = valid_to;
            let cert = params.self_signed(key).unwrap();
            let digest =
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.der());
            let mut application = World::default().applications.remove(0);
            application.certificates = vec![cert.pem()];
            Signer {
                key: RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap(),
                application,
                sha1: URL_SAFE_NO_PAD.encode(digest),
            }
        }

        fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let mut out = vec![0; self.key.public_modulus_len()];
            let padding: &'static dyn signature::RsaEncoding = if header["alg"] == "PS256" {
                &signature::RSA_PSS_SHA256
            } else {
                &signature::RSA_PKCS1_SHA256
            };
            self.key
                .sign(padding, &SystemRandom::new(), input.as_bytes(), &mut out)
                .unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(out))
        }

        fn claims(&self, now: OffsetDateTime) -> Value {
            let now = now.unix_timestamp();
            json!({"aud": ENDPOINT, "iss": DEFAULT_CLIENT_ID, "sub": DEFAULT_CLIENT_ID,
                   "jti": "j", "nbf": now, "exp": now + 600})
        }

        fn check(&self, assertion: &str, now: OffsetDateTime) -> Result<(), u32> {
            code(super::check(
                Some(ASSERTION_TYPE),
                assertion,
                &expected(&self.application, now),
            ))
        }
    }

    #[test]
    fn certificate_assertions_are_verified_with_the_registered_certificate() {
        let now = OffsetDateTime::now_utc();
        let day = time::Duration::days(1);
        let signer = Signer::new(now - day, now + day);
        let header = json!({"alg": "RS256", "typ": "JWT", "x5t": signer.sha1});
        let claims = signer.claims(now);
        let good = signer.sign(&header, &claims);
        assert_eq!(Kind::of(&good, DEFAULT_CLIENT_ID), Kind::Certificate);
        assert_eq!(signer.check(&good, now), Ok(()));
        let pss = signer.sign(&json!({"alg": "PS256", "x5t": signer.sha1}), &claims);
        assert_eq!(signer.check(&pss, now), Ok(()));
        // Go clients: padded standard base64 thumbprint, times as strings, an audience list.
        let go_style = signer.sign(
            &json!({"alg": "RS256", "x5t": format!("{}=", signer.sha1)}),
            &json!({"aud": ["https://127.0.0.1:9/T/oauth2/v2.0/token/"], "iss": DEFAULT_CLIENT_ID,
                    "sub": DEFAULT_CLIENT_ID, "jti": "j",
                    "nbf": now.unix_timestamp().to_string(),
                    "exp": (now.unix_timestamp() + 60).to_string()}),
        );
        assert_eq!(signer.check(&go_style, now), Ok(()));

        let (head, _) = good.rsplit_once('.').unwrap();
        let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]));
        assert_eq!(signer.check(&forged, now), Err(700027));
        let unknown = signer.sign(&json!({"alg": "RS256", "x5t": "AAAA"}), &claims);
        assert_eq!(signer.check(&unknown, now), Err(700027));
        let none = signer.sign(&json!({"alg": "RS256"}), &claims);
        assert_eq!(signer.check(&none, now), Err(50027));
        let hs = signer.sign(&json!({"alg": "HS256", "x5t": signer.sha1}), &claims);
        assert_eq!(signer.check(&hs, now), Err(700027));
        assert_eq!(signer.check(&format!("{head}.!!"), now), Err(50027));
    }

    #[test]
    fn certificate_assertion_claims_are_checked_like_entra() {
        let now = OffsetDateTime::now_utc();
        let day = time::Duration::days(1);
        let signer = Signer::new(now - day, now + day);
        let header = json!({"alg": "RS256", "x5t": signer.sha1});
        let with = |change: Value| {
            let mut claims = signer.claims(now);
            if let (Some(claims), Value::Object(change)) = (claims.as_object_mut(), change) {
                for (k, v) in change {
                    if v.is_null() {
                        claims.remove(&k);
                    } else {
                        claims.insert(k, v);
                    }
                }
            }
            signer.check(&signer.sign(&header, &claims), now)
        };
        let t = now.unix_timestamp();
        assert_eq!(with(json!({"sub": "someone"})), Err(700021));
        assert_eq!(
            with(json!({"aud": "https://localhost:9/other/oauth2/v2.0/token"})),
            Err(700023)
        );
        assert_eq!(with(json!({"aud": null})), Err(700023));
        assert_eq!(with(json!({"exp": t})), Err(700024));
        assert_eq!(with(json!({"exp": null})), Err(700024));
        assert_eq!(with(json!({"nbf": t + 3600})), Err(700024));
        assert_eq!(with(json!({"nbf": t + 60})), Ok(()), "a little skew");
        assert_eq!(with(json!({"jti": null})), Err(50027));
    }

    #[test]
    fn certificates_outside_their_validity_are_refused() {
        let now = OffsetDateTime::now_utc();
        let day = time::Duration::days(1);
        for (from, to) in [(now - day - day, now - day), (now + day, now + day + day)] {
            let signer = Signer::new(from, to);
            let header = json!({"alg": "RS256", "x5t": signer.sha1});
            let assertion = signer.sign(&header, &signer.claims(now));
            assert_eq!(signer.check(&assertion, now), Err(700027));
        }
    }
}
