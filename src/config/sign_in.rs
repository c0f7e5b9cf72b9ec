//! How the provider signs in to Microsoft Entra ID: azurerm's arguments and variables, its
//! order of precedence, and one rule of our own, **explicit means explicit**.
//!
//! The first method whose settings are present wins, as in azurerm: a client certificate, a
//! client secret, OIDC (`use_oidc` or `use_aks_workload_identity`: a token, a token file, or a
//! token requested from GitHub Actions or Azure DevOps), a managed identity (`use_msi`), the
//! Azure CLI (`use_cli`, on unless turned off). A method the user asked for either works or is
//! refused here, at configure time, naming what is missing; it never falls through to the next
//! one. Only when nothing was asked for is the Azure CLI tried, and then [`SignIn::skipped`]
//! says why each other method was not, for the error shown if the CLI fails too.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use kusto_arm::{AssertionSource, ClientCertificate, Credential, Secret};
use url::Url;

use super::setting::{Check, Kind, Resolver, Setting};

/// The sign-in the provider will use.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The method, with what it needs.
    pub credential: Credential,
    /// Tenants also signed in to, for resources linked across tenants.
    pub auxiliary_tenant_ids: Vec<String>,
    /// When the user chose no method and the Azure CLI is tried by default: why each other
    /// method was not used. Empty when the user chose.
    pub skipped: Vec<String>,
}

const UUID_RULE: &str = "must be a UUID such as `00000000-0000-0000-0000-000000000000`";
const TENANT_RULE: &str = "must be a tenant ID (a UUID) or a domain name";
const HTTP_URL_RULE: &str = "must be an http or https URL";

/// How many auxiliary tenants ARM accepts on one request.
const MAX_AUXILIARY_TENANTS: usize = 3;

/// A setting of this module; all but their texts are the same.
const fn setting(
    name: &'static str,
    env: &'static [&'static str],
    kind: Kind,
    description: &'static str,
) -> Setting {
    Setting {
        name,
        env,
        kind,
        description,
        check: None,
    }
}

const fn checked(setting: Setting, rule: &'static str, check: Check) -> Setting {
    Setting {
        check: Some((rule, check)),
        ..setting
    }
}

