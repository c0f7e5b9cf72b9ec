//! The provider block: the Azure settings azurerm users already know, each falling back to
//! the `ARM_*` environment variable they already export, resolved into plain
//! [`ProviderSettings`] for the Azure client layer.
//!
//! Checks run twice, on purpose: the schema's validators report bad configuration values at
//! their attribute during `terraform validate`, and [`resolve`] applies the same checks to
//! values that come from the environment, naming the variable instead. A setting and its
//! `_file_path` twin are resolved as a pair: when the configuration sets either, the
//! environment's values for both are ignored, so an exported `ARM_CLIENT_SECRET` never
//! conflicts with a `client_secret_file_path` in the configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kusto_arm::{Cloud, Credentials, Secret};
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;
use terraform_plugin::planmod::StringCheck;
use terraform_plugin::schema::{Attribute, Schema};
use terraform_plugin::value::Value;

/// Where environment variables come from: the process, or a fixed map in tests.
#[derive(Debug, Clone, Default)]
pub enum Env {
    /// The provider process's environment.
    #[default]
    Process,
    /// A fixed set of variables.
    Map(BTreeMap<String, String>),
}

impl Env {
    /// The variable's value; unset and empty are the same, as in Go's `os.Getenv`.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match self {
            Self::Process => std::env::var(name).ok(),
            Self::Map(vars) => vars.get(name).cloned(),
        };
        value.filter(|v| !v.is_empty())
    }
}

/// The provider configuration after environment fallbacks and defaults, in the Azure client
/// layer's own vocabulary: plain settings, no credential acquired and no network used yet.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Subscription to manage resources in (UUID).
    pub subscription_id: Option<String>,
    /// How to authenticate; at most one of each secret and its file path is set, and
    /// `use_cli` defaults to true as in azurerm.
    pub credentials: Credentials,
    /// The cloud: `metadata_host` when set, else `environment` (default public).
    pub cloud: Cloud,
    /// Create data connections without the service's preflight validation, unless a
    /// resource says otherwise (default false).
    pub skip_preflight_validation: bool,
    /// A PEM file of CA certificates to trust besides the platform's, from `SSL_CERT_FILE`
    /// (the convention of Go, and so of Terraform and azurerm): how a private endpoint or
    /// the local emulator is trusted.
    pub extra_ca_file: Option<PathBuf>,
}

/// The variable naming extra CA certificates to trust.
const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Whether a setting is text, a secret or a flag.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Secret,
    Flag,
}

/// A check of a text value: `Err` holds a sentence that follows the value's name.
type Check = fn(&str) -> Result<(), String>;

