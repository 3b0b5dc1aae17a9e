# sbxc: task `deploy_operator`, secret `argocd_staging_token`: read access to the secret's path, nothing else.
# Audience argocd.staging.acme.example; scopes applications:sync (enforced by that service, not by Vault).
path "argocd/staging/deployer" {
  capabilities = ["read"]
}
