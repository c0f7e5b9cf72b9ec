//! The provider's resources, one folder each: the schema, the state <-> Azure mapping and the
//! CRUD operations of a resource live together, so that one resource can be read in one place.

pub(crate) mod eventhub_data_connection;