/// One provider argument and its environment variable.
struct Setting {
    name: &'static str,
    env: &'static str,
    kind: Kind,
    description: &'static str,
    /// The rule in words, for documentation, and its check.
    check: Option<(&'static str, Check)>,
}

const UUID_RULE: &str = "must be a UUID such as `00000000-0000-0000-0000-000000000000`";
const TENANT_RULE: &str = "must be a tenant ID (a UUID) or a domain name";
const HTTP_URL_RULE: &str = "must be an http or https URL";
const ENVIRONMENT_RULE: &str = "must be one of: \"public\", \"usgovernment\", \"china\"";
const METADATA_HOST_RULE: &str =
    "must be a host name without a scheme or path, such as `management.azure.com`";

const SUBSCRIPTION_ID: Setting = Setting {
    name: "subscription_id",
    env: "ARM_SUBSCRIPTION_ID",
    kind: Kind::Text,
    description: "The ID (a UUID) of the Azure subscription that holds the Kusto clusters. \
                  Needed by every operation on a resource, unless the Azure CLI signs in, \
                  whose default subscription then applies.",
    check: Some((UUID_RULE, check_uuid)),
};

const TENANT_ID: Setting = Setting {
    name: "tenant_id",
    env: "ARM_TENANT_ID",
    kind: Kind::Text,
    description: "The Microsoft Entra ID tenant to authenticate against: its ID (a UUID) \
                  or a verified domain name.",
    check: Some((TENANT_RULE, check_tenant)),
};

const CLIENT_ID: Setting = Setting {
    name: "client_id",
    env: "ARM_CLIENT_ID",
    kind: Kind::Text,
    description: "The application (client) ID (a UUID) of the service principal, or of the \
                  user-assigned managed identity when `use_msi` is set.",
    check: Some((UUID_RULE, check_uuid)),
};

const CLIENT_SECRET: Setting = Setting {
    name: "client_secret",
    env: "ARM_CLIENT_SECRET",
    kind: Kind::Secret,
    description: "The client secret of the service principal. Conflicts with \
                  `client_secret_file_path`.",
    check: None,
};

const CLIENT_SECRET_FILE_PATH: Setting = Setting {
    name: "client_secret_file_path",
    env: "ARM_CLIENT_SECRET_FILE_PATH",
    kind: Kind::Text,
    description: "Path to a file holding the client secret of the service principal. \
                  Conflicts with `client_secret`.",
    check: None,
};

const USE_CLI: Setting = Setting {
    name: "use_cli",
    env: "ARM_USE_CLI",
    kind: Kind::Flag,
    description: "Whether to authenticate with the Azure CLI's signed-in account. Defaults \
                  to `true`.",
    check: None,
};

const USE_MSI: Setting = Setting {
    name: "use_msi",
    env: "ARM_USE_MSI",
    kind: Kind::Flag,
    description: "Whether to authenticate with a managed identity. Defaults to `false`.",
    check: None,
};

const MSI_ENDPOINT: Setting = Setting {
    name: "msi_endpoint",
    env: "ARM_MSI_ENDPOINT",
    kind: Kind::Text,
    description: "The managed identity endpoint to use instead of the platform's default, \
                  as an `http` or `https` URL.",
    check: Some((HTTP_URL_RULE, check_http_url)),
};

const USE_OIDC: Setting = Setting {
    name: "use_oidc",
    env: "ARM_USE_OIDC",
    kind: Kind::Flag,
    description: "Whether to authenticate with an OIDC token (workload identity \
                  federation). Defaults to `false`.",
    check: None,
};

const OIDC_TOKEN: Setting = Setting {
    name: "oidc_token",
    env: "ARM_OIDC_TOKEN",
    kind: Kind::Secret,
    description: "The OIDC token to exchange for an access token. Conflicts with \
                  `oidc_token_file_path`.",
    check: None,
};

const OIDC_TOKEN_FILE_PATH: Setting = Setting {
    name: "oidc_token_file_path",
    env: "ARM_OIDC_TOKEN_FILE_PATH",
    kind: Kind::Text,
    description: "Path to a file holding the OIDC token. Conflicts with `oidc_token`.",
    check: None,
};

const ENVIRONMENT: Setting = Setting {
    name: "environment",
    env: "ARM_ENVIRONMENT",
    kind: Kind::Text,
    description: "The Azure cloud: `public`, `usgovernment` or `china`. Defaults to \
                  `public`. Ignored when `metadata_host` is set.",
    check: Some((ENVIRONMENT_RULE, check_environment)),
};

const METADATA_HOST: Setting = Setting {
    name: "metadata_host",
    env: "ARM_METADATA_HOSTNAME",
    kind: Kind::Text,
    description: "The host name, with an optional port and without `https://`, serving the \
                  cloud's endpoint metadata \
                  (`https://{metadata_host}/metadata/endpoints?api-version=2022-09-01`): for \
                  Azure Stack, sovereign clouds or the local emulator.",
    check: Some((METADATA_HOST_RULE, check_metadata_host)),
};

/// Every setting, in the order of the schema and the documentation.
const SETTINGS: [&Setting; 13] = [
    &SUBSCRIPTION_ID,
    &TENANT_ID,
    &CLIENT_ID,
    &CLIENT_SECRET,
    &CLIENT_SECRET_FILE_PATH,
    &USE_CLI,
    &USE_MSI,
    &MSI_ENDPOINT,
    &USE_OIDC,
    &OIDC_TOKEN,
    &OIDC_TOKEN_FILE_PATH,
    &ENVIRONMENT,
    &METADATA_HOST,
];

/// Settings that are two ways of giving one thing.
const EXCLUSIVE_PAIRS: [(&Setting, &Setting); 2] = [
    (&CLIENT_SECRET, &CLIENT_SECRET_FILE_PATH),
    (&OIDC_TOKEN, &OIDC_TOKEN_FILE_PATH),
];

/// The provider-level default of the resources' `skip_preflight_validation`: a Terraform
/// setting rather than an Azure one, so it has no `ARM_*` variable.
const SKIP_PREFLIGHT_VALIDATION: &str = "skip_preflight_validation";

/// The provider block's schema.
pub fn schema() -> Schema {
    let schema = SETTINGS.iter().fold(
        Schema::new(0).description(
            "The Kusto provider manages Azure Data Explorer resources through Azure Resource \
             Manager. Every argument is optional and falls back to the `ARM_*` environment \
             variable the azurerm provider reads.",
        ),
        |schema, setting| {
            let mut attribute = match setting.kind {
                Kind::Flag => Attribute::bool(setting.name),
                Kind::Text | Kind::Secret => Attribute::string(setting.name),
            }
            .description(format!(
                "{} Can also be set with the `{}` environment variable.",
                setting.description, setting.env
            ));
            if setting.kind == Kind::Secret {
                attribute = attribute.sensitive();
            }
            if let Some((rule, check)) = setting.check {
                attribute = attribute.validator(StringCheck::new(rule, check));
            }
            schema.attribute(attribute)
        },
    );
    schema.attribute(Attribute::bool(SKIP_PREFLIGHT_VALIDATION).description(
        "Whether to create data connections without first asking Azure to validate them \
         (the Kusto `dataConnectionValidation` operation, which reports a missing table, mapping \
         or consumer group before anything is created). Defaults to `false`. A resource's own \
         `skip_preflight_validation` takes precedence.",
    ))
}

/// Cross-argument checks of the configuration (unknown values skipped).
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    for (first, second) in EXCLUSIVE_PAIRS {
        let set = |setting: &Setting| !config.is_null_attr(setting.name);
        if set(first) && set(second) {
            diags.add_attribute_error(
                AttributePath::attr(second.name),
                "Conflicting provider arguments",
                format!(
                    "Only one of `{}` and `{}` may be set.",
                    first.name, second.name
                ),
            );
        }
    }
}

