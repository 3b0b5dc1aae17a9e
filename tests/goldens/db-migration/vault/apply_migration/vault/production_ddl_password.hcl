# sbxc: task `apply_migration`, secret `production_ddl_password`: read access to the secret's path, nothing else.
# Audience orders-db.prod.acme.example; scopes ddl:create (enforced by that service, not by Vault).
path "postgres/production/orders/ddl-additive" {
  capabilities = ["read"]
}
