package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	applyintent "github.com/nephoran/nephoran/functions/apply-intent"
	rendercnf "github.com/nephoran/nephoran/functions/render-cnf"
	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
)

// Version is the release of the built-in functions: the tag of their images.
const Version = "v0.1.0"

// ImagePrefix is where nephoran's function images live.
const ImagePrefix = "ghcr.io/nephoran/"

// Builtins are the functions this binary carries, by image name.
var Builtins = map[string]fn.ResourceListProcessor{
	"render-cnf":   fn.ResourceListProcessorFunc(rendercnf.Process),
	"apply-intent": applyintent.Processor{Now: time.Now},
	"validate-cnf": fn.ResourceListProcessorFunc(validatecnf.Process),
}

// Image returns the image reference of a built-in function at Version.
func Image(name string) string { return ImagePrefix + name + ":" + Version }

// Resolve maps an image to a built-in function. warning is set when the tag
// differs from this binary's Version.
func Resolve(image string) (p fn.ResourceListProcessor, warning string, err error) {
	name, ok := strings.CutPrefix(image, ImagePrefix)
	if ok {
		tag := ""
		if i := strings.IndexAny(name, ":@"); i >= 0 {
			name, tag = name[:i], name[i:]
		}
		if p, found := Builtins[name]; found {
			if strings.HasPrefix(tag, ":") && tag[1:] != Version {
				warning = fmt.Sprintf("%s: tag %s differs from the built-in %s, which runs instead", image, tag[1:], Version)
			}
			return p, warning, nil
		}
	}
	return nil, "", fmt.Errorf("function %q is not built into nephoran: run this package with `kpt fn render`", image)
}
