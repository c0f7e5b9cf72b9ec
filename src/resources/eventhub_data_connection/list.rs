//! The list resource `kusto_eventhub_data_connection` (Terraform 1.14's `terraform query`):
//! the Event Hub data connections of one database, or of every database of a cluster.
//!
//! Its configuration follows azurerm's list resources (`resource_group_name`, an optional
//! `subscription_id` defaulting to the provider's), narrowed to a cluster and, optionally, a
//! database, each name held to the resource's own rule. Listing reads ARM's pages one at a
//! time and stops asking once Terraform's limit is reached; a list page holds each
//! connection whole, so no connection is read again, whether or not Terraform wants the
//! state. A result's state is what importing the connection and reading it would give (the
//! region's name as azurerm writes it, no timeouts), so `terraform query` can generate its
//! configuration, and the framework derives its identity from it as for any state.
//! Connections of other kinds are not this resource's to import, and are passed over.

use kusto_arm::{
    CallContext, ClusterId, DataConnection, DataConnectionId, DatabaseId, Error, Pages,
};
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::list::{ListRequest, ListResource, ListResponse};
use terraform_plugin::path::AttributePath;
use terraform_plugin::planmod::Rule;
use terraform_plugin::schema::{Attribute, Schema};
use terraform_plugin::value::Value;

use super::names::{CLUSTER_NAME, DATABASE_NAME, LOCATION, RESOURCE_GROUP_NAME};
use super::schema::{TIMEOUTS, schema};
use super::spelling::normalize_location;
use super::{TYPE_NAME, model, rules};
use crate::client::AzureHandle;
use crate::config::sign_in::check_uuid;
use crate::errors::explain;

/// The list configuration's own attribute: the resource's id carries the subscription.
const SUBSCRIPTION_ID: &str = "subscription_id";

/// A follower database's kind: it has no data connections of its own (its leader ingests).
const FOLLOWER: &str = "ReadOnlyFollowing";

/// The `kusto_eventhub_data_connection` list resource.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EventHubDataConnectionList;

impl ListResource<AzureHandle> for EventHubDataConnectionList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .description(
                "Lists the Event Hub data connections of a Kusto database, or of every database \
                 of a Kusto cluster.",
            )
            .attribute(
                Attribute::string(RESOURCE_GROUP_NAME)
                    .required()
                    .description("The resource group of the Kusto cluster.")
                    .validator(Rule(rules::validate_resource_group_name)),
            )
            .attribute(
                Attribute::string(CLUSTER_NAME)
                    .required()
                    .description("The name of the Kusto cluster.")
                    .validator(Rule(rules::validate_cluster_name)),
            )
            .attribute(
                Attribute::string(DATABASE_NAME)
                    .optional()
                    .description(
                        "The name of the Kusto database; when omitted, the connections of every \
                         database of the cluster.",
                    )
                    .validator(Rule(rules::validate_database_name)),
            )
            .attribute(
                Attribute::string(SUBSCRIPTION_ID)
                    .optional()
                    .description(
                        "The ID of the Azure subscription holding the cluster; defaults to the \
                         provider's.",
                    )
                    .validator(Rule(check_uuid)),
            )
    }

    async fn list(&self, req: ListRequest<AzureHandle>, resp: &mut ListResponse) {
        let ctx = CallContext::new(TIMEOUTS.read, req.cancel.clone());
        let subscription = match req.config.get_str(SUBSCRIPTION_ID) {
            Some(subscription) => subscription.to_owned(),
            None => match req.provider.subscription(&ctx).await {
                Ok(subscription) => subscription.to_owned(),
                Err(problem) => {
                    resp.diagnostics.add_error("No subscription", problem);
                    return;
                }
            },
        };
        let Some(client) = req.provider.client(&ctx, &mut resp.diagnostics).await else {
            return;
        };
        let cluster = ClusterId {
            subscription_id: subscription,
            resource_group: req
                .config
                .get_string(RESOURCE_GROUP_NAME)
                .unwrap_or_default(),
            cluster: req.config.get_string(CLUSTER_NAME).unwrap_or_default(),
        };
        let mut listing = Listing {
            ctx: &ctx,
            connections: client.data_connections(),
            resp,
        };
        let outcome = match req.config.get_string(DATABASE_NAME) {
            Some(database) => {
                let database = DatabaseId {
                    cluster: cluster.clone(),
                    database,
                };
                listing.database(&database).await
            }
            None => listing.cluster(client.databases().list(&cluster)).await,
        };
        if let Err((error, database_named)) = outcome {
            report(&mut resp.diagnostics, &cluster, database_named, &error);
        }
    }
}

