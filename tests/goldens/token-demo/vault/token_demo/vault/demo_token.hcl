# sbxc: task `token_demo`, secret `demo_token`: read access to the secret's path, nothing else.
# Audience demo.local; scopes demo:read (enforced by that service, not by Vault).
path "local/demo" {
  capabilities = ["read"]
}
