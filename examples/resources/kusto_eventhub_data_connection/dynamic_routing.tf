resource "kusto_eventhub_data_connection" "routed_by_events" {
  name                = "routed-by-events"
  resource_group_name = "rg-analytics"
  location            = "West Europe"
  cluster_name        = "analyticscluster"
  database_name       = "telemetry"
  eventhub_id         = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-analytics/providers/Microsoft.EventHub/namespaces/telemetry-ns/eventhubs/telemetry"
  consumer_group      = "$Default"

  mapping_rule_name     = "telemetry_json"
  data_format           = "MULTIJSON"
  database_routing_type = "Multi" # events may also name another database of the cluster
}
