// Command etcd is the real etcd server (go.etcd.io/etcd/server/v3 v3.6.16),
// built from the Go module proxy for the test suite's kube-apiserver.
//
// `go install go.etcd.io/etcd/server/v3@v3.6.16` fails because that module's
// go.mod has replace directives; this wrapper module pins the same sibling
// modules instead and calls etcdmain exactly as etcd's own main.go does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
