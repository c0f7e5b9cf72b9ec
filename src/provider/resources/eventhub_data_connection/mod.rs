//! `kusto_eventhub_data_connection`: an Azure Data Explorer (Kusto) data connection that ingests
//! from an Event Hub.
//!
//! [`rules`] holds the attribute rules as plain functions, free of Terraform and HTTP types, so
//! they can be read against azurerm's and Microsoft's documentation and tested exhaustively.

pub(crate) mod rules;
