# sbxc: task `tool_token_demo`, secret `reader_token`: read access to the secret's path, nothing else.
# Audience demo.local; scopes demo:read (enforced by that service, not by Vault).
path "local/demo-read" {
  capabilities = ["read"]
}
