// Command validate-cnf is the validate-cnf KRM function's container entrypoint.
package main

import (
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
)

func main() {
	if err := fn.AsMain(fn.ResourceListProcessorFunc(validatecnf.Process)); err != nil {
		os.Exit(1)
	}
}
