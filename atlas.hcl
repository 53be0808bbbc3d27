# The example project's configuration, in Atlas's format: Atlas and dbhost both read it.

variable "url" {
  type    = string
  default = getenv("DATABASE_URL")
}

env "local" {
  # The desired schema: edit schema.sql, then `make create-migrations NAME=...`.
  src = "file://schema.sql"
  # The database `dbhost apply` migrates.
  url = var.url
  # A throwaway database for diffing and replaying. dbhost starts a local
  # PostgreSQL 15 when no Docker engine answers; Atlas uses Docker.
  dev = "docker://postgres/15/dev?search_path=public"

  migration {
    dir = "file://migrations"
  }
}
