//! The emulated Azure estate: everything a data connection refers to, and the data
//! connections themselves.
//!
//! The world is plain serde data so that it can be written by hand (`--world FILE`), read
//! and replaced through the admin API and persisted with `--state`. Parent resources are
//! nested the way a person describes them (a cluster holds databases, a database holds
//! tables); lookups are case-insensitive like ARM. Data connections are keyed by their
//! lower-cased resource id. The store (`Store`) adds the operation table, which must survive
//! a restart together with the resources it changes.
//!
//! A world file (every list may be empty; `GET /_emulator/world` prints the default one):
//!
//! ```json
//! {"tenant_id": "…", "subscriptions": ["…"],
//!  "applications": [{"client_id": "…", "client_secret": "…", "object_id": "…",
//!                    "federated_credentials": [{"issuer": "https://…", "subject": "…"}],
//!                    "certificates": ["-----BEGIN CERTIFICATE-----\n…"]}],
//!  "auxiliary_tenants": ["…"],
//!  "identity_header": "…",
//!  "ci": {"github": {"request_token": "…", "issuer": "https://…", "subject": "repo:…",
//!                    "repository": "owner/name"},
//!         "azure_devops": {"access_token": "…", "organization": "…", "organization_id": "…",
//!                          "project": "…", "service_connections": [{"id": "…", "name": "…"}]}},
//!  "resource_groups": [{"subscription_id": "…", "name": "rg-demo", "location": "westeurope"}],
//!  "clusters": [{"subscription_id": "…", "resource_group": "rg-demo", "name": "democluster",
//!                "location": "West Europe",
//!                "identity": {"system_assigned_principal_id": "…", "user_assigned": ["<identity id>"]},
//!                "databases": [{"name": "demodb", "tables": [{"name": "Events",
//!                               "mappings": [{"name": "events_json", "kind": "Json"}]}]}]}],
//!  "eventhub_namespaces": [{"subscription_id": "…", "resource_group": "rg-demo", "name": "demo-ns",
//!                           "location": "westeurope",
//!                           "event_hubs": [{"name": "events", "consumer_groups": ["kusto"]}]}],
//!  "user_assigned_identities": [{"subscription_id": "…", "resource_group": "rg-demo",
//!                                "name": "demo-identity", "location": "westeurope",
//!                                "client_id": "…", "principal_id": "…"}],
//!  "data_connections": {}}
//! ```
//!
//! `certificates` and `auxiliary_tenants` default to none; `ci`, and any field of its
//! sections, to the built-in CI jobs (the `DEFAULT_GITHUB_*` and `DEFAULT_AZURE_DEVOPS_*`
//! constants), so world files written before they existed still load.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dataconn::model::DataConnection;