pub(crate) const TENANT_ID: Setting = checked(
    setting(
        "tenant_id",
        &["ARM_TENANT_ID"],
        Kind::Text,
        "The Microsoft Entra ID tenant to sign in to: its ID (a UUID) or a verified domain name.",
    ),
    TENANT_RULE,
    check_tenant,
);
pub(crate) const AUXILIARY_TENANT_IDS: Setting = checked(
    setting(
        "auxiliary_tenant_ids",
        &["ARM_AUXILIARY_TENANT_IDS"],
        Kind::List,
        "Up to three more tenants to sign in to, for resources linked across tenants (such as \
         an Event Hub in another tenant); their tokens go with every request. In the \
         environment variable, separate them with `;`.",
    ),
    TENANT_RULE,
    check_tenant,
);
pub(crate) const CLIENT_ID: Setting = checked(
    setting(
        "client_id",
        &["ARM_CLIENT_ID"],
        Kind::Text,
        "The application (client) ID (a UUID) of the service principal, or of the \
         user-assigned managed identity when `use_msi` is set. Conflicts with \
         `client_id_file_path`.",
    ),
    UUID_RULE,
    check_uuid,
);
pub(crate) const CLIENT_ID_FILE_PATH: Setting = setting(
    "client_id_file_path",
    &["ARM_CLIENT_ID_FILE_PATH"],
    Kind::Text,
    "Path to a file holding the client ID. Conflicts with `client_id`.",
);
pub(crate) const CLIENT_SECRET: Setting = setting(
    "client_secret",
    &["ARM_CLIENT_SECRET"],
    Kind::Secret,
    "The client secret of the service principal. Conflicts with `client_secret_file_path`.",
);
pub(crate) const CLIENT_SECRET_FILE_PATH: Setting = setting(
    "client_secret_file_path",
    &["ARM_CLIENT_SECRET_FILE_PATH"],
    Kind::Text,
    "Path to a file holding the client secret of the service principal. Conflicts with \
     `client_secret`.",
);
pub(crate) const CLIENT_CERTIFICATE: Setting = setting(
    "client_certificate",
    &["ARM_CLIENT_CERTIFICATE"],
    Kind::Secret,
    "The service principal's client certificate as base64-encoded PKCS#12 (a `.pfx` file). \
     Conflicts with `client_certificate_path`.",
);
pub(crate) const CLIENT_CERTIFICATE_PATH: Setting = setting(
    "client_certificate_path",
    &["ARM_CLIENT_CERTIFICATE_PATH"],
    Kind::Text,
    "Path to the service principal's client certificate: PKCS#12 (`.pfx`), or PEM holding \
     the certificate and its unencrypted private key. Conflicts with `client_certificate`.",
);
pub(crate) const CLIENT_CERTIFICATE_PASSWORD: Setting = setting(
    "client_certificate_password",
    &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
    Kind::Secret,
    "The password of the PKCS#12 client certificate, if it has one.",
);
pub(crate) const USE_OIDC: Setting = setting(
    "use_oidc",
    &["ARM_USE_OIDC"],
    Kind::Flag,
    "Whether to sign in with an OIDC token (workload identity federation): `oidc_token`, \
     `oidc_token_file_path`, or a token requested from GitHub Actions or Azure DevOps. \
     Defaults to `false`.",
);
pub(crate) const OIDC_TOKEN: Setting = setting(
    "oidc_token",
    &["ARM_OIDC_TOKEN"],
    Kind::Secret,
    "The OIDC token to exchange for an access token. Conflicts with `oidc_token_file_path`.",
);
pub(crate) const OIDC_TOKEN_FILE_PATH: Setting = setting(
    "oidc_token_file_path",
    &["ARM_OIDC_TOKEN_FILE_PATH"],
    Kind::Text,
    "Path to a file holding the OIDC token, read at every sign-in. Conflicts with \
     `oidc_token`.",
);
pub(crate) const OIDC_REQUEST_URL: Setting = checked(
    setting(
        "oidc_request_url",
        &[
            "ARM_OIDC_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "SYSTEM_OIDCREQUESTURI",
        ],
        Kind::Text,
        "The URL to request an OIDC token from: GitHub Actions' ID token URL, or Azure \
         DevOps' OIDC request URI (then with `ado_pipeline_service_connection_id`).",
    ),
    HTTP_URL_RULE,
    check_http_url,
);
pub(crate) const OIDC_REQUEST_TOKEN: Setting = setting(
    "oidc_request_token",
    &[
        "ARM_OIDC_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SYSTEM_ACCESSTOKEN",
    ],
    Kind::Secret,
    "The bearer token of the OIDC token request: GitHub Actions' request token, or Azure \
     DevOps' `System.AccessToken`.",
);
pub(crate) const ADO_PIPELINE_SERVICE_CONNECTION_ID: Setting = setting(
    "ado_pipeline_service_connection_id",
    &[
        "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
        "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
    ],
    Kind::Text,
    "The ID of the Azure DevOps service connection (workload identity federation) whose \
     OIDC token to request.",
);
pub(crate) const USE_AKS_WORKLOAD_IDENTITY: Setting = setting(
    "use_aks_workload_identity",
    &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
    Kind::Flag,
    "Whether to sign in with AKS workload identity: the `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` \
     and `AZURE_FEDERATED_TOKEN_FILE` variables the AKS webhook injects stand in for \
     `tenant_id`, `client_id` and `oidc_token_file_path`. Defaults to `false`.",
);
pub(crate) const USE_MSI: Setting = setting(
    "use_msi",
    &["ARM_USE_MSI"],
    Kind::Flag,
    "Whether to sign in with a managed identity. Defaults to `false`.",
);
pub(crate) const MSI_ENDPOINT: Setting = checked(
    setting(
        "msi_endpoint",
        &["ARM_MSI_ENDPOINT"],
        Kind::Text,
        "The managed identity endpoint to use instead of the platform's default, as an \
         `http` or `https` URL.",
    ),
    HTTP_URL_RULE,
    check_http_url,
);
pub(crate) const USE_CLI: Setting = setting(
    "use_cli",
    &["ARM_USE_CLI"],
    Kind::Flag,
    "Whether to sign in with the Azure CLI's signed-in account. Defaults to `true`.",
);

