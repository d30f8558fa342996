// Package blueprints embeds the NF blueprints (kpt packages rendered from
// their cnf.yaml) so `nephoran demo` can seed a deployment repository on a
// machine that has only the binary.
package blueprints

import "embed"

// FS holds the six NF blueprints, each under its directory name (cu-cp,
// cu-up, du, upf, amf, smf), exactly as committed.
//
//go:embed cu-cp cu-up du upf amf smf
var FS embed.FS
