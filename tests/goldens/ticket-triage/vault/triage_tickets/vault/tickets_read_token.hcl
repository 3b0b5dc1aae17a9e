# sbxc: task `triage_tickets`, secret `tickets_read_token`: read access to the secret's path, nothing else.
# Audience tickets.acme.example; scopes tickets:read (enforced by that service, not by Vault).
path "tickets/support/reader" {
  capabilities = ["read"]
}
