//! The name of every attribute of `kusto_eventhub_data_connection`, written once. The rest
//! of what there is to know about each attribute is its row in [`super::attributes`].

pub(crate) const ID: &str = "id";
pub(crate) const NAME: &str = "name";
pub(crate) const RESOURCE_GROUP_NAME: &str = "resource_group_name";
pub(crate) const LOCATION: &str = "location";
pub(crate) const CLUSTER_NAME: &str = "cluster_name";
pub(crate) const DATABASE_NAME: &str = "database_name";
pub(crate) const EVENTHUB_ID: &str = "eventhub_id";
pub(crate) const CONSUMER_GROUP: &str = "consumer_group";
pub(crate) const TABLE_NAME: &str = "table_name";
pub(crate) const MAPPING_RULE_NAME: &str = "mapping_rule_name";
pub(crate) const DATA_FORMAT: &str = "data_format";
pub(crate) const COMPRESSION: &str = "compression";
pub(crate) const EVENT_SYSTEM_PROPERTIES: &str = "event_system_properties";
pub(crate) const IDENTITY_ID: &str = "identity_id";
pub(crate) const DATABASE_ROUTING_TYPE: &str = "database_routing_type";
pub(crate) const RETRIEVAL_START_DATE: &str = "retrieval_start_date";
pub(crate) const SKIP_PREFLIGHT_VALIDATION: &str = "skip_preflight_validation";
pub(crate) const MANAGED_IDENTITY_OBJECT_ID: &str = "managed_identity_object_id";
pub(crate) const PROVISIONING_STATE: &str = "provisioning_state";
