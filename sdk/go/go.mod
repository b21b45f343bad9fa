module github.com/dataflare/dataflare-provider/sdk/go

go 1.24
