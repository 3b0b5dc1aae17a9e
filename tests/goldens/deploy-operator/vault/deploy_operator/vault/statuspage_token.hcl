# sbxc: task `deploy_operator`, secret `statuspage_token`: read access to the secret's path, nothing else.
# Audience api.statuspage.example; scopes incidents:write (enforced by that service, not by Vault).
path "statuspage/incidents" {
  capabilities = ["read"]
}
