# sbxc: task `compile_brief`, secret `wiki_token`: read access to the secret's path, nothing else.
# Audience wiki.acme.example; scopes pages:write (enforced by that service, not by Vault).
path "wiki/spaces/strategy/editor" {
  capabilities = ["read"]
}
