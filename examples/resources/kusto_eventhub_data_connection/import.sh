# A data connection is imported by its ARM id; segment names are accepted in any casing.
terraform import kusto_eventhub_data_connection.example /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-analytics/providers/Microsoft.Kusto/clusters/analyticscluster/databases/telemetry/dataConnections/telemetry-ingestion