/// The sign-in settings, in the order of the schema and the documentation.
pub(crate) const SETTINGS: [&Setting; 19] = [
    &TENANT_ID,
    &AUXILIARY_TENANT_IDS,
    &CLIENT_ID,
    &CLIENT_ID_FILE_PATH,
    &CLIENT_SECRET,
    &CLIENT_SECRET_FILE_PATH,
    &CLIENT_CERTIFICATE,
    &CLIENT_CERTIFICATE_PATH,
    &CLIENT_CERTIFICATE_PASSWORD,
    &USE_OIDC,
    &OIDC_TOKEN,
    &OIDC_TOKEN_FILE_PATH,
    &OIDC_REQUEST_URL,
    &OIDC_REQUEST_TOKEN,
    &ADO_PIPELINE_SERVICE_CONNECTION_ID,
    &USE_AKS_WORKLOAD_IDENTITY,
    &USE_MSI,
    &MSI_ENDPOINT,
    &USE_CLI,
];

/// Settings that are two ways of giving one thing.
pub(crate) const EXCLUSIVE_PAIRS: [(&Setting, &Setting); 4] = [
    (&CLIENT_ID, &CLIENT_ID_FILE_PATH),
    (&CLIENT_SECRET, &CLIENT_SECRET_FILE_PATH),
    (&CLIENT_CERTIFICATE, &CLIENT_CERTIFICATE_PATH),
    (&OIDC_TOKEN, &OIDC_TOKEN_FILE_PATH),
];

/// What AKS workload identity's webhook injects into a pod.
const AKS_TENANT_ID: &str = "AZURE_TENANT_ID";
const AKS_CLIENT_ID: &str = "AZURE_CLIENT_ID";
const AKS_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// Chooses the sign-in; `None` when the settings do not allow one (the problems are in
/// `r.diags`).
pub(crate) fn choose(r: &mut Resolver<'_>) -> Option<SignIn> {
    let auxiliary_tenant_ids = r.list(&AUXILIARY_TENANT_IDS);
    if auxiliary_tenant_ids.len() > MAX_AUXILIARY_TENANTS {
        r.diags.add_error(
            "Too many auxiliary tenants",
            format!(
                "{} lists {} tenants; Azure Resource Manager accepts at most {MAX_AUXILIARY_TENANTS}.",
                AUXILIARY_TENANT_IDS.named(),
                auxiliary_tenant_ids.len()
            ),
        );
    }
    let use_aks = r.flag(&USE_AKS_WORKLOAD_IDENTITY) == Some(true);
    let aks = |r: &Resolver<'_>, name: &str| use_aks.then(|| r.env.var(name)).flatten();
    let tenant_id = r.text(&TENANT_ID).or_else(|| aks(r, AKS_TENANT_ID));
    let client_id = client_id(r).or_else(|| aks(r, AKS_CLIENT_ID));
    let secret = secret(r);
    let certificate = certificate(r);
    let use_oidc = r.flag(&USE_OIDC) == Some(true) || use_aks;
    let aks_token_file = aks(r, AKS_TOKEN_FILE);
    let oidc = oidc_token(r, aks_token_file);
    let use_msi = r.flag(&USE_MSI) == Some(true);
    let msi_endpoint = r
        .text(&MSI_ENDPOINT)
        .and_then(|text| Url::parse(&text).ok());
    let use_cli = r.flag(&USE_CLI);
    if r.diags.has_error() {
        return None;
    }

    let service_principal =
        |r: &mut Resolver<'_>, method: &str, because: &Setting| -> Option<(String, String)> {
            service_principal(r, tenant_id.clone(), client_id.clone(), method, because)
        };
    let credential = if let Some((certificate, because)) = certificate {
        let (tenant_id, client_id) = service_principal(r, "a client certificate", because)?;
        Credential::ClientCertificate {
            tenant_id,
            client_id,
            certificate,
        }
    } else if let Some((secret, because)) = secret {
        let (tenant_id, client_id) = service_principal(r, "a client secret", because)?;
        Credential::ClientSecret {
            tenant_id,
            client_id,
            secret,
        }
    } else if use_oidc {
        let because = if use_aks {
            &USE_AKS_WORKLOAD_IDENTITY
        } else {
            &USE_OIDC
        };
        let Some(token) = oidc else {
            r.diags
                .add_error("Incomplete sign-in settings", no_oidc_token(because));
            return None;
        };
        let (tenant_id, client_id) = service_principal(r, "OIDC", because)?;
        Credential::Federated {
            tenant_id,
            client_id,
            token: token.ok()?,
        }
    } else if use_msi {
        Credential::ManagedIdentity {
            client_id,
            endpoint: msi_endpoint,
        }
    } else if use_cli == Some(true) || (use_cli.is_none() && client_id.is_none()) {
        Credential::AzureCli { tenant_id }
    } else {
        r.diags
            .add_error("No sign-in method", no_method(client_id.is_some()));
        return None;
    };
    let skipped = if use_cli.is_none() && matches!(credential, Credential::AzureCli { .. }) {
        skipped()
    } else {
        Vec::new()
    };
    Some(SignIn {
        credential,
        auxiliary_tenant_ids,
        skipped,
    })
}

