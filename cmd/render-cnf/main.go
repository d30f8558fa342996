// Command render-cnf is the render-cnf KRM function's container entrypoint.
package main

import (
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	rendercnf "github.com/nephoran/nephoran/functions/render-cnf"
)

func main() {
	if err := fn.AsMain(fn.ResourceListProcessorFunc(rendercnf.Process)); err != nil {
		os.Exit(1)
	}
}
