# sbxc: task `review_pull_request`, secret `github_token`: read access to the secret's path, nothing else.
# Audience api.github.com; scopes pull_requests:write (enforced by that service, not by Vault).
path "github/apps/review-bot/acme-payments" {
  capabilities = ["read"]
}
