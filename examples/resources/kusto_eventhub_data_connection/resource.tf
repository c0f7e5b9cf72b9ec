resource "kusto_eventhub_data_connection" "example" {
  name                = "telemetry-ingestion"
  resource_group_name = "rg-analytics"
  location            = "West Europe" # the Kusto cluster's region
  cluster_name        = "analyticscluster"
  database_name       = "telemetry"

  eventhub_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-analytics/providers/Microsoft.EventHub/namespaces/telemetry-ns/eventhubs/telemetry"
  consumer_group = "kusto"

  table_name              = "Telemetry"
  mapping_rule_name       = "telemetry_json"
  data_format             = "MULTIJSON"
  event_system_properties = ["x-opt-enqueued-time", "x-opt-publisher"]

  # Read the Event Hub with a user-assigned identity of the cluster instead of a connection key.
  identity_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-analytics/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kusto-ingest"

  timeouts {
    create = "30m"
  }
}
