# c
path "pki/*" { capabilities = ["read", "list",] }
/* b */ path "pki/+/web" { policy = "write" }
// x
path "+/issue/*" { capabilities = ["deny"] }
