# Look up an existing connection by its names...
data "kusto_eventhub_data_connection" "by_name" {
  name                = "telemetry-ingestion"
  resource_group_name = "rg-analytics"
  cluster_name        = "analyticscluster"
  database_name       = "telemetry"
}

# ...or by its ARM id.
data "kusto_eventhub_data_connection" "by_id" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-analytics/providers/Microsoft.Kusto/clusters/analyticscluster/databases/telemetry/dataConnections/telemetry-ingestion"
}

output "source_eventhub_id" {
  value = data.kusto_eventhub_data_connection.by_name.eventhub_id
}

output "identity_object_id" {
  value = data.kusto_eventhub_data_connection.by_id.managed_identity_object_id
}
