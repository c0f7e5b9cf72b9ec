# Quickstart: one Event Hub data connection in the local emulator's default world.
#
# scripts/quickstart.py starts the emulator and exports its credentials as ARM_* variables
# (ARM_METADATA_HOSTNAME, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET),
# SSL_CERT_FILE (the emulator's CA) and TF_VAR_subscription_id.

terraform {
  required_version = ">= 1.0.3"

  required_providers {
    kusto = {
      source  = "kusto-tf/kusto"
      version = "~> 0.1"
    }
  }
}

provider "kusto" {}

variable "subscription_id" {
  description = "Subscription holding the emulator's resources (set through TF_VAR_subscription_id)."
  type        = string
}

locals {
  resource_group = "rg-demo"
  eventhub_id    = "/subscriptions/${var.subscription_id}/resourceGroups/${local.resource_group}/providers/Microsoft.EventHub/namespaces/demo-ns/eventhubs/events"
}

resource "kusto_eventhub_data_connection" "events" {
  name                = "events-from-eventhub"
  resource_group_name = local.resource_group
  location            = "West Europe"
  cluster_name        = "democluster"
  database_name       = "demodb"

  eventhub_id    = local.eventhub_id
  consumer_group = "kusto"

  table_name        = "Events"
  mapping_rule_name = "events_json"
  data_format       = "JSON"
}

output "id" {
  description = "ARM id of the data connection."
  value       = kusto_eventhub_data_connection.events.id
}

output "provisioning_state" {
  description = "Provisioning state reported by Azure (Succeeded once the connection is ready)."
  value       = kusto_eventhub_data_connection.events.provisioning_state
}
