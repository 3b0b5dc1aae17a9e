# sbxc: task `unit_tests`, secret `cache_token`: read access to the secret's path, nothing else.
# Audience cache.dev.acme.example; scopes cache:read (enforced by that service, not by Vault).
path "build-cache/payments/reader" {
  capabilities = ["read"]
}