/// The tenant and application a service principal signs in as; both are needed.
fn service_principal(
    r: &mut Resolver<'_>,
    tenant_id: Option<String>,
    client_id: Option<String>,
    method: &str,
    because: &Setting,
) -> Option<(String, String)> {
    if tenant_id.is_none() || client_id.is_none() {
        let missing: Vec<String> = [
            (tenant_id.is_none(), TENANT_ID.named()),
            (
                client_id.is_none(),
                format!("{} or `client_id_file_path`", CLIENT_ID.named()),
            ),
        ]
        .into_iter()
        .filter_map(|(missing, name)| missing.then_some(name))
        .collect();
        r.diags.add_error(
            "Incomplete sign-in settings",
            format!(
                "Signing in with {method} (chosen because {} is set) needs {}.",
                because.named(),
                missing.join(" and ")
            ),
        );
    }
    Some((tenant_id?, client_id?))
}

/// `client_id`, or the content of `client_id_file_path`.
fn client_id(r: &mut Resolver<'_>) -> Option<String> {
    let (text, path) = pair(r, &CLIENT_ID, &CLIENT_ID_FILE_PATH);
    if text.is_some() {
        return text;
    }
    let path = PathBuf::from(path?);
    let id = read_file(r, &CLIENT_ID_FILE_PATH, &path)?;
    let id = String::from_utf8_lossy(&id).trim().to_owned();
    match check_uuid(&id) {
        Ok(()) => Some(id),
        Err(problem) => {
            r.diags.add_error(
                "Invalid client ID file",
                format!(
                    "The file {} named by {} {problem}",
                    path.display(),
                    CLIENT_ID_FILE_PATH.named()
                ),
            );
            None
        }
    }
}

