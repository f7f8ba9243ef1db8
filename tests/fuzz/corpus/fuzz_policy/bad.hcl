path "a" { capabilities = ["reed"] }
path "b" { allowed_parameters = { "x" = [] } }