/// Default subscription of the built-in world.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000001";
/// Resource group of the built-in world's cluster, Event Hub namespace and identity.
pub const DEFAULT_RESOURCE_GROUP: &str = "rg-demo";
/// The built-in world's Kusto cluster.
pub const DEFAULT_CLUSTER: &str = "democluster";
/// The built-in world's database in [`DEFAULT_CLUSTER`].
pub const DEFAULT_DATABASE: &str = "demodb";
/// Default tenant of the built-in world.
pub const DEFAULT_TENANT_ID: &str = "00000000-0000-0000-0000-000000000002";
/// Client id of the built-in service principal.
pub const DEFAULT_CLIENT_ID: &str = "00000000-0000-0000-0000-000000000003";
/// Client secret of the built-in service principal.
pub const DEFAULT_CLIENT_SECRET: &str = "kusto-emulator-secret";
/// Object id of the built-in service principal.
pub const DEFAULT_CLIENT_OBJECT_ID: &str = "00000000-0000-0000-0000-000000000004";
/// Principal id of the system-assigned identity of `democluster`.
pub const DEFAULT_CLUSTER_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-000000000005";
/// Client id of the user-assigned identity `demo-identity`.
pub const DEFAULT_IDENTITY_CLIENT_ID: &str = "00000000-0000-0000-0000-000000000006";
/// Principal (object) id of the user-assigned identity `demo-identity`.
pub const DEFAULT_IDENTITY_PRINCIPAL_ID: &str = "00000000-0000-0000-0000-000000000007";
/// Secret a caller of the managed-identity endpoint must send as `X-IDENTITY-HEADER`.
pub const DEFAULT_IDENTITY_HEADER: &str = "kusto-emulator-identity-header";
/// The built-in world's second tenant, in which its applications are registered too.
pub const DEFAULT_AUXILIARY_TENANT_ID: &str = "00000000-0000-0000-0000-000000000009";
/// What a GitHub Actions job sends as `ACTIONS_ID_TOKEN_REQUEST_TOKEN` to get an ID token.
pub const DEFAULT_GITHUB_REQUEST_TOKEN: &str = "kusto-emulator-github-request-token";
/// The `iss` of GitHub Actions ID tokens.
pub const DEFAULT_GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The `sub` of the built-in world's GitHub Actions ID tokens.
pub const DEFAULT_GITHUB_SUBJECT: &str = "repo:example/kusto:environment:emulator";
/// The repository the built-in world's GitHub Actions job runs in.
pub const DEFAULT_GITHUB_REPOSITORY: &str = "example/kusto";
/// What an Azure Pipelines job sends as `SYSTEM_ACCESSTOKEN` to get an OIDC token.
pub const DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN: &str = "kusto-emulator-azure-devops-access-token";
/// The built-in world's Azure DevOps organization.
pub const DEFAULT_AZURE_DEVOPS_ORGANIZATION: &str = "example";
/// The id of [`DEFAULT_AZURE_DEVOPS_ORGANIZATION`], part of its tokens' issuer.
pub const DEFAULT_AZURE_DEVOPS_ORGANIZATION_ID: &str = "00000000-0000-0000-0000-000000000008";
/// The built-in world's Azure DevOps project.
pub const DEFAULT_AZURE_DEVOPS_PROJECT: &str = "kusto";
/// Id of the built-in world's Azure DevOps service connection.
pub const DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID: &str = "00000000-0000-0000-0000-000000000010";
/// Name of the built-in world's Azure DevOps service connection.
pub const DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME: &str = "kusto-emulator";

/// The issuer and subject of the OIDC token a workload presents as `client_assertion`,
/// trusted for one application (an Entra "federated identity credential").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
}

/// A service principal that may request tokens, in the world's tenant and in each of its
/// auxiliary tenants (a multi-tenant application).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub client_id: String,
    pub client_secret: String,
    pub object_id: String,
    #[serde(default)]
    pub federated_credentials: Vec<FederatedCredential>,
    /// PEM X.509 certificates whose private keys may sign client assertions (Entra's
    /// certificate credentials); an entry that is not a PEM certificate matches nothing.
    #[serde(default)]
    pub certificates: Vec<String>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("object_id", &self.object_id)
            .field("federated_credentials", &self.federated_credentials)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

/// A credential of the world that requests present: (de)serialized as the plain string,
/// shown by `Debug` as `<redacted>` so that printing a world never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, to compare with what a request presents or to hand to a client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(secret: &str) -> Self {
        Secret(secret.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The CI systems whose OIDC token endpoints the emulator plays: what a job is given to ask
/// for a token, and what the token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ci {
    #[serde(default)]
    pub github: GitHubActions,
    #[serde(default)]
    pub azure_devops: AzureDevOps,
}

impl Default for Ci {
    /// The built-in CI jobs: a GitHub Actions job and an Azure Pipelines job with one
    /// service connection.
    fn default() -> Self {
        Ci {
            github: GitHubActions {
                request_token: DEFAULT_GITHUB_REQUEST_TOKEN.into(),
                issuer: DEFAULT_GITHUB_ISSUER.to_owned(),
                subject: DEFAULT_GITHUB_SUBJECT.to_owned(),
                repository: DEFAULT_GITHUB_REPOSITORY.to_owned(),
            },
            azure_devops: AzureDevOps {
                access_token: DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN.into(),
                organization: DEFAULT_AZURE_DEVOPS_ORGANIZATION.to_owned(),
                organization_id: DEFAULT_AZURE_DEVOPS_ORGANIZATION_ID.to_owned(),
                project: DEFAULT_AZURE_DEVOPS_PROJECT.to_owned(),
                service_connections: vec![ServiceConnection {
                    id: DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID.to_owned(),
                    name: DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME.to_owned(),
                }],
            },
        }
    }
}

/// A GitHub Actions job allowed `id-token: write`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GitHubActions {
    /// The job's `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, sent as the bearer of ID-token requests.
    pub request_token: Secret,
    /// The ID tokens' `iss`.
    pub issuer: String,
    /// The ID tokens' `sub`.
    pub subject: String,
    /// `owner/name` of the repository the job runs in (the `repository` claim; the owner is
    /// in the default audience).
    pub repository: String,
}

