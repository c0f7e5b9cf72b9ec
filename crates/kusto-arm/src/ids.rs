//! ARM resource ids.
//!
//! ARM treats segment names (`resourceGroups`, `clusters`, ...) and resource names
//! case-insensitively, and Kusto echoes ids re-cased (`.../Clusters/c/Databases/d/DataConnections/n`).
//! So ids are parsed case-insensitively, compared case-insensitively, and always formatted in one
//! canonical form: an id read back from Azure never looks like a change to Terraform. Parse errors
//! say exactly which segment is wrong, because they are what a user sees on a bad `import`.

use std::fmt;

/// A problem with a resource id given by the user or returned by Azure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    kind: &'static str,
    input: String,
    problem: String,
    template: String,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} ID {:?}: {}; expected {}",
            self.kind, self.input, self.problem, self.template
        )
    }
}

impl std::error::Error for IdError {}

/// One `key/value` pair of an id template; a fixed value (such as the provider namespace) must
/// match case-insensitively, a free value is captured.
struct Segment {
    key: &'static str,
    fixed: Option<&'static str>,
    placeholder: &'static str,
}

const fn free(key: &'static str, placeholder: &'static str) -> Segment {
    Segment {
        key,
        fixed: None,
        placeholder,
    }
}

const fn fixed(key: &'static str, value: &'static str) -> Segment {
    Segment {
        key,
        fixed: Some(value),
        placeholder: value,
    }
}

fn template_text(template: &[Segment]) -> String {
    template
        .iter()
        .map(|s| match s.fixed {
            Some(v) => format!("/{}/{v}", s.key),
            None => format!("/{}/{{{}}}", s.key, s.placeholder),
        })
        .collect()
}

/// Splits `input` along `template`, returning the free values in order.
fn parse_with(
    kind: &'static str,
    input: &str,
    template: &[Segment],
) -> Result<Vec<String>, IdError> {
    let fail = |problem: String| IdError {
        kind,
        input: input.to_string(),
        problem,
        template: template_text(template),
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(fail("the ID is empty".into()));
    }
    let Some(rest) = trimmed.strip_prefix('/') else {
        return Err(fail("it must start with \"/\"".into()));
    };
    let parts: Vec<&str> = rest.strip_suffix('/').unwrap_or(rest).split('/').collect();
    let mut values = Vec::new();
    for (index, segment) in template.iter().enumerate() {
        let Some(key) = parts.get(index * 2) else {
            return Err(fail(format!(
                "it ends before the {:?} segment",
                segment.key
            )));
        };
        if !key.eq_ignore_ascii_case(segment.key) {
            return Err(fail(if key.is_empty() {
                format!("an empty segment where {:?} was expected", segment.key)
            } else {
                format!("found segment {key:?} where {:?} was expected", segment.key)
            }));
        }
        let value = parts.get(index * 2 + 1).copied().unwrap_or_default();
        if value.is_empty() {
            return Err(fail(format!(
                "the value after {:?} is missing",
                segment.key
            )));
        }
        if value.trim() != value {
            return Err(fail(format!(
                "the value after {:?} starts or ends with whitespace",
                segment.key
            )));
        }
        match segment.fixed {
            Some(expected) if !value.eq_ignore_ascii_case(expected) => {
                return Err(fail(format!(
                    "found {value:?} after {:?} where {expected:?} was expected",
                    segment.key
                )));
            }
            Some(_) => {}
            None => values.push(value.to_string()),
        }
    }
    let extra = parts.len().saturating_sub(template.len() * 2);
    if extra > 0 {
        return Err(fail(format!(
            "it has {extra} unexpected trailing segment(s) starting at {:?}",
            parts[template.len() * 2]
        )));
    }
    Ok(values)
}