/// One listing in progress: where found connections go.
struct Listing<'a, 'r> {
    ctx: &'a CallContext,
    connections: kusto_arm::DataConnections<'a>,
    resp: &'r mut ListResponse,
}

/// A failed request, and whether it named a database (else only the cluster).
type Failure = (Error, bool);

impl Listing<'_, '_> {
    /// The connections of every database `databases` pages through, until the list is full.
    async fn cluster(
        &mut self,
        mut databases: Pages<'_, kusto_arm::Database>,
    ) -> Result<(), Failure> {
        while !self.resp.is_full() {
            let Some(page) = databases
                .next_page(self.ctx)
                .await
                .map_err(|e| (e, false))?
            else {
                break;
            };
            for database in page
                .iter()
                .filter(|d| !d.kind.eq_ignore_ascii_case(FOLLOWER))
            {
                if self.resp.is_full() {
                    break;
                }
                self.database(&database.id).await?;
            }
        }
        Ok(())
    }

    /// The Event Hub connections of `database`, until the list is full.
    async fn database(&mut self, database: &DatabaseId) -> Result<(), Failure> {
        let mut pages = self.connections.list(database);
        while !self.resp.is_full() {
            let Some(page) = pages.next_page(self.ctx).await.map_err(|e| (e, true))? else {
                break;
            };
            for connection in page {
                let DataConnection::EventHub(connection) = connection else {
                    continue;
                };
                let Ok(id) = DataConnectionId::parse(&connection.id) else {
                    continue;
                };
                let display_name = format!(
                    "{}/{}/{}",
                    id.cluster().cluster,
                    id.database.database,
                    id.name
                );
                self.resp.push(display_name, state(&id, &connection));
            }
        }
        Ok(())
    }
}

/// The state of a listed connection: what an import of it, then a read, would store.
fn state(id: &DataConnectionId, connection: &kusto_arm::EventHubDataConnection) -> Value {
    let mut state = model::holding(schema().body().empty_value(), id, connection);
    let region = state.get_str(LOCATION).map(normalize_location);
    state.set(LOCATION, region.map_or(Value::Null, Value::from));
    state
}

/// Reports a failed listing, at the attribute naming what is missing when ARM says so.
fn report(diags: &mut Diagnostics, cluster: &ClusterId, database_named: bool, error: &Error) {
    let summary = "Failed to list the Kusto data connections";
    let detail = format!("{cluster}\n\n{}", explain(error));
    let Error::Http(http) = error else {
        diags.add_error(summary, detail);
        return;
    };
    let code = http.code.as_deref().unwrap_or_default();
    let attribute = if http.status != 404 {
        None
    } else if code.eq_ignore_ascii_case("SubscriptionNotFound") {
        Some(SUBSCRIPTION_ID)
    } else if code.eq_ignore_ascii_case("ResourceGroupNotFound") {
        Some(RESOURCE_GROUP_NAME)
    } else if database_named && names_database(&http.message, cluster) {
        Some(DATABASE_NAME)
    } else {
        Some(CLUSTER_NAME)
    };
    match attribute {
        Some(attribute) => diags.add_attribute_error(
            AttributePath::attr(attribute),
            "Kusto cluster or database not found",
            detail,
        ),
        None => diags.add_error(summary, detail),
    }
}

/// Whether ARM's "not found" message names a database of `cluster` (`'cluster/database'`),
/// not the cluster itself.
fn names_database(message: &str, cluster: &ClusterId) -> bool {
    let prefix = format!("'{}/", cluster.cluster).to_ascii_lowercase();
    message.to_ascii_lowercase().contains(&prefix)
}