impl Default for GitHubActions {
    fn default() -> Self {
        Ci::default().github
    }
}

/// An Azure Pipelines job and the service connections (workload identity federation) its
/// project holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AzureDevOps {
    /// The job's `SYSTEM_ACCESSTOKEN`, sent as the bearer of OIDC token requests.
    pub access_token: Secret,
    pub organization: String,
    /// The organization's id: its tokens' issuer is `https://vstoken.dev.azure.com/{id}`.
    pub organization_id: String,
    pub project: String,
    pub service_connections: Vec<ServiceConnection>,
}

impl AzureDevOps {
    /// The `iss` of the organization's OIDC tokens.
    pub fn issuer(&self) -> String {
        format!("https://vstoken.dev.azure.com/{}", self.organization_id)
    }

    /// The `sub` of an OIDC token for the service connection named `connection`.
    pub fn subject(&self, connection: &str) -> String {
        format!("sc://{}/{}/{connection}", self.organization, self.project)
    }

    pub fn service_connection(&self, id: &str) -> Option<&ServiceConnection> {
        self.service_connections.iter().find(|c| eq(&c.id, id))
    }
}

impl Default for AzureDevOps {
    fn default() -> Self {
        Ci::default().azure_devops
    }
}

/// An Azure Resource Manager service connection of an Azure DevOps project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceConnection {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceGroup {
    pub subscription_id: String,
    pub name: String,
    pub location: String,
}

/// An ingestion mapping; `kind` is Kusto's mapping kind (`Json`, `Csv`, `Avro`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    pub name: String,
    pub kind: String,
}

/// A table and the ingestion mappings a data connection may name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
}

/// A database of a cluster and the tables data connections may ingest into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Database {
    pub name: String,
    #[serde(default)]
    pub tables: Vec<Table>,
}

/// The identities attached to a cluster: an optional system-assigned identity (its
/// principal id) and the resource ids of attached user-assigned identities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterIdentity {
    pub system_assigned_principal_id: Option<String>,
    #[serde(default)]
    pub user_assigned: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub identity: ClusterIdentity,
    #[serde(default)]
    pub databases: Vec<Database>,
}

