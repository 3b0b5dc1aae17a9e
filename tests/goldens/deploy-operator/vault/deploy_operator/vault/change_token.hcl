# sbxc: task `deploy_operator`, secret `change_token`: read access to the secret's path, nothing else.
# Audience changes.acme.example; scopes changes:approve:standard (enforced by that service, not by Vault).
path "changes/standard-approver" {
  capabilities = ["read"]
}
