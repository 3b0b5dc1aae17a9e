# sbxc: task `mailbox_assistant`, secret `mail_read_token`: read access to the secret's path, nothing else.
# Audience mail.acme.example; scopes mail.read (enforced by that service, not by Vault).
path "mail/support/read" {
  capabilities = ["read"]
}