/// An event hub of a namespace and the consumer groups a data connection may read with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventHub {
    pub name: String,
    /// `$Default` always exists and need not be listed.
    #[serde(default)]
    pub consumer_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventHubNamespace {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub event_hubs: Vec<EventHub>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAssignedIdentity {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub client_id: String,
    pub principal_id: String,
}

impl UserAssignedIdentity {
    /// The identity's ARM resource id.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

/// Everything the emulator knows about, in the JSON shape of `--world FILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    pub tenant_id: String,
    pub subscriptions: Vec<String>,
    pub applications: Vec<Application>,
    /// Further tenants in which the applications are registered: tokens are issued for them
    /// too, and ARM accepts their tokens as auxiliary tokens (`x-ms-authorization-auxiliary`).
    #[serde(default)]
    pub auxiliary_tenants: Vec<String>,
    /// Secret expected in `X-IDENTITY-HEADER` by the managed-identity endpoint.
    #[serde(default = "default_identity_header")]
    pub identity_header: Secret,
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    #[serde(default)]
    pub eventhub_namespaces: Vec<EventHubNamespace>,
    #[serde(default)]
    pub user_assigned_identities: Vec<UserAssignedIdentity>,
    /// The CI systems' OIDC token endpoints (the built-in ones when left out).
    #[serde(default)]
    pub ci: Ci,
    /// Data connections keyed by lower-cased resource id.
    #[serde(default)]
    pub data_connections: BTreeMap<String, DataConnection>,
}

fn default_identity_header() -> Secret {
    Secret::from(DEFAULT_IDENTITY_HEADER)
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Default for World {
    /// The world the README and the examples use.
    fn default() -> Self {
        let sub = DEFAULT_SUBSCRIPTION_ID.to_owned();
        let rg = DEFAULT_RESOURCE_GROUP.to_owned();
        let ci = Ci::default();
        let pipeline = &ci.azure_devops;
        World {
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            subscriptions: vec![sub.clone()],
            applications: vec![Application {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
                object_id: DEFAULT_CLIENT_OBJECT_ID.to_owned(),
                federated_credentials: vec![
                    FederatedCredential {
                        issuer: ci.github.issuer.clone(),
                        subject: ci.github.subject.clone(),
                    },
                    FederatedCredential {
                        issuer: pipeline.issuer(),
                        subject: pipeline.subject(DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME),
                    },
                ],
                certificates: Vec::new(),
            }],
            auxiliary_tenants: vec![DEFAULT_AUXILIARY_TENANT_ID.to_owned()],
            identity_header: default_identity_header(),
            resource_groups: vec![ResourceGroup {
                subscription_id: sub.clone(),
                name: rg.clone(),
                location: "westeurope".to_owned(),
            }],
            clusters: vec![Cluster {
                subscription_id: sub.clone(),
                resource_group: rg.clone(),
                name: DEFAULT_CLUSTER.to_owned(),
                location: "West Europe".to_owned(),
                identity: ClusterIdentity {
                    system_assigned_principal_id: Some(DEFAULT_CLUSTER_PRINCIPAL_ID.to_owned()),
                    user_assigned: Vec::new(),
                },
                databases: vec![Database {
                    name: DEFAULT_DATABASE.to_owned(),
                    tables: vec![Table {
                        name: "Events".to_owned(),
                        mappings: vec![
                            Mapping {
                                name: "events_json".to_owned(),
                                kind: "Json".to_owned(),
                            },
                            Mapping {
                                name: "events_csv".to_owned(),
                                kind: "Csv".to_owned(),
                            },
                        ],
                    }],
                }],
            }],
            eventhub_namespaces: vec![EventHubNamespace {
                subscription_id: sub.clone(),
                resource_group: rg.clone(),
                name: "demo-ns".to_owned(),
                location: "westeurope".to_owned(),
                event_hubs: vec![EventHub {
                    name: "events".to_owned(),
                    consumer_groups: vec!["$Default".to_owned(), "kusto".to_owned()],
                }],
            }],
            user_assigned_identities: vec![UserAssignedIdentity {
                subscription_id: sub,
                resource_group: rg,
                name: "demo-identity".to_owned(),
                location: "westeurope".to_owned(),
                client_id: DEFAULT_IDENTITY_CLIENT_ID.to_owned(),
                principal_id: DEFAULT_IDENTITY_PRINCIPAL_ID.to_owned(),
            }],
            ci,
            data_connections: BTreeMap::new(),
        }
    }
}

impl World {
    pub fn has_subscription(&self, sub: &str) -> bool {
        self.subscriptions.iter().any(|s| eq(s, sub))
    }

    pub fn resource_group(&self, sub: &str, rg: &str) -> Option<&ResourceGroup> {
        self.resource_groups
            .iter()
            .find(|g| eq(&g.subscription_id, sub) && eq(&g.name, rg))
    }

    pub fn cluster(&self, sub: &str, rg: &str, name: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| eq(&c.subscription_id, sub) && eq(&c.resource_group, rg) && eq(&c.name, name))
    }

    /// The world's tenant or one of its auxiliary tenants, as the world spells it.
    pub fn tenant(&self, id: &str) -> Option<&str> {
        std::iter::once(&self.tenant_id)
            .chain(&self.auxiliary_tenants)
            .find(|t| eq(t, id))
            .map(String::as_str)
    }

    pub fn application(&self, client_id: &str) -> Option<&Application> {
        self.applications
            .iter()
            .find(|a| eq(&a.client_id, client_id))
    }

    pub fn event_hub(&self, sub: &str, rg: &str, ns: &str, hub: &str) -> Option<&EventHub> {
        self.eventhub_namespaces
            .iter()
            .find(|n| eq(&n.subscription_id, sub) && eq(&n.resource_group, rg) && eq(&n.name, ns))
            .and_then(|n| n.event_hubs.iter().find(|h| eq(&h.name, hub)))
    }

    pub fn user_assigned_identity(&self, id: &str) -> Option<&UserAssignedIdentity> {
        self.user_assigned_identities
            .iter()
            .find(|i| eq(&i.id(), id))
    }
}

impl Cluster {
    /// The cluster's ARM resource id (as Kusto spells it in responses).
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }

    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| eq(&d.name, name))
    }
}

impl Database {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| eq(&t.name, name))
    }
}

impl Table {
    pub fn mapping(&self, name: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|m| eq(&m.name, name))
    }
}