/// The client secret, given or read from its file, with the setting it came from.
fn secret(r: &mut Resolver<'_>) -> Option<(Secret, &'static Setting)> {
    let (secret, path) = pair(r, &CLIENT_SECRET, &CLIENT_SECRET_FILE_PATH);
    if let Some(secret) = secret {
        return Some((Secret::new(secret), &CLIENT_SECRET));
    }
    let bytes = read_file(r, &CLIENT_SECRET_FILE_PATH, &PathBuf::from(path?))?;
    let secret = String::from_utf8_lossy(&bytes).trim().to_owned();
    if secret.is_empty() {
        r.diags.add_error(
            "Empty client secret file",
            format!(
                "The file named by {} is empty.",
                CLIENT_SECRET_FILE_PATH.named()
            ),
        );
        return None;
    }
    Some((Secret::new(secret), &CLIENT_SECRET_FILE_PATH))
}

/// The client certificate, decoded or read and opened, with the setting it came from.
fn certificate(r: &mut Resolver<'_>) -> Option<(Arc<ClientCertificate>, &'static Setting)> {
    let (encoded, path) = pair(r, &CLIENT_CERTIFICATE, &CLIENT_CERTIFICATE_PATH);
    let password = r.text(&CLIENT_CERTIFICATE_PASSWORD);
    let (bytes, from) = match (encoded, path) {
        (Some(encoded), _) => {
            let compact: String = encoded.split_whitespace().collect();
            match base64::engine::general_purpose::STANDARD.decode(compact) {
                Ok(bytes) => (bytes, &CLIENT_CERTIFICATE),
                Err(_) => {
                    r.diags.add_error(
                        "Invalid client certificate",
                        format!(
                            "{} must be a base64-encoded PKCS#12 bundle.",
                            CLIENT_CERTIFICATE.named()
                        ),
                    );
                    return None;
                }
            }
        }
        (None, Some(path)) => (
            read_file(r, &CLIENT_CERTIFICATE_PATH, &PathBuf::from(path))?,
            &CLIENT_CERTIFICATE_PATH,
        ),
        (None, None) => return None,
    };
    match ClientCertificate::load(&bytes, password.as_deref()) {
        Ok(certificate) => Some((Arc::new(certificate), from)),
        Err(problem) => {
            r.diags.add_error(
                "Invalid client certificate",
                format!(
                    "The client certificate of {} cannot be used: {problem}. Check {} too.",
                    from.named(),
                    CLIENT_CERTIFICATE_PASSWORD.named()
                ),
            );
            None
        }
    }
}

/// Where the OIDC token comes from, if anywhere: `Err` when a request flow is half set (the
/// problem is reported).
fn oidc_token(
    r: &mut Resolver<'_>,
    aks_token_file: Option<String>,
) -> Option<Result<AssertionSource, ()>> {
    let (token, file) = pair(r, &OIDC_TOKEN, &OIDC_TOKEN_FILE_PATH);
    let request_url = r.text(&OIDC_REQUEST_URL);
    let request_token = r.text(&OIDC_REQUEST_TOKEN);
    let connection = r.text(&ADO_PIPELINE_SERVICE_CONNECTION_ID);
    if let Some(token) = token {
        return Some(Ok(AssertionSource::Token(Secret::new(token))));
    }
    if let Some(file) = file.or(aks_token_file) {
        return Some(Ok(AssertionSource::TokenFile(PathBuf::from(file))));
    }
    let (request_url, request_token) = match (request_url, request_token) {
        (None, None) => return None,
        (Some(url), Some(token)) => (url, Secret::new(token)),
        (url, _) => {
            let (given, missing) = if url.is_some() {
                (&OIDC_REQUEST_URL, &OIDC_REQUEST_TOKEN)
            } else {
                (&OIDC_REQUEST_TOKEN, &OIDC_REQUEST_URL)
            };
            r.diags.add_error(
                "Incomplete sign-in settings",
                format!(
                    "An OIDC token request needs both its URL and its token: {} is set but {} \
                     is not.{GITHUB_PERMISSION}",
                    given.named(),
                    missing.named()
                ),
            );
            return Some(Err(()));
        }
    };
    let Ok(request_url) = Url::parse(&request_url) else {
        return Some(Err(()));
    };
    Some(Ok(match connection {
        Some(service_connection_id) => AssertionSource::AzureDevOps {
            request_url,
            request_token,
            service_connection_id,
        },
        None => AssertionSource::GitHubActions {
            request_url,
            request_token,
        },
    }))
}