/// Resolves the configuration against the environment. Errors name the attribute (for
/// configuration values) or the environment variable (for values taken from it).
pub fn resolve(config: &Value, env: &Env) -> Result<ProviderSettings, Diagnostics> {
    let mut resolver = Resolver {
        config,
        env,
        diags: Diagnostics::new(),
        paired_from_config: EXCLUSIVE_PAIRS
            .iter()
            .filter(|(a, b)| !config.is_null_attr(a.name) || !config.is_null_attr(b.name))
            .flat_map(|(a, b)| [a.name, b.name])
            .collect(),
    };
    validate(config, &mut resolver.diags);
    let subscription_id = resolver.text(&SUBSCRIPTION_ID);
    let tenant_id = resolver.text(&TENANT_ID);
    let client_id = resolver.text(&CLIENT_ID);
    let (client_secret, client_secret_file_path) =
        resolver.secret(&CLIENT_SECRET, &CLIENT_SECRET_FILE_PATH);
    let use_cli = resolver.flag(&USE_CLI, true);
    let use_msi = resolver.flag(&USE_MSI, false);
    let msi_endpoint = resolver.text(&MSI_ENDPOINT);
    let use_oidc = resolver.flag(&USE_OIDC, false);
    let (oidc_token, oidc_token_file_path) = resolver.secret(&OIDC_TOKEN, &OIDC_TOKEN_FILE_PATH);
    let environment = resolver.text(&ENVIRONMENT);
    let cloud = match resolver.text(&METADATA_HOST) {
        Some(host) => Cloud::MetadataHost(host),
        None => environment
            .and_then(|name| Cloud::from_environment(&name).ok())
            .unwrap_or(Cloud::Public),
    };
    let settings = ProviderSettings {
        subscription_id,
        credentials: Credentials {
            tenant_id,
            client_id,
            client_secret,
            client_secret_file_path,
            use_oidc,
            oidc_token,
            oidc_token_file_path,
            use_msi,
            msi_endpoint,
            use_cli,
        },
        cloud,
        skip_preflight_validation: config.get_bool(SKIP_PREFLIGHT_VALIDATION).unwrap_or(false),
        extra_ca_file: env.var(SSL_CERT_FILE).map(PathBuf::from),
    };
    if resolver.diags.has_error() {
        Err(resolver.diags)
    } else {
        Ok(settings)
    }
}

