//! Data source `kusto_eventhub_data_connection`: reads an existing Event Hub data
//! connection, whoever manages it, by its ARM id or by its four names.
//!
//! It exports the resource's attributes with the resource's descriptions and mapping, so a
//! value read here is spelt as the resource would store it.

use crate::client::AzureHandle;
use crate::errors::explain;
use crate::resources::eventhub_data_connection::attributes::{ATTRIBUTES, Attr, Azure};
use crate::resources::eventhub_data_connection::names::{ID, LOCATION};
// A lookup may take as long as the resource's default read.
use crate::resources::eventhub_data_connection::schema::{TIMEOUTS, typed};
use crate::resources::eventhub_data_connection::{TYPE_NAME, model, rules, wrong_kind};
use kusto_arm::{CallContext, DataConnection, DataConnectionId};
use terraform_plugin::datasource::{DataSource, ReadRequest, ReadResponse};
use terraform_plugin::diag::Diagnostics;
use terraform_plugin::path::AttributePath;
use terraform_plugin::planmod::Rule;
use terraform_plugin::schema::{Attribute, Schema};
use terraform_plugin::value::Value;

/// Whether `attr` identifies the connection: `id`, or one of the names that make it up.
fn is_lookup(attr: &Attr) -> bool {
    matches!(attr.azure, Azure::Id | Azure::Name(_))
}

/// The attributes that identify a connection, `id` first.
fn lookups() -> impl Iterator<Item = &'static Attr> {
    ATTRIBUTES.iter().filter(|attr| is_lookup(attr))
}

/// The names that identify a connection, as an alternative to `id`.
fn names() -> impl Iterator<Item = &'static str> {
    lookups()
        .filter(|attr| matches!(attr.azure, Azure::Name(_)))
        .map(|attr| attr.name)
}

/// The schema attribute for `attr`: a lookup takes the resource's rule (so a lookup by a
/// name the resource could not have created fails at validate); everything Azure holds is
/// exported; the resource's own arguments are not here.
fn attribute(attr: &Attr) -> Option<Attribute> {
    let attribute = typed(attr).description(describe(attr));
    match attr.azure {
        Azure::Id => Some(
            attribute
                .optional_computed()
                .validator(Rule(rules::validate_data_connection_id)),
        ),
        Azure::Name(_) => {
            let attribute = attribute.optional_computed();
            Some(match attr.rule {
                Some(rule) => attribute.validator(Rule(rule)),
                None => attribute,
            })
        }
        Azure::Text { .. } | Azure::List { .. } | Azure::Reported(_) => Some(attribute.computed()),
        Azure::Argument => None,
    }
}

/// The resource's description of `attr`, but where reading differs from managing.
fn describe(attr: &Attr) -> &'static str {
    match attr.name {
        ID => {
            "The ARM ID of the data connection, \
             `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Kusto/clusters/{clusterName}/databases/{databaseName}/dataConnections/{name}`, \
             in any casing of its segment names; the alternative to the four names. The \
             subscription in the ID is used, whatever the provider's `subscription_id`. When set, \
             it is exported as written (Terraform keeps a configured value); a lookup by names \
             exports the canonical ID."
        }
        LOCATION => {
            "The Azure region of the Kusto cluster, as Azure reports it (a display name such as \
             `West Europe`)."
        }
        _ => attr.description,
    }
}

/// The `kusto_eventhub_data_connection` data source.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EventHubDataConnectionDataSource;

impl DataSource<AzureHandle> for EventHubDataConnectionDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let schema = Schema::new(0).description(
            "Reads an existing Azure Data Explorer (Kusto) Event Hub data connection, by its \
             ARM ID or by its names.",
        );
        ATTRIBUTES
            .iter()
            .filter_map(attribute)
            .fold(schema, Schema::attribute)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let any_unknown = lookups().any(|attr| config.is_unknown_attr(attr.name));
        if any_unknown {
            return;
        }
        let by_id = !config.is_null_attr(ID);
        let names_given: Vec<&str> = names().filter(|name| !config.is_null_attr(name)).collect();
        let problem = match (by_id, names_given.len()) {
            (true, 0) | (false, 4) => return,
            (true, _) => "Give either `id` or the names, not both.".to_owned(),
            (false, 0) => "Give either `id` or all of `name`, `resource_group_name`, \
                           `cluster_name` and `database_name`."
                .to_owned(),
            (false, _) => {
                let missing: Vec<String> = names()
                    .filter(|name| !names_given.contains(name))
                    .map(|name| format!("`{name}`"))
                    .collect();
                format!(
                    "Looking up by names needs all four; missing {}.",
                    missing.join(", ")
                )
            }
        };
        diags.add_error("Invalid data connection lookup", problem);
    }

    async fn read(&self, req: ReadRequest<AzureHandle>, resp: &mut ReadResponse) {
        let ctx = CallContext::new(TIMEOUTS.read, req.cancel);
        let Some(id) = lookup_id(&req.config, &req.provider, &ctx, &mut resp.diagnostics).await
        else {
            return;
        };
        let Some(client) = req.provider.client(&ctx, &mut resp.diagnostics).await else {
            return;
        };
        match client.data_connections().get(&ctx, &id).await {
            Ok(Some(DataConnection::EventHub(connection))) => {
                resp.state = model::holding(resp.state.clone(), &id, &connection);
            }
            Ok(Some(DataConnection::Other { kind, .. })) => resp
                .diagnostics
                .add_error("Not an Event Hub data connection", wrong_kind(&id, &kind)),
            Ok(None) => resp.diagnostics.add_error(
                "Kusto data connection not found",
                format!("There is no data connection {id}."),
            ),
            Err(error) => resp.diagnostics.add_error(
                "Failed to read the Kusto data connection",
                format!("{id}\n\n{}", explain(&error)),
            ),
        }
    }
}

