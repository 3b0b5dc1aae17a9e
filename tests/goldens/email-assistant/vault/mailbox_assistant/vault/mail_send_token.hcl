# sbxc: task `mailbox_assistant`, secret `mail_send_token`: read access to the secret's path, nothing else.
# Audience smtp.acme.example; scopes mail.send (enforced by that service, not by Vault).
path "mail/support/send" {
  capabilities = ["read"]
}
