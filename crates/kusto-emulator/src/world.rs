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
//!                    "federated_credentials": [{"issuer": "https://…", "subject": "…"}]}],
//!  "identity_header": "…",
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

/// The issuer and subject of the OIDC token a workload presents as `client_assertion`,
/// trusted for one application (an Entra "federated identity credential").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
}

/// A service principal that may request tokens.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub client_id: String,
    pub client_secret: String,
    pub object_id: String,
    #[serde(default)]
    pub federated_credentials: Vec<FederatedCredential>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("object_id", &self.object_id)
            .field("federated_credentials", &self.federated_credentials)
            .finish()
    }
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
    /// Secret expected in `X-IDENTITY-HEADER` by the managed-identity endpoint.
    #[serde(default = "default_identity_header")]
    pub identity_header: String,
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    #[serde(default)]
    pub eventhub_namespaces: Vec<EventHubNamespace>,
    #[serde(default)]
    pub user_assigned_identities: Vec<UserAssignedIdentity>,
    /// Data connections keyed by lower-cased resource id.
    #[serde(default)]
    pub data_connections: BTreeMap<String, DataConnection>,
}

fn default_identity_header() -> String {
    DEFAULT_IDENTITY_HEADER.to_owned()
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Default for World {
    /// The world the README and the examples use.
    fn default() -> Self {
        let sub = DEFAULT_SUBSCRIPTION_ID.to_owned();
        let rg = DEFAULT_RESOURCE_GROUP.to_owned();
        World {
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            subscriptions: vec![sub.clone()],
            applications: vec![Application {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
                object_id: DEFAULT_CLIENT_OBJECT_ID.to_owned(),
                federated_credentials: vec![FederatedCredential {
                    issuer: "https://token.actions.githubusercontent.com".to_owned(),
                    subject: "repo:example/kusto:environment:emulator".to_owned(),
                }],
            }],
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
        assert!(!format!("{w:?}").contains(DEFAULT_CLIENT_SECRET));
    }
}
