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
//!
//! `setting` reads one argument; `sign_in` chooses how to sign in from the sign-in arguments.

mod setting;
pub(crate) mod sign_in;

use std::path::PathBuf;

use kusto_arm::{Cloud, Credential};
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;
use terraform_plugin::schema::{Attribute, Schema};
use terraform_plugin::value::Value;

pub use setting::Env;
pub use sign_in::SignIn;

use setting::{Kind, Resolver, Setting};
use sign_in::EXCLUSIVE_PAIRS;

/// The provider configuration after environment fallbacks and defaults, in the Azure client
/// layer's own vocabulary: plain settings, no credential acquired and no network used yet.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Subscription to manage resources in (UUID); `None` only when the Azure CLI signs in,
    /// whose default subscription then applies.
    pub subscription_id: Option<String>,
    /// How to sign in.
    pub sign_in: SignIn,
    /// The cloud: `metadata_host` when set, else `environment` (default public).
    pub cloud: Cloud,
    /// Plan and apply data connections without the service's preflight validation, unless a
    /// resource says otherwise (default false).
    pub skip_preflight_validation: bool,
    /// A PEM file of CA certificates to trust besides the platform's, from `SSL_CERT_FILE`
    /// (the convention of Go, and so of Terraform and azurerm): how a private endpoint or
    /// the local emulator is trusted.
    pub extra_ca_file: Option<PathBuf>,
    /// Where the provider keeps what outlives one process (what preflight validation found):
    /// `TMPDIR`, else the system's temporary directory.
    pub temp_dir: PathBuf,
}

/// The variable naming extra CA certificates to trust.
const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

const ENVIRONMENT_RULE: &str = "must be one of: \"public\", \"usgovernment\", \"china\"";
const METADATA_HOST_RULE: &str =
    "must be a host name without a scheme or path, such as `management.azure.com`";

pub(crate) const SUBSCRIPTION_ID: Setting = Setting {
    name: "subscription_id",
    env: &["ARM_SUBSCRIPTION_ID"],
    kind: Kind::Text,
    description: "The ID (a UUID) of the Azure subscription that holds the Kusto clusters. \
                  Required, unless the Azure CLI signs in, whose default subscription then \
                  applies.",
    check: Some((
        "must be a UUID such as `00000000-0000-0000-0000-000000000000`",
        sign_in::check_uuid,
    )),
};

const ENVIRONMENT: Setting = Setting {
    name: "environment",
    env: &["ARM_ENVIRONMENT"],
    kind: Kind::Text,
    description: "The Azure cloud: `public`, `usgovernment` or `china`. Defaults to \
                  `public`. Ignored when `metadata_host` is set.",
    check: Some((ENVIRONMENT_RULE, check_environment)),
};

const METADATA_HOST: Setting = Setting {
    name: "metadata_host",
    env: &["ARM_METADATA_HOSTNAME"],
    kind: Kind::Text,
    description: "The host name, with an optional port and without `https://`, serving the \
                  cloud's endpoint metadata \
                  (`https://{metadata_host}/metadata/endpoints?api-version=2022-09-01`): for \
                  Azure Stack, sovereign clouds or the local emulator.",
    check: Some((METADATA_HOST_RULE, check_metadata_host)),
};

/// The provider-level default of the resources' `skip_preflight_validation`: a Terraform
/// setting rather than an Azure one, so it has no `ARM_*` variable.
const SKIP_PREFLIGHT_VALIDATION: &str = "skip_preflight_validation";

/// Every setting, in the order of the schema and the documentation.
fn settings() -> impl Iterator<Item = &'static Setting> {
    std::iter::once(&SUBSCRIPTION_ID)
        .chain(sign_in::SETTINGS)
        .chain([&ENVIRONMENT, &METADATA_HOST])
}

