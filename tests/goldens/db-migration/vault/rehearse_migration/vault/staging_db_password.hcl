# sbxc: task `rehearse_migration`, secret `staging_db_password`: read access to the secret's path, nothing else.
# Audience orders-db.staging.acme.example; scopes ddl, dml (enforced by that service, not by Vault).
path "postgres/staging/orders/migrator" {
  capabilities = ["read"]
}
