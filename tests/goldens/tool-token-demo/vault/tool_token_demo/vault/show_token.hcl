# sbxc: task `tool_token_demo`, secret `show_token`: read access to the secret's path, nothing else.
# Audience demo.local; scopes demo:show (enforced by that service, not by Vault).
path "local/demo-show" {
  capabilities = ["read"]
}
