terraform {
  required_providers {
    kusto = {
      source  = "kusto-tf/kusto"
      version = "~> 0.1"
    }
  }
}

# Credentials are best left to the environment (ARM_CLIENT_ID, ARM_CLIENT_SECRET, ...) or to
# `az login`; every argument below can be omitted.
provider "kusto" {
  subscription_id = "00000000-0000-0000-0000-000000000000"
  tenant_id       = "11111111-1111-1111-1111-111111111111"

  # Service principal with a client secret read from a file, so it stays out of the configuration.
  client_id               = "22222222-2222-2222-2222-222222222222"
  client_secret_file_path = "/run/secrets/azure-client-secret"

  # Skip Azure CLI credentials so that only the service principal above is used.
  use_cli = false
}
