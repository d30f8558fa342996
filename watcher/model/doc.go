// Package model is the plain data the watcher's stages pass to each other:
// ingest produces Events (VES) and KPM Reports, the store keeps Events, rules
// and decide (later) read both. It holds no logic beyond small accessors and
// imports nothing of the watcher, so every stage can depend on it.
package model
