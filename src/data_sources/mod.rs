//! The provider's data sources: read-only views of objects the provider can also manage,
//! sharing the resources' schema descriptions and state mapping.

pub(crate) mod eventhub_data_connection;
