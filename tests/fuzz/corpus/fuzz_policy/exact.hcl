path "pki/issue/web" {
  capabilities = ["update"]
}