impl EventHub {
    pub fn has_consumer_group(&self, name: &str) -> bool {
        eq(name, "$Default") || self.consumer_groups.iter().any(|g| eq(g, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_world_holds_what_the_docs_promise() {
        let w = World::default();
        let c = w
            .cluster(DEFAULT_SUBSCRIPTION_ID, "RG-DEMO", "DemoCluster")
            .unwrap();
        assert_eq!(c.location, "West Europe");
        let t = c.database("demodb").unwrap().table("events").unwrap();
        assert_eq!(t.mapping("events_json").unwrap().kind, "Json");
        assert_eq!(t.mapping("events_csv").unwrap().kind, "Csv");
        let hub = w
            .event_hub(DEFAULT_SUBSCRIPTION_ID, "rg-demo", "demo-ns", "events")
            .unwrap();
        assert!(hub.has_consumer_group("$Default") && hub.has_consumer_group("kusto"));
        assert!(!hub.has_consumer_group("other"));
        let id = w.user_assigned_identities[0].id();
        assert!(w.user_assigned_identity(&id.to_uppercase()).is_some());
    }

    #[test]
    fn optional_keys_may_be_left_out_of_a_world_file() {
        let identity: ClusterIdentity = serde_json::from_str("{}").unwrap();
        assert_eq!(identity, ClusterIdentity::default());
        let identity: ClusterIdentity =
            serde_json::from_str(r#"{"system_assigned_principal_id": null}"#).unwrap();
        assert_eq!(identity, ClusterIdentity::default());
    }

    #[test]
    fn world_round_trips_through_json_and_redacts_secrets_in_debug() {
        let w = World::default();
        let text = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<World>(&text).unwrap(), w);
        let debug = format!("{w:?}");
        for secret in [
            DEFAULT_CLIENT_SECRET,
            DEFAULT_GITHUB_REQUEST_TOKEN,
            DEFAULT_AZURE_DEVOPS_ACCESS_TOKEN,
        ] {
            assert!(!debug.contains(secret), "{secret}");
        }
    }

    #[test]
    fn ci_tokens_are_plain_strings_in_json_and_hidden_in_debug() {
        let github = serde_json::to_value(GitHubActions::default()).unwrap();
        assert_eq!(github["request_token"], DEFAULT_GITHUB_REQUEST_TOKEN);
        let devops: AzureDevOps =
            serde_json::from_value(serde_json::json!({"access_token": "hush"})).unwrap();
        assert_eq!(devops.access_token.expose(), "hush");
        assert_eq!(format!("{:?}", devops.access_token), "<redacted>");
    }

    #[test]
    fn worlds_written_before_certificates_tenants_and_ci_still_load() {
        let old: World = serde_json::from_value(serde_json::json!({
            "tenant_id": "t", "subscriptions": [],
            "applications": [{"client_id": "c", "client_secret": "s", "object_id": "o"}]}))
        .unwrap();
        assert!(old.applications[0].certificates.is_empty());
        assert!(old.auxiliary_tenants.is_empty());
        assert_eq!(old.ci, Ci::default());
        let partial: Ci =
            serde_json::from_value(serde_json::json!({"github": {"subject": "repo:o/r:ref:x"}}))
                .unwrap();
        assert_eq!(partial.github.subject, "repo:o/r:ref:x");
        assert_eq!(
            partial.github.request_token.expose(),
            DEFAULT_GITHUB_REQUEST_TOKEN
        );
        assert_eq!(partial.azure_devops, AzureDevOps::default());
    }

    #[test]
    fn the_built_in_application_trusts_both_ci_systems_in_every_tenant() {
        let w = World::default();
        let trusted = &w.applications[0].federated_credentials;
        let devops = &w.ci.azure_devops;
        assert!(trusted.contains(&FederatedCredential {
            issuer: w.ci.github.issuer.clone(),
            subject: w.ci.github.subject.clone(),
        }));
        assert!(trusted.contains(&FederatedCredential {
            issuer: format!("https://vstoken.dev.azure.com/{DEFAULT_AZURE_DEVOPS_ORGANIZATION_ID}"),
            subject: "sc://example/kusto/kusto-emulator".to_owned(),
        }));
        assert_eq!(
            devops
                .service_connection(&DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_ID.to_uppercase())
                .map(|c| c.name.as_str()),
            Some(DEFAULT_AZURE_DEVOPS_SERVICE_CONNECTION_NAME)
        );
        assert_eq!(
            w.tenant(&DEFAULT_TENANT_ID.to_uppercase()),
            Some(DEFAULT_TENANT_ID)
        );
        assert_eq!(
            w.tenant(DEFAULT_AUXILIARY_TENANT_ID),
            Some(DEFAULT_AUXILIARY_TENANT_ID)
        );
        assert_eq!(w.tenant("common"), None);
    }
}
