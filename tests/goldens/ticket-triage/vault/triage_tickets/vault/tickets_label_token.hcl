# sbxc: task `triage_tickets`, secret `tickets_label_token`: read access to the secret's path, nothing else.
# Audience tickets.acme.example; scopes tickets:label (enforced by that service, not by Vault).
path "tickets/support/labeler" {
  capabilities = ["read"]
}
