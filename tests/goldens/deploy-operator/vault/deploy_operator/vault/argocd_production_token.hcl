# sbxc: task `deploy_operator`, secret `argocd_production_token`: read access to the secret's path, nothing else.
# Audience argocd.prod.acme.example; scopes applications:sync, applications:rollback (enforced by that service, not by Vault).
path "argocd/production/deployer" {
  capabilities = ["read"]
}