fn take(values: &mut std::vec::IntoIter<String>) -> String {
    values.next().unwrap_or_default()
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

const KUSTO_CLUSTER: &[Segment] = &[
    free("subscriptions", "subscriptionId"),
    free("resourceGroups", "resourceGroupName"),
    fixed("providers", "Microsoft.Kusto"),
    free("clusters", "clusterName"),
];
const KUSTO_DATABASE: &[Segment] = &[
    free("subscriptions", "subscriptionId"),
    free("resourceGroups", "resourceGroupName"),
    fixed("providers", "Microsoft.Kusto"),
    free("clusters", "clusterName"),
    free("databases", "databaseName"),
];
const KUSTO_DATA_CONNECTION: &[Segment] = &[
    free("subscriptions", "subscriptionId"),
    free("resourceGroups", "resourceGroupName"),
    fixed("providers", "Microsoft.Kusto"),
    free("clusters", "clusterName"),
    free("databases", "databaseName"),
    free("dataConnections", "dataConnectionName"),
];
const EVENT_HUB: &[Segment] = &[
    free("subscriptions", "subscriptionId"),
    free("resourceGroups", "resourceGroupName"),
    fixed("providers", "Microsoft.EventHub"),
    free("namespaces", "namespaceName"),
    free("eventhubs", "eventHubName"),
];
const USER_ASSIGNED_IDENTITY: &[Segment] = &[
    free("subscriptions", "subscriptionId"),
    free("resourceGroups", "resourceGroupName"),
    fixed("providers", "Microsoft.ManagedIdentity"),
    free("userAssignedIdentities", "identityName"),
];

/// Declares an id type whose values are all free segments of `$template`, in order: parsed
/// case-insensitively, compared case-insensitively, formatted canonically from the template.
macro_rules! flat_id {
    ($(#[$doc:meta])* $name:ident = $kind:literal, $template:ident { $($(#[$field_doc:meta])* $field:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Eq)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: String,)+
        }

        impl $name {
            #[doc = concat!("Parses a ", $kind, " id, case-insensitively.")]
            pub fn parse(input: &str) -> Result<Self, IdError> {
                let mut v = parse_with($kind, input, $template)?.into_iter();
                Ok(Self { $($field: take(&mut v),)+ })
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                true $(&& eq_ci(&self.$field, &other.$field))+
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_id(f, $template, &[$(&self.$field),+])
            }
        }
    };
}

/// Writes the canonical form of an id: `template`'s keys and fixed values, `values` in the
/// free places.
fn write_id(f: &mut fmt::Formatter<'_>, template: &[Segment], values: &[&str]) -> fmt::Result {
    let mut values = values.iter();
    for segment in template {
        let value = segment
            .fixed
            .or_else(|| values.next().copied())
            .unwrap_or_default();
        write!(f, "/{}/{value}", segment.key)?;
    }
    Ok(())
}

/// Implements equality and the canonical form of an id that is its `$parent` id plus one
/// `$key/{$name}` pair: the parent's equality, and the name compared case-insensitively.
macro_rules! child_id {
    ($id:ident: $parent:ident, $key:literal, $name:ident) => {
        impl PartialEq for $id {
            fn eq(&self, other: &Self) -> bool {
                self.$parent == other.$parent && eq_ci(&self.$name, &other.$name)
            }
        }

        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!("{}/", $key, "/{}"), self.$parent, self.$name)
            }
        }
    };
}

flat_id! {
    /// A Kusto cluster: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{c}`.
    ClusterId = "Kusto cluster", KUSTO_CLUSTER {
        /// Subscription id.
        subscription_id,
        /// Resource group name.
        resource_group,
        /// Cluster name.
        cluster,
    }
}

impl ClusterId {
    /// The URL path segments (without the leading slash), for building request URLs.
    pub(crate) fn segments(&self) -> Vec<&str> {
        vec![
            "subscriptions",
            &self.subscription_id,
            "resourceGroups",
            &self.resource_group,
            "providers",
            "Microsoft.Kusto",
            "clusters",
            &self.cluster,
        ]
    }
}