/// Reads settings one by one, collecting every problem rather than stopping at the first.
struct Resolver<'a> {
    config: &'a Value,
    env: &'a Env,
    diags: Diagnostics,
    /// Members of exclusive pairs the configuration sets: their variables are ignored.
    paired_from_config: Vec<&'static str>,
}

impl Resolver<'_> {
    /// The configuration's value, else the environment's, checked; the raw text.
    fn raw(&mut self, setting: &Setting) -> Option<String> {
        let name = setting.name;
        let value = self.config.attr(name);
        let (text, source) = match value {
            Value::Unknown => {
                self.diags.add_attribute_error(
                    AttributePath::attr(name),
                    "Provider argument not known",
                    format!(
                        "The value of `{name}` is known only after apply, but the provider \
                         needs it to be configured. Use a value known at plan time."
                    ),
                );
                return None;
            }
            Value::String(text) => (text.clone(), None),
            Value::Bool(flag) => return Some(flag.to_string()),
            _ if self.paired_from_config.contains(&name) => return None,
            _ => (self.env.var(setting.env)?, Some(setting.env)),
        };
        let Some((_, check)) = setting.check else {
            return Some(text);
        };
        let Err(problem) = check(&text) else {
            return Some(text);
        };
        match source {
            Some(env) => self.diags.add_error(
                format!("Invalid environment variable {env}"),
                format!("The environment variable {env} (used for `{name}`) {problem}"),
            ),
            None => self.diags.add_attribute_error(
                AttributePath::attr(name),
                "Invalid Attribute Value",
                format!("Attribute {name} {problem}"),
            ),
        }
        None
    }

    fn text(&mut self, setting: &Setting) -> Option<String> {
        self.raw(setting)
    }

    fn flag(&mut self, setting: &Setting, default: bool) -> bool {
        let Some(text) = self.raw(setting) else {
            return default;
        };
        match parse_bool(&text) {
            Some(flag) => flag,
            None => {
                let (name, env) = (setting.name, setting.env);
                self.diags.add_error(
                    format!("Invalid environment variable {env}"),
                    format!("The environment variable {env} (used for `{name}`) must be `true` or `false`."),
                );
                default
            }
        }
    }

    /// A secret given directly or as a file path; never both.
    fn secret(&mut self, value: &Setting, file: &Setting) -> (Option<Secret>, Option<PathBuf>) {
        let (secret, path) = (self.raw(value), self.raw(file));
        if secret.is_some() && path.is_some() {
            // Both in configuration is reported by `validate`, at the attribute.
            if !self.paired_from_config.contains(&value.name) {
                self.diags.add_error(
                    "Conflicting environment variables",
                    format!("Only one of {} and {} may be set.", value.env, file.env),
                );
            }
            return (None, None);
        }
        (secret.map(Secret::new), path.map(PathBuf::from))
    }
}

/// Go's `strconv.ParseBool`, which azurerm uses for `ARM_USE_*`.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn check_uuid(text: &str) -> Result<(), String> {
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

fn check_environment(text: &str) -> Result<(), String> {
    match Cloud::from_environment(text) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("{ENVIRONMENT_RULE}, got {text:?}")),
    }
}

