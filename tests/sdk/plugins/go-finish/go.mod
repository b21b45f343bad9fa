module example.com/go-finish

go 1.24

require github.com/dataflare/dataflare-provider/sdk/go v0.0.0

replace github.com/dataflare/dataflare-provider/sdk/go => ../../../../sdk/go
