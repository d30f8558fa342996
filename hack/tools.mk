# hack/tools.mk: builds or installs the real external tools the test suite
# runs (kpt, kustomize, kube-apiserver, etcd, prometheus/promtool, gitea), the
# generator `make generate` runs (controller-gen), and copies upstream CRDs,
# all into bin/ (gitignored). Include it from the main Makefile, or run it
# alone:
#
#	make -f hack/tools.mk tools
#
# Every target is a file target whose prerequisites are the wrapper module's
# own files, so a rerun does nothing unless one of them changed. Each hack/*
# wrapper is its own Go module (GOWORK=off), so none of them touches the main
# module's go.mod. Cold (empty Go build cache, 2 cores) / warm times seen here:
# kpt ~1.5-2.5 min / ~1 s, kustomize ~20-60 s / ~1 s, kube-apiserver ~3.5 min
# alone (9 min beside other builds; ~2.2 GB RAM) / ~1.5 s, etcd ~30-50 s /
# ~1 s, controller-gen ~50 s (+~10 s module download) / ~0.2 s, CRDs ~1 s
# (module download) / <1 s, prometheus (Debian package, apt-get) ~10-20 s /
# <1 s, gitea ~4 min (+~25 s module download; 1.4 min with only the module
# cache empty) / ~20-30 s relink when hack/gitea changes, <1 s otherwise.

# Keep the including Makefile's default goal: targets here must not become it.
_tools_mk_default_goal := $(.DEFAULT_GOAL)

TOOLS_BIN := $(CURDIR)/bin
TOOLS_HACK := $(CURDIR)/hack
KUSTOMIZE_VERSION := v5.7.1

# Builds of the hack/ wrapper modules: each is its own module, never a
# workspace member, and VCS stamping is off (the setting this machine's Go
# environment has; a fresh CI clone may not have it).
TOOLS_GO := GOWORK=off GOFLAGS=-buildvcs=false go

.PHONY: tools
tools: $(TOOLS_BIN)/kpt $(TOOLS_BIN)/kustomize $(TOOLS_BIN)/kube-apiserver $(TOOLS_BIN)/etcd $(TOOLS_BIN)/controller-gen $(TOOLS_BIN)/crds/.done $(TOOLS_BIN)/prometheus $(TOOLS_BIN)/gitea ## Build or install the real tools the tests use (kpt, kustomize, kube-apiserver, etcd, controller-gen, prometheus, gitea, upstream CRDs)

# `go build -o` leaves an up-to-date binary untouched, hence the touch: it
# makes the binary newer than its prerequisites so make skips it next time.
$(TOOLS_BIN)/kpt: $(TOOLS_HACK)/kpt/go.mod $(TOOLS_HACK)/kpt/go.sum $(TOOLS_HACK)/kpt/main.go
	cd $(TOOLS_HACK)/kpt && $(TOOLS_GO) build -trimpath -o $@ .
	touch $@

$(TOOLS_BIN)/etcd: $(TOOLS_HACK)/etcd/go.mod $(TOOLS_HACK)/etcd/go.sum $(TOOLS_HACK)/etcd/main.go
	cd $(TOOLS_HACK)/etcd && $(TOOLS_GO) build -trimpath -o $@ .
	touch $@

# controller-tools v0.19.0 is the only v0.19.x on the proxy; its k8s.io
# v0.34.0 requirements stay in hack/controller-gen/go.mod.
$(TOOLS_BIN)/controller-gen: $(TOOLS_HACK)/controller-gen/go.mod $(TOOLS_HACK)/controller-gen/go.sum $(TOOLS_HACK)/controller-gen/tools.go
	cd $(TOOLS_HACK)/controller-gen && $(TOOLS_GO) build -trimpath -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen
	touch $@

$(TOOLS_BIN)/kube-apiserver: $(TOOLS_HACK)/kube-apiserver/go.mod $(TOOLS_HACK)/kube-apiserver/go.sum $(TOOLS_HACK)/kube-apiserver/tools.go $(TOOLS_HACK)/build-kube-apiserver.sh
	GOFLAGS=-buildvcs=false $(TOOLS_HACK)/build-kube-apiserver.sh $@

# kustomize v5.8 needs Go 1.27; v5.7.1 is the newest that builds here.
$(TOOLS_BIN)/kustomize: $(TOOLS_HACK)/tools.mk
	cd / && GOBIN=$(TOOLS_BIN) $(TOOLS_GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	touch $@

$(TOOLS_BIN)/crds/.done: $(TOOLS_HACK)/fetch-crds.sh
	$(TOOLS_HACK)/fetch-crds.sh $(TOOLS_BIN)/crds

# Prometheus and promtool come from the Debian package (installed when
# /usr/bin/prometheus is missing) and are symlinked into bin/. make reads a
# symlink's mtime through the link (the packaged binary's, older than any
# script), so the script is an order-only prerequisite: it runs when the link
# is missing or dangles (package removed), and a rerun does nothing.
$(TOOLS_BIN)/prometheus: | $(TOOLS_HACK)/prometheus.sh
	$(TOOLS_HACK)/prometheus.sh $(TOOLS_BIN)

# Gitea (a real forge for the pull-request tests) from the wrapper module
# hack/gitea, with SQLite (cgo) and without the bindata tag: such a build
# reads options/, templates/ and public/ from its STATIC_ROOT_PATH, so the
# recipe also copies those three directories of the Gitea module source into
# bin/gitea-assets (a copy, not links into the module cache, so it survives
# `go clean -modcache` while bin/gitea stays up to date). It links to a
# temporary name and renames last, so an interrupted run leaves no binary
# that make would take as up to date. main.Version is what /api/v1/version
# reports (forge SDKs parse it); keep it equal to hack/gitea/go.mod's.
GITEA_VERSION := 1.26.0
GITEA_TAGS := sqlite sqlite_unlock_notify

$(TOOLS_BIN)/gitea: $(TOOLS_HACK)/gitea/go.mod $(TOOLS_HACK)/gitea/go.sum $(TOOLS_HACK)/gitea/tools.go
	cd $(TOOLS_HACK)/gitea && $(TOOLS_GO) build -trimpath -tags '$(GITEA_TAGS)' \
		-ldflags '-s -w -X main.Version=$(GITEA_VERSION) -X "main.Tags=$(GITEA_TAGS)"' \
		-o $@.tmp code.gitea.io/gitea
	rm -rf $(TOOLS_BIN)/gitea-assets && mkdir -p $(TOOLS_BIN)/gitea-assets
	src="$$(cd $(TOOLS_HACK)/gitea && $(TOOLS_GO) list -m -f '{{.Dir}}' code.gitea.io/gitea)" && \
		cp -R "$$src/options" "$$src/templates" "$$src/public" $(TOOLS_BIN)/gitea-assets/
	chmod -R u+w $(TOOLS_BIN)/gitea-assets
	mv -f $@.tmp $@
	touch $@

# Run alone (make -f hack/tools.mk), `tools` stays the default goal.
ifneq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := $(_tools_mk_default_goal)
endif