/// A Kusto database inside a cluster (compared case-insensitively).
#[derive(Debug, Clone, Eq)]
pub struct DatabaseId {
    /// The cluster holding the database.
    pub cluster: ClusterId,
    /// Database name.
    pub database: String,
}

impl DatabaseId {
    /// Builds a database id from its names.
    fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        cluster: impl Into<String>,
        database: impl Into<String>,
    ) -> Self {
        Self {
            cluster: ClusterId {
                subscription_id: subscription_id.into(),
                resource_group: resource_group.into(),
                cluster: cluster.into(),
            },
            database: database.into(),
        }
    }

    /// Parses a database id, case-insensitively (`.../Clusters/c/Databases/d` is accepted).
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let mut v = parse_with("Kusto database", input, KUSTO_DATABASE)?.into_iter();
        Ok(Self::new(
            take(&mut v),
            take(&mut v),
            take(&mut v),
            take(&mut v),
        ))
    }

    /// The id of the data connection `name` in this database.
    fn data_connection(&self, name: impl Into<String>) -> DataConnectionId {
        DataConnectionId {
            database: self.clone(),
            name: name.into(),
        }
    }

    /// The URL path segments (without the leading slash), for building request URLs.
    pub(crate) fn segments(&self) -> Vec<&str> {
        let mut s = self.cluster.segments();
        s.push("databases");
        s.push(&self.database);
        s
    }
}

child_id!(DatabaseId: cluster, "databases", database);

/// A Kusto data connection: the id Terraform keeps in state and accepts on import.
#[derive(Debug, Clone, Eq)]
pub struct DataConnectionId {
    /// The database holding the connection.
    pub database: DatabaseId,
    /// Data connection name.
    pub name: String,
}

impl DataConnectionId {
    /// Builds a data connection id from its names.
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        cluster: impl Into<String>,
        database: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        DatabaseId::new(subscription_id, resource_group, cluster, database).data_connection(name)
    }

    /// Parses a data connection id, case-insensitively
    /// (`.../Clusters/c/Databases/d/DataConnections/n` is accepted).
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let mut v = parse_with("Kusto data connection", input, KUSTO_DATA_CONNECTION)?.into_iter();
        Ok(Self::new(
            take(&mut v),
            take(&mut v),
            take(&mut v),
            take(&mut v),
            take(&mut v),
        ))
    }

    /// The cluster the connection belongs to (writes are serialised per cluster).
    pub fn cluster(&self) -> &ClusterId {
        &self.database.cluster
    }

    pub(crate) fn segments(&self) -> Vec<&str> {
        let mut s = self.database.segments();
        s.push("dataConnections");
        s.push(&self.name);
        s
    }
}

child_id!(DataConnectionId: database, "dataConnections", name);

flat_id! {
    /// An Event Hub: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.EventHub/namespaces/{ns}/eventhubs/{eh}`.
    EventHubId = "Event Hub", EVENT_HUB {
        /// Subscription id.
        subscription_id,
        /// Resource group name.
        resource_group,
        /// Event Hubs namespace name.
        namespace,
        /// Event hub name.
        event_hub,
    }
}

flat_id! {
    /// A user-assigned managed identity.
    UserAssignedIdentityId = "user-assigned identity", USER_ASSIGNED_IDENTITY {
        /// Subscription id.
        subscription_id,
        /// Resource group name.
        resource_group,
        /// Identity name.
        name,
    }
}

/// The identity a data connection uses to read the Event Hub: the cluster's system-assigned
/// identity (given as the cluster id) or a user-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedIdentityId {
    /// The cluster's system-assigned identity.
    Cluster(ClusterId),
    /// A user-assigned identity.
    UserAssigned(UserAssignedIdentityId),
}

impl ManagedIdentityId {
    /// Parses either form, case-insensitively.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        if let Ok(cluster) = ClusterId::parse(input) {
            return Ok(Self::Cluster(cluster));
        }
        UserAssignedIdentityId::parse(input)
            .map(Self::UserAssigned)
            .map_err(|e| IdError {
                kind: "managed identity",
                template: format!(
                    "a Kusto cluster ID ({}) or a user-assigned identity ID ({})",
                    template_text(KUSTO_CLUSTER),
                    template_text(USER_ASSIGNED_IDENTITY)
                ),
                ..e
            })
    }
}