/// The provider block's schema.
pub fn schema() -> Schema {
    let schema = settings().fold(
        Schema::new(0).description(
            "The Kusto provider manages Azure Data Explorer resources through Azure Resource \
             Manager. Every argument is optional and falls back to the `ARM_*` environment \
             variable the azurerm provider reads.",
        ),
        |schema, setting| schema.attribute(setting.attribute()),
    );
    schema.attribute(Attribute::bool(SKIP_PREFLIGHT_VALIDATION).description(
        "Whether to plan and apply data connections without asking Azure to validate them \
         (the Kusto `dataConnectionValidation` operation, which reports a missing table, mapping \
         or consumer group at plan time, before anything is created). Defaults to `false`. A \
         resource's own `skip_preflight_validation` takes precedence.",
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

/// Resolves the configuration against the environment, reading the files it names. Errors
/// name the attribute (for configuration values) or the environment variable (for values
/// taken from it).
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
    let environment = resolver.text(&ENVIRONMENT);
    let cloud = match resolver.text(&METADATA_HOST) {
        Some(host) => Cloud::MetadataHost(host),
        None => environment
            .and_then(|name| Cloud::from_environment(&name).ok())
            .unwrap_or(Cloud::Public),
    };
    let sign_in = sign_in::choose(&mut resolver);
    if let Some(sign_in) = &sign_in
        && subscription_id.is_none()
        && !matches!(sign_in.credential, Credential::AzureCli { .. })
    {
        resolver.diags.add_error(
            "No subscription",
            format!(
                "Set {}: only the Azure CLI has a default subscription, and the provider signs \
                 in with {}.",
                SUBSCRIPTION_ID.named(),
                sign_in.credential.method()
            ),
        );
    }
    match sign_in {
        Some(sign_in) if !resolver.diags.has_error() => Ok(ProviderSettings {
            subscription_id,
            sign_in,
            cloud,
            skip_preflight_validation: config.get_bool(SKIP_PREFLIGHT_VALIDATION).unwrap_or(false),
            extra_ca_file: env.var(SSL_CERT_FILE).map(PathBuf::from),
            temp_dir: env
                .var("TMPDIR")
                .map_or_else(std::env::temp_dir, PathBuf::from),
        }),
        _ => Err(resolver.diags),
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
        assert_eq!(schema.body().attributes().len(), 23);
        for attribute in schema.body().attributes() {
            assert_eq!(attribute.mode(), terraform_plugin::schema::Mode::Optional);
            assert!(!attribute.description_text().is_empty());
            let Some(setting) = settings().find(|s| s.name == attribute.name()) else {
                assert_eq!(attribute.name(), SKIP_PREFLIGHT_VALIDATION);
                continue;
            };
            assert!(
                attribute.description_text().contains(setting.env[0]),
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
        assert!(
            matches!(
                settings.sign_in.credential,
                Credential::AzureCli { tenant_id: None }
            ),
            "azurerm's default: {:?}",
            settings.sign_in
        );
        assert_eq!(settings.sign_in.skipped.len(), 4);
        assert!(settings.sign_in.auxiliary_tenant_ids.is_empty());
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
            (
                "ARM_AUXILIARY_TENANT_IDS",
                "fabrikam.example; tailspin.example",
            ),
            ("ARM_ENVIRONMENT", "USGovernment"),
        ]);
        let settings = resolve(&config(&[]), &vars).unwrap();
        assert_eq!(settings.subscription_id.as_deref(), Some(SUB));
        assert_eq!(settings.cloud, Cloud::UsGovernment);
        let Credential::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } = settings.sign_in.credential
        else {
            panic!("{:?}", settings.sign_in);
        };
        assert_eq!(tenant_id, "contoso.onmicrosoft.com");
        assert_eq!(client_id, TENANT);
        assert_eq!(secret.expose(), "s3cret");
        assert_eq!(
            settings.sign_in.auxiliary_tenant_ids,
            ["fabrikam.example", "tailspin.example"]
        );

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
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, "from-file\n").unwrap();
        let vars = env(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", SUB),
            ("ARM_CLIENT_SECRET", "from-env"),
            ("ARM_USE_CLI", "true"),
            ("ARM_ENVIRONMENT", "public"),
        ]);
        let settings = resolve(
            &config(&[
                ("subscription_id", TENANT.into()),
                (
                    "client_secret_file_path",
                    secret_file.to_str().unwrap().into(),
                ),
                ("use_cli", false.into()),
                ("environment", "China".into()),
            ]),
            &vars,
        )
        .unwrap();
        assert_eq!(settings.subscription_id.as_deref(), Some(TENANT));
        assert_eq!(settings.cloud, Cloud::China);
        let Credential::ClientSecret { secret, .. } = settings.sign_in.credential else {
            panic!("{:?}", settings.sign_in);
        };
        assert_eq!(
            secret.expose(),
            "from-file",
            "the pair comes from configuration"
        );
    }

    #[test]
    fn invalid_arguments_are_reported_at_their_attribute() {
        // (argument, value, what its error says)
        let cases = [
            (
                "environment",
                "mars",
                "\"public\", \"usgovernment\", \"china\", got \"mars\"",
            ),
            ("subscription_id", "not-a-uuid", "must be a UUID"),
            (
                "client_id",
                "{00000000-0000-0000-0000-000000000001}",
                "must be a UUID",
            ),
            (
                "tenant_id",
                "has space",
                "a tenant ID (a UUID) or a domain name",
            ),
            (
                "metadata_host",
                "https://management.azure.com",
                "without a scheme or path",
            ),
            ("msi_endpoint", "ftp://x", "an http or https URL"),
            ("oidc_request_url", "runner", "an http or https URL"),
        ];
        let values: Vec<(&str, Value)> = cases
            .iter()
            .map(|(name, value, _)| (*name, (*value).into()))
            .collect();
        let errors = schema_errors(&config(&values));
        assert_eq!(errors.len(), cases.len(), "{errors:?}");
        for (name, _, says) in cases {
            let Some((_, detail)) = errors.iter().find(|(path, _)| path == name) else {
                panic!("no error at {name}: {errors:?}");
            };
            assert!(detail.contains(says), "{name}: {detail}");
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
                "Invalid environment variable ARM_ENVIRONMENT",
                "Invalid environment variable ARM_TENANT_ID",
                "Invalid environment variable ARM_USE_MSI",
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
        let vars = env(&[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", SUB),
        ]);
        let settings = resolve(&config(&[("client_secret", "hunter2".into())]), &vars).unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("Secret(***)"), "{debug}");
    }
}