const GITHUB_PERMISSION: &str = " In GitHub Actions, the job needs `permissions: id-token: write` \
    for the runner to provide them.";

fn no_oidc_token(because: &Setting) -> String {
    format!(
        "{} is set, but no OIDC token is available. Set {} or {}, or run where GitHub Actions \
         provides {} and {}, or in Azure DevOps with {} (SYSTEM_OIDCREQUESTURI and \
         SYSTEM_ACCESSTOKEN come from the pipeline).{GITHUB_PERMISSION}",
        because.named(),
        OIDC_TOKEN.named(),
        OIDC_TOKEN_FILE_PATH.named(),
        OIDC_REQUEST_URL.named(),
        OIDC_REQUEST_TOKEN.named(),
        ADO_PIPELINE_SERVICE_CONNECTION_ID.named(),
    )
}

fn no_method(has_client_id: bool) -> String {
    let start = if has_client_id {
        format!(
            "{} is set, but nothing proves the application's identity.",
            CLIENT_ID.named()
        )
    } else {
        format!(
            "{} is false and no other sign-in method is set.",
            USE_CLI.named()
        )
    };
    format!(
        "{start} Set one of: {} or {}; {} or {}; {} (with an OIDC token); {} (a managed \
         identity); or {}.",
        CLIENT_SECRET.named(),
        CLIENT_SECRET_FILE_PATH.named(),
        CLIENT_CERTIFICATE_PATH.named(),
        CLIENT_CERTIFICATE.named(),
        USE_OIDC.named(),
        USE_MSI.named(),
        USE_CLI.named(),
    )
}

/// Why each method before the Azure CLI was not used, when the user set none of them.
fn skipped() -> Vec<String> {
    let neither =
        |a: &Setting, b: &Setting| format!("neither {} nor {} is set", a.named(), b.named());
    vec![
        format!(
            "client certificate: {}",
            neither(&CLIENT_CERTIFICATE_PATH, &CLIENT_CERTIFICATE)
        ),
        format!(
            "client secret: {}",
            neither(&CLIENT_SECRET, &CLIENT_SECRET_FILE_PATH)
        ),
        format!("OIDC: {} is not true", USE_OIDC.named()),
        format!("managed identity: {} is not true", USE_MSI.named()),
    ]
}

/// Both members of an exclusive pair; setting both in the environment is refused here (in
/// the configuration, `validate` reports it at the attribute).
fn pair(r: &mut Resolver<'_>, a: &Setting, b: &Setting) -> (Option<String>, Option<String>) {
    let (first, second) = (r.text(a), r.text(b));
    if first.is_some() && second.is_some() {
        if !r.paired_from_config.contains(&a.name) {
            r.diags.add_error(
                "Conflicting environment variables",
                format!("Only one of {} and {} may be set.", a.env[0], b.env[0]),
            );
        }
        return (None, None);
    }
    (first, second)
}

fn read_file(r: &mut Resolver<'_>, setting: &Setting, path: &PathBuf) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            r.diags.add_error(
                "Unreadable file",
                format!(
                    "The file {} named by {} cannot be read: {error}.",
                    path.display(),
                    setting.named()
                ),
            );
            None
        }
    }
}

pub(crate) fn check_uuid(text: &str) -> Result<(), String> {
    let hyphenated = text.len() == 36 && uuid::Uuid::try_parse(text).is_ok();
    if hyphenated {
        Ok(())
    } else {
        Err(format!("{UUID_RULE}, got {text:?}"))
    }
}

fn check_tenant(text: &str) -> Result<(), String> {
    let is_domain = text.contains('.')
        && text.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if check_uuid(text).is_ok() || is_domain {
        Ok(())
    } else {
        Err(format!("{TENANT_RULE}, got {text:?}"))
    }
}