impl fmt::Display for ManagedIdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cluster(c) => c.fmt(f),
            Self::UserAssigned(u) => u.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DC: &str = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c1/databases/db1/dataConnections/dc1";

    #[test]
    fn data_connection_ids_round_trip_canonically() {
        let id = DataConnectionId::parse(DC).unwrap();
        assert_eq!(id.name, "dc1");
        assert_eq!(id.database.database, "db1");
        assert_eq!(id.cluster().cluster, "c1");
        assert_eq!(id.to_string(), DC);
        assert_eq!(id, DataConnectionId::new("sub", "rg", "c1", "db1", "dc1"));
    }

    #[test]
    fn azure_recased_ids_parse_and_compare_equal() {
        let recased = "/subscriptions/sub/resourcegroups/RG/providers/microsoft.kusto/Clusters/C1/Databases/db1/DataConnections/DC1/";
        let id = DataConnectionId::parse(recased).unwrap();
        assert_eq!(id, DataConnectionId::parse(DC).unwrap());
        assert_eq!(
            id.to_string(),
            "/subscriptions/sub/resourceGroups/RG/providers/Microsoft.Kusto/clusters/C1/databases/db1/dataConnections/DC1"
        );
    }

    #[test]
    fn database_ids_parse_as_azure_spells_them() {
        let id = DatabaseId::parse(
            "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/Clusters/c1/Databases/db1",
        )
        .unwrap();
        assert_eq!(id.cluster.cluster, "c1");
        assert_eq!(id.database, "db1");
        assert_eq!(
            id.to_string(),
            "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c1/databases/db1"
        );
        assert_eq!(id.data_connection("dc1").to_string(), DC);
        let err = DatabaseId::parse(DC).unwrap_err().to_string();
        assert!(err.contains("2 unexpected trailing segment(s)"), "{err}");
    }

    #[test]
    fn errors_say_exactly_what_is_wrong() {
        let trailing = format!("{DC}/extra/x");
        for (input, says) in [
            ("subscriptions/sub", "must start with \"/\""),
            (
                "/subscriptions/sub/resourceGroup/rg/providers/Microsoft.Kusto/clusters/c",
                "found segment \"resourceGroup\" where \"resourceGroups\" was expected",
            ),
            (
                "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d",
                "ends before the \"dataConnections\" segment",
            ),
            (
                &trailing,
                "2 unexpected trailing segment(s) starting at \"extra\"",
            ),
            (
                "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.EventHub/clusters/c/databases/d/dataConnections/n",
                "found \"Microsoft.EventHub\" after \"providers\" where \"Microsoft.Kusto\" was expected",
            ),
            (
                "/subscriptions//resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/n",
                "the value after \"subscriptions\" is missing",
            ),
        ] {
            let err = DataConnectionId::parse(input).unwrap_err().to_string();
            assert!(err.contains(says), "{input}: {err}");
            assert!(
                err.contains("expected /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Kusto/clusters/{clusterName}/databases/{databaseName}/dataConnections/{dataConnectionName}"),
                "{input}: {err}"
            );
        }
    }

    #[test]
    fn event_hub_and_identity_ids() {
        let eh = EventHubId::parse(
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.EventHub/Namespaces/ns/EventHubs/events",
        )
        .unwrap();
        assert_eq!(
            eh.to_string(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/events"
        );

        let uai = ManagedIdentityId::parse(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1",
        )
        .unwrap();
        assert!(matches!(uai, ManagedIdentityId::UserAssigned(_)));
        let cluster = ManagedIdentityId::parse(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/Clusters/c",
        )
        .unwrap();
        assert_eq!(
            cluster.to_string(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c"
        );
        let err = ManagedIdentityId::parse("/subscriptions/s").unwrap_err();
        assert!(err.to_string().contains("a Kusto cluster ID"), "{err}");
    }

    #[test]
    fn values_with_surrounding_whitespace_are_refused() {
        // Such a name could not be formatted back into an id that parses (the input is
        // trimmed), and ARM names never start or end with whitespace.
        let err = DataConnectionId::parse(&format!("{}/ \t/", &DC[..DC.len() - 4])).unwrap_err();
        assert!(err.to_string().contains("whitespace"), "{err}");
        let err = ClusterId::parse(
            "/subscriptions/ sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c1",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("\"subscriptions\" starts or ends with whitespace"),
            "{err}"
        );
        // The whole id may still carry the newline a file gives it.
        assert_eq!(
            DataConnectionId::parse(&format!("{DC}\n")).unwrap().name,
            "dc1"
        );
    }

    /// `text` with each ASCII letter upper- or lower-cased as `mask` says.
    fn recase(text: &str, mask: u64) -> String {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                if mask >> (i % 64) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }

    /// Parses `input` as every kind of id; whatever is accepted must format to an id that
    /// parses back to exactly the same values.
    fn check_round_trips(input: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        macro_rules! round_trip {
            ($kind:ty) => {
                if let Ok(parsed) = <$kind>::parse(input) {
                    let again = <$kind>::parse(&parsed.to_string());
                    proptest::prop_assert!(again.is_ok(), "{} from {input:?}", parsed);
                    let again = again.unwrap();
                    proptest::prop_assert_eq!(format!("{again:?}"), format!("{parsed:?}"));
                    proptest::prop_assert_eq!(again.to_string(), parsed.to_string());
                }
            };
        }
        round_trip!(ClusterId);
        round_trip!(DatabaseId);
        round_trip!(DataConnectionId);
        round_trip!(EventHubId);
        round_trip!(UserAssignedIdentityId);
        round_trip!(ManagedIdentityId);
        Ok(())
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn parsers_never_panic_and_round_trip_what_they_accept(input in "\\PC{0,200}") {
            check_round_trips(&input)?;
        }

        #[test]
        fn slash_separated_noise_never_panics(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "subscriptions", "resourceGroups", "providers", "Microsoft.Kusto",
                        "Microsoft.EventHub", "Microsoft.ManagedIdentity", "clusters", "databases",
                        "dataConnections", "namespaces", "eventhubs", "userAssignedIdentities",
                        "SUBSCRIPTIONS", "x", " x", "x\t", "",
                    ]).prop_map(String::from),
                    "[^/]{0,6}",
                ],
                0..16,
            ),
            trailing in proptest::bool::ANY,
        ) {
            let mut input = format!("/{}", parts.join("/"));
            if trailing {
                input.push('/');
            }
            check_round_trips(&input)?;
        }

        #[test]
        fn data_connection_ids_in_any_casing_are_accepted_and_round_trip(
            values in proptest::collection::vec("[^/\\s]([^/]{0,10}[^/\\s])?", 5),
            mask in proptest::num::u64::ANY,
            trailing in proptest::bool::ANY,
        ) {
            let template = format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}/databases/{}/dataConnections/{}",
                values[0], values[1], values[2], values[3], values[4]
            );
            let keys_recased = template
                .split('/')
                .enumerate()
                .map(|(i, part)| if i % 2 == 1 { recase(part, mask) } else { part.to_string() })
                .collect::<Vec<_>>()
                .join("/");
            let input = if trailing { format!("{keys_recased}/") } else { keys_recased };
            let parsed = DataConnectionId::parse(&input).unwrap();
            let expected = DataConnectionId::new(
                values[0].clone(), values[1].clone(), values[2].clone(), values[3].clone(), values[4].clone(),
            );
            proptest::prop_assert_eq!(format!("{parsed:?}"), format!("{expected:?}"));
            check_round_trips(&input)?;
        }
    }
}
