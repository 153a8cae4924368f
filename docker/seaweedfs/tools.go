//go:build tools

// Package tools pins SeaweedFS's `weed` command (the stack's S3 store) in this module's go.mod and
// go.sum: scripts/seaweedfs.sh builds it from the Go module proxy with `go build -mod=readonly`.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