fn check_http_url(text: &str) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(format!("{HTTP_URL_RULE}, got {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Env, ProviderSettings, resolve};
    use terraform_plugin::diag::Diagnostics;
    use terraform_plugin::value::Value;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";
    const TENANT: &str = "00000000-0000-0000-0000-000000000002";
    const CLIENT: &str = "00000000-0000-0000-0000-000000000003";

    fn resolved(vars: &[(&str, &str)]) -> Result<ProviderSettings, Diagnostics> {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        resolve(&Value::Null, &Env::Map(vars))
    }

    fn method(vars: &[(&str, &str)]) -> &'static str {
        match resolved(vars) {
            Ok(settings) => settings.sign_in.credential.method(),
            Err(diags) => panic!("{diags:?}"),
        }
    }

    /// The one error detail of a refused configuration.
    fn refusal(vars: &[(&str, &str)]) -> String {
        let diags = resolved(vars).expect_err("refused");
        let details: Vec<&str> = diags.iter().map(|d| d.detail.as_str()).collect();
        assert_eq!(details.len(), 1, "{details:?}");
        details[0].to_owned()
    }

    const SERVICE_PRINCIPAL: [(&str, &str); 3] = [
        ("ARM_SUBSCRIPTION_ID", SUB),
        ("ARM_TENANT_ID", TENANT),
        ("ARM_CLIENT_ID", CLIENT),
    ];

    fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        SERVICE_PRINCIPAL.iter().chain(extra).copied().collect()
    }

    #[test]
    fn the_first_method_set_wins_in_azurerms_order() {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, "t").unwrap();
        let token_file = token_file.to_str().unwrap();
        let all = with(&[
            ("ARM_CLIENT_SECRET", "s"),
            ("ARM_USE_OIDC", "true"),
            ("ARM_OIDC_TOKEN_FILE_PATH", token_file),
            ("ARM_USE_MSI", "true"),
            ("ARM_USE_CLI", "true"),
        ]);
        assert_eq!(method(&all), "client secret");
        let without = |name: &str| -> Vec<(&str, &str)> {
            all.iter().copied().filter(|(k, _)| *k != name).collect()
        };
        let no_secret = without("ARM_CLIENT_SECRET");
        assert_eq!(method(&no_secret), "OIDC token file");
        let msi: Vec<_> = no_secret
            .into_iter()
            .filter(|(k, _)| !k.contains("OIDC"))
            .collect();
        assert_eq!(method(&msi), "managed identity");
        assert_eq!(method(&[("ARM_SUBSCRIPTION_ID", SUB)]), "Azure CLI");
    }

    #[test]
    fn ci_systems_are_recognised_by_the_variables_they_export() {
        let github = with(&[
            ("ARM_USE_OIDC", "true"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://runner.example/idtoken?api-version=2.0",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
        ]);
        assert_eq!(method(&github), "GitHub Actions OIDC");
        let azure_devops = with(&[
            ("ARM_USE_OIDC", "true"),
            (
                "SYSTEM_OIDCREQUESTURI",
                "https://dev.example/org/_apis/oidctoken",
            ),
            ("SYSTEM_ACCESSTOKEN", "system-token"),
            ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "sc-1"),
        ]);
        let settings = resolved(&azure_devops).unwrap();
        let Credential::Federated {
            token:
                AssertionSource::AzureDevOps {
                    service_connection_id,
                    ..
                },
            ..
        } = settings.sign_in.credential
        else {
            panic!("{:?}", settings.sign_in);
        };
        assert_eq!(service_connection_id, "sc-1");
    }

    #[test]
    fn aks_workload_identity_reads_what_the_webhook_injects() {
        let settings = resolved(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true"),
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                "/var/run/secrets/azure/tokens/azure-identity-token",
            ),
        ])
        .unwrap();
        let Credential::Federated {
            tenant_id,
            client_id,
            token: AssertionSource::TokenFile(file),
        } = settings.sign_in.credential
        else {
            panic!("{:?}", settings.sign_in);
        };
        assert_eq!((tenant_id.as_str(), client_id.as_str()), (TENANT, CLIENT));
        assert!(file.ends_with("azure-identity-token"));
        let ignored = resolved(&[("ARM_SUBSCRIPTION_ID", SUB), ("AZURE_CLIENT_ID", CLIENT)]);
        assert_eq!(ignored.unwrap().sign_in.credential.method(), "Azure CLI");
    }

    #[test]
    fn a_method_asked_for_never_falls_through() {
        let oidc = refusal(&with(&[("ARM_USE_OIDC", "true")]));
        for named in [
            "ARM_USE_OIDC",
            "ARM_OIDC_TOKEN",
            "ARM_OIDC_TOKEN_FILE_PATH",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "id-token: write",
        ] {
            assert!(oidc.contains(named), "{named}: {oidc}");
        }
        let half = refusal(&with(&[
            ("ARM_USE_OIDC", "true"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://runner.example/idtoken",
            ),
        ]));
        assert!(
            half.contains("`oidc_request_url` (ARM_OIDC_REQUEST_URL")
                && half.contains("`oidc_request_token` (ARM_OIDC_REQUEST_TOKEN"),
            "{half}"
        );
        let client_only = refusal(&with(&[]));
        assert!(
            client_only.starts_with("`client_id` (ARM_CLIENT_ID) is set, but nothing proves"),
            "{client_only}"
        );
        let no_tenant = refusal(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_CLIENT_SECRET", "hunter2"),
        ]);
        assert_eq!(
            no_tenant,
            "Signing in with a client secret (chosen because `client_secret` (ARM_CLIENT_SECRET) \
             is set) needs `tenant_id` (ARM_TENANT_ID)."
        );
        let nothing = refusal(&[("ARM_SUBSCRIPTION_ID", SUB), ("ARM_USE_CLI", "false")]);
        assert!(
            nothing.starts_with("`use_cli` (ARM_USE_CLI) is false"),
            "{nothing}"
        );
        let subscription = refusal(&[
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_CLIENT_SECRET", "hunter2"),
        ]);
        assert!(
            subscription.contains("ARM_SUBSCRIPTION_ID"),
            "{subscription}"
        );
    }

    #[test]
    fn files_and_certificates_are_read_when_configuring() {
        let dir = tempfile::tempdir().unwrap();
        let id_file = dir.path().join("client-id");
        std::fs::write(&id_file, format!("{CLIENT}\n")).unwrap();
        let settings = resolved(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID_FILE_PATH", id_file.to_str().unwrap()),
            ("ARM_CLIENT_SECRET", "s"),
        ])
        .unwrap();
        let Credential::ClientSecret { client_id, .. } = settings.sign_in.credential else {
            panic!("{:?}", settings.sign_in);
        };
        assert_eq!(client_id, CLIENT);

        let missing = refusal(&with(&[(
            "ARM_CLIENT_CERTIFICATE_PATH",
            "/no/such/cert.pfx",
        )]));
        assert!(
            missing.starts_with("The file /no/such/cert.pfx named by `client_certificate_path` (ARM_CLIENT_CERTIFICATE_PATH) cannot be read"),
            "{missing}"
        );
        let garbage = refusal(&with(&[
            ("ARM_CLIENT_CERTIFICATE", "bm90IGEgY2VydGlmaWNhdGU="),
            ("ARM_CLIENT_CERTIFICATE_PASSWORD", "pa55word"),
        ]));
        assert!(garbage.contains("not a PKCS#12 bundle"), "{garbage}");
        assert!(!garbage.contains("pa55word"), "{garbage}");
    }

    #[test]
    fn at_most_three_auxiliary_tenants() {
        let four = refusal(&with(&[
            ("ARM_CLIENT_SECRET", "s"),
            (
                "ARM_AUXILIARY_TENANT_IDS",
                "a.example;b.example;c.example;d.example",
            ),
        ]));
        assert!(four.contains("lists 4 tenants"), "{four}");
    }
}
