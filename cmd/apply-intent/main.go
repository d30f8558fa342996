// Command apply-intent is the apply-intent KRM function's container entrypoint.
package main

import (
	"os"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	applyintent "github.com/nephoran/nephoran/functions/apply-intent"
)

func main() {
	if err := fn.AsMain(fn.ResourceListProcessorFunc(applyintent.Processor{Now: time.Now}.Process)); err != nil {
		os.Exit(1)
	}
}
