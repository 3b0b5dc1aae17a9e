# sbxc: task `compile_brief`, secret `tracker_token`: read access to the secret's path, nothing else.
# Audience tracker.acme.example; scopes issues:create (enforced by that service, not by Vault).
path "tracker/projects/product/filer" {
  capabilities = ["read"]
}
