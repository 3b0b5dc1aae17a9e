# sbxc: task `mailbox_assistant`, secret `mail_file_token`: read access to the secret's path, nothing else.
# Audience mail.acme.example; scopes mail.modify (enforced by that service, not by Vault).
path "mail/support/file" {
  capabilities = ["read"]
}
