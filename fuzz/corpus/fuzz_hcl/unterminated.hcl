env "local" {
  url = "postgres://x
}
