# sbxc: task `integration_tests`, secret `payments_test_key`: read access to the secret's path, nothing else.
# Audience sandbox.payments.example; scopes charges:test (enforced by that service, not by Vault).
path "payments-provider/test-mode/ci" {
  capabilities = ["read"]
}
