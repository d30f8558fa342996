// Package vesschema holds the official VES 7.2.1 Common Event Format schema
// (CommonEventFormat_30.2.1_ONAP.json, JSON Schema draft-04), embedded once
// for the two stages that read it: the VES listener (watcher/ingest/ves)
// validates events against it, and the rule checker (watcher/rules) reads the
// field types from it to warn when a condition compares a string field with a
// number. See SOURCES.md for where the copy comes from.
package vesschema

import _ "embed"

// JSON is the schema document exactly as published; callers must not modify it.
//
//go:embed CommonEventFormat_30.2.1_ONAP.json
var JSON []byte