fn check_metadata_host(text: &str) -> Result<(), String> {
    let problem = || Err(format!("{METADATA_HOST_RULE}, got {text:?}"));
    if text.contains("://") || text.contains(['/', '?', '#', '@']) {
        return problem();
    }
    match url::Url::parse(&format!("https://{text}")) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => problem(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KustoProvider;
    use terraform_plugin::server::Server;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";
    const TENANT: &str = "00000000-0000-0000-0000-000000000002";

    fn config(attrs: &[(&str, Value)]) -> Value {
        let mut config = schema().body().empty_value();
        for (name, value) in attrs {
            config.set(name, value.clone());
        }
        config
    }

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::Map(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn extra_ca_certificates_come_from_ssl_cert_file() {
        let settings = resolve(&config(&[]), &env(&[(SSL_CERT_FILE, "/etc/ca.pem")])).unwrap();
        assert_eq!(settings.extra_ca_file, Some(PathBuf::from("/etc/ca.pem")));
        let settings = resolve(&config(&[]), &env(&[])).unwrap();
        assert_eq!(settings.extra_ca_file, None);
    }

    /// Errors of ValidateProviderConfig, as (path, detail).
    fn schema_errors(config: &Value) -> Vec<(String, String)> {
        let server = Server::new(KustoProvider::with_env(env(&[])));
        server
            .validate_provider_config(config)
            .errors()
            .map(|d| {
                (
                    d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                    d.detail.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn schema_obeys_terraform_rules_and_documents_env_vars() {
        let schema = schema();
        assert_eq!(schema.check(), Ok(()));
        assert_eq!(schema.body().attributes().len(), 14);
        for attribute in schema.body().attributes() {
            assert_eq!(attribute.mode(), terraform_plugin::schema::Mode::Optional);
            assert!(!attribute.description_text().is_empty());
            let Some(setting) = SETTINGS.iter().find(|s| s.name == attribute.name()) else {
                assert_eq!(attribute.name(), SKIP_PREFLIGHT_VALIDATION);
                continue;
            };
            assert!(
                attribute.description_text().contains(setting.env),
                "{}",
                attribute.name()
            );
        }
        assert!(
            schema
                .body()
                .attribute_named("client_secret")
                .unwrap()
                .is_sensitive()
        );
        assert!(
            schema
                .body()
                .attribute_named("oidc_token")
                .unwrap()
                .is_sensitive()
        );
    }

    #[test]
    fn empty_configuration_resolves_to_defaults() {
        let settings = resolve(&config(&[]), &env(&[])).unwrap();
        assert_eq!(settings.subscription_id, None);
        assert_eq!(settings.cloud, Cloud::Public);
        let credentials = &settings.credentials;
        assert!(credentials.use_cli, "azurerm's default");
        assert!(!credentials.use_msi && !credentials.use_oidc);
        assert_eq!(credentials.tenant_id, None);
        assert_eq!(credentials.client_id, None);
        assert_eq!(credentials.client_secret, None);
        assert_eq!(credentials.client_secret_file_path, None);
        assert_eq!(credentials.oidc_token, None);
        assert_eq!(credentials.oidc_token_file_path, None);
        assert_eq!(credentials.msi_endpoint, None);
        assert!(!settings.skip_preflight_validation);
        // Terraform sends a null object when there is no provider block at all.
        assert!(resolve(&Value::Null, &env(&[])).is_ok());
    }

    #[test]
    fn environment_variables_fill_unset_arguments() {
        let vars = env(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_TENANT_ID", "contoso.onmicrosoft.com"),
            ("ARM_CLIENT_ID", TENANT),
            ("ARM_CLIENT_SECRET", "s3cret"),
            ("ARM_USE_CLI", "false"),
            ("ARM_USE_MSI", "1"),
            (
                "ARM_MSI_ENDPOINT",
                "http://169.254.169.254/metadata/identity/oauth2/token",
            ),
            ("ARM_USE_OIDC", "True"),
            ("ARM_OIDC_TOKEN_FILE_PATH", "/var/run/token"),
            ("ARM_ENVIRONMENT", "USGovernment"),
        ]);
        let settings = resolve(&config(&[]), &vars).unwrap();
        assert_eq!(settings.subscription_id.as_deref(), Some(SUB));
        assert_eq!(settings.cloud, Cloud::UsGovernment);
        let credentials = settings.credentials;
        assert_eq!(
            credentials.tenant_id.as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(credentials.client_id.as_deref(), Some(TENANT));
        assert_eq!(credentials.client_secret, Some(Secret::new("s3cret")));
        assert!(!credentials.use_cli && credentials.use_msi && credentials.use_oidc);
        assert_eq!(credentials.oidc_token, None);
        assert_eq!(
            credentials.oidc_token_file_path,
            Some("/var/run/token".into())
        );
        assert!(credentials.msi_endpoint.is_some());

        let metadata = env(&[
            ("ARM_ENVIRONMENT", "china"),
            ("ARM_METADATA_HOSTNAME", "localhost:8443"),
        ]);
        let settings = resolve(&config(&[]), &metadata).unwrap();
        assert_eq!(
            settings.cloud,
            Cloud::MetadataHost("localhost:8443".to_owned())
        );
    }

    #[test]
    fn configuration_wins_over_the_environment() {
        let vars = env(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_CLIENT_SECRET", "from-env"),
            ("ARM_USE_CLI", "true"),
            ("ARM_ENVIRONMENT", "public"),
        ]);
        let settings = resolve(
            &config(&[
                ("subscription_id", TENANT.into()),
                ("client_secret_file_path", "/secret".into()),
                ("use_cli", false.into()),
                ("environment", "China".into()),
            ]),
            &vars,
        )
        .unwrap();
        assert_eq!(settings.subscription_id.as_deref(), Some(TENANT));
        assert_eq!(settings.cloud, Cloud::China);
        let credentials = settings.credentials;
        assert_eq!(
            credentials.client_secret, None,
            "the pair comes from configuration"
        );
        assert_eq!(credentials.client_secret_file_path, Some("/secret".into()));
        assert!(!credentials.use_cli);
    }

    #[test]
    fn invalid_arguments_are_reported_at_their_attribute() {
        let errors = schema_errors(&config(&[
            ("environment", "mars".into()),
            ("subscription_id", "not-a-uuid".into()),
            ("client_id", "{00000000-0000-0000-0000-000000000001}".into()),
            ("tenant_id", "has space".into()),
            ("metadata_host", "https://management.azure.com".into()),
            ("msi_endpoint", "ftp://x".into()),
        ]));
        let mut paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "client_id",
                "environment",
                "metadata_host",
                "msi_endpoint",
                "subscription_id",
                "tenant_id"
            ]
        );
        let environment = &errors.iter().find(|(p, _)| p == "environment").unwrap().1;
        for name in ["public", "usgovernment", "china", "mars"] {
            assert!(environment.contains(name), "{environment}");
        }
    }

    #[test]
    fn valid_arguments_pass_and_unknowns_are_skipped() {
        assert!(
            schema_errors(&config(&[
                ("environment", "Public".into()),
                ("subscription_id", SUB.into()),
                ("tenant_id", TENANT.into()),
                ("metadata_host", "management.azure.com".into()),
                ("msi_endpoint", "https://msi.example/token".into()),
            ]))
            .is_empty()
        );
        assert!(
            schema_errors(&config(&[
                ("environment", Value::Unknown),
                ("subscription_id", Value::Unknown),
            ]))
            .is_empty()
        );
    }

    #[test]
    fn conflicting_secrets_name_both_without_the_value() {
        let conflicting = config(&[
            ("client_secret", "not-used".into()),
            ("client_secret_file_path", "/dev/null".into()),
        ]);
        let errors = schema_errors(&conflicting);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "client_secret_file_path");
        assert!(errors[0].1.contains("`client_secret`"));
        let diags = resolve(&conflicting, &env(&[])).unwrap_err();
        assert!(diags.iter().all(|d| !d.to_string().contains("not-used")));

        let both_env = env(&[("ARM_OIDC_TOKEN", "t"), ("ARM_OIDC_TOKEN_FILE_PATH", "/t")]);
        let diags = resolve(&config(&[]), &both_env).unwrap_err();
        let detail = &diags.iter().next().unwrap().detail;
        assert!(
            detail.contains("ARM_OIDC_TOKEN and ARM_OIDC_TOKEN_FILE_PATH"),
            "{detail}"
        );
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let vars = env(&[
            ("ARM_ENVIRONMENT", "mars"),
            ("ARM_USE_MSI", "yes"),
            ("ARM_TENANT_ID", "x y"),
        ]);
        let diags = resolve(&config(&[]), &vars).unwrap_err();
        let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "Invalid environment variable ARM_TENANT_ID",
                "Invalid environment variable ARM_USE_MSI",
                "Invalid environment variable ARM_ENVIRONMENT",
            ]
        );
    }

    #[test]
    fn unknown_values_cannot_configure_the_provider() {
        let diags =
            resolve(&config(&[("subscription_id", Value::Unknown)]), &env(&[])).unwrap_err();
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("subscription_id"))
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings = resolve(&config(&[("client_secret", "hunter2".into())]), &env(&[])).unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("Secret(***)"), "{debug}");
    }
}
