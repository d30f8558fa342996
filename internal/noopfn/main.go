// Command noop is a KRM function that changes nothing: the anchor that
// render-cnf's binary benchmark compares against (the SDK's own cost of
// reading and writing a ResourceList).
package main

import (
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

func main() {
	if err := fn.AsMain(fn.ResourceListProcessorFunc(func(*fn.ResourceList) (bool, error) { return true, nil })); err != nil {
		os.Exit(1)
	}
}