/// The id to look up: the configured `id`, or the names in the provider's subscription.
async fn lookup_id(
    config: &Value,
    provider: &AzureHandle,
    ctx: &CallContext,
    diags: &mut Diagnostics,
) -> Option<DataConnectionId> {
    if let Some(text) = config.get_str(ID) {
        return match DataConnectionId::parse(text) {
            Ok(id) => Some(id),
            Err(error) => {
                diags.add_attribute_error(
                    AttributePath::attr(ID),
                    "Invalid Attribute Value",
                    format!("{error}."),
                );
                None
            }
        };
    }
    let subscription = match provider.subscription(ctx).await {
        Ok(subscription) => subscription,
        Err(problem) => {
            diags.add_error("Cannot look up the Kusto data connection", problem);
            return None;
        }
    };
    let id = model::id_from_names(subscription, config);
    if id.is_none() {
        diags.add_error(
            "Invalid data connection lookup",
            "Give either `id` or all of `name`, `resource_group_name`, `cluster_name` and \
             `database_name`.",
        );
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(attrs: &[(&str, Value)]) -> Value {
        let mut config = EventHubDataConnectionDataSource
            .schema()
            .body()
            .empty_value();
        for (name, value) in attrs {
            config.set(name, value.clone());
        }
        config
    }

    fn errors(config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        EventHubDataConnectionDataSource.validate(config, &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    #[test]
    fn schema_obeys_terraform_rules_and_describes_everything() {
        let schema = EventHubDataConnectionDataSource.schema();
        assert_eq!(schema.check(), Ok(()));
        assert_eq!(schema.body().attributes().len(), 18);
        for attribute in schema.body().attributes() {
            assert!(
                !attribute.description_text().is_empty(),
                "{}",
                attribute.name()
            );
        }
    }

    #[test]
    fn exactly_one_way_of_looking_up() {
        let names = [
            ("name", Value::from("dc1")),
            ("resource_group_name", "rg".into()),
            ("cluster_name", "democluster".into()),
            ("database_name", "db".into()),
        ];
        assert!(errors(&config(&names)).is_empty());
        assert!(errors(&config(&[("id", "/subscriptions/s".into())])).is_empty());
        assert!(errors(&config(&[("id", Value::Unknown), ("name", "x".into())])).is_empty());

        let both = errors(&config(&[("id", "/x".into()), ("name", "dc1".into())]));
        assert!(both[0].contains("not both"), "{both:?}");
        let neither = errors(&config(&[]));
        assert!(neither[0].contains("either `id`"), "{neither:?}");
        let partial = errors(&config(&names[..2]));
        assert!(
            partial[0].contains("missing `cluster_name`, `database_name`"),
            "{partial:?}"
        );
    }

    /// Lookup values follow the resource's rules, checked by the framework at validate.
    #[tokio::test]
    async fn lookup_values_are_validated_at_their_attribute() {
        let server = terraform_plugin::server::Server::new(crate::KustoProvider::default());
        let cases = [
            ("name", "dc1\n"),
            ("resource_group_name", " rg"),
            ("cluster_name", "Cluster"),
            ("database_name", "db\t"),
            ("id", "/subscriptions/s\n"),
        ];
        for (attribute, value) in cases {
            let diags = server
                .validate_data_source_config(TYPE_NAME, &config(&[(attribute, value.into())]));
            let paths: Vec<_> = diags.errors().map(|d| d.path.clone()).collect();
            assert!(
                paths.contains(&Some(AttributePath::attr(attribute))),
                "{attribute} = {value:?}: {diags:?}"
            );
        }
    }
}
