# nephoran: GitOps for O-RAN network functions. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
FUNCTIONS := render-cnf apply-intent validate-cnf
# Tests find kpt (kpt's e2e runner looks it up on PATH) and the function binaries here.
export PATH := $(BIN):$(PATH)

include hack/tools.mk

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_.%/-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/nephoran and the function binaries (bin/render-cnf, bin/apply-intent, bin/validate-cnf)
	$(GO) build -o $(BIN)/ ./cmd/...

.PHONY: generate
generate: $(BIN)/controller-gen ## Regenerate the CRDs in config/crd/ from the api/v1 types (controller-gen)
	rm -f config/crd/nephoran.com_*.yaml
	$(BIN)/controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd

.PHONY: test
test: build tools ## Run every test: unit, golden, real kpt, kustomize and kube-apiserver (what CI runs)
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

.PHONY: bench
bench: build tools ## Run the benchmarks (figures go to docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

.PHONY: render
render: build ## Re-render every blueprint in place with nephoran render
	$(BIN)/nephoran render $(dir $(wildcard blueprints/*/Kptfile))

.PHONY: demo
demo: build ## The closed loop: a seeded Git repo, the watcher, bundled traces in, reviewable proposals out (WORKDIR=dir to keep it somewhere)
	@$(BIN)/nephoran demo $(if $(WORKDIR),--workdir $(WORKDIR))

.PHONY: images
images: ## Build the function images (needs a container engine; not run in CI)
	for f in $(FUNCTIONS); do docker build -f build/Dockerfile --build-arg FUNCTION=$$f -t ghcr.io/nephoran/$$f:v0.1.0 .; done

.PHONY: fmt
fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')

.PHONY: clean
clean: ## Remove bin/ (tools included)
	rm -rf $(BIN)
