# imapprobe: build, test and lint. `make demo` and `make test` are the two
# commands a newcomer needs; see README.md.
GO      ?= go
PKGS    ?= ./...
BIN     ?= bin

.PHONY: all build test test-go lint fmt-check vet staticcheck cover demo bench bench-curl bench-conns fuzz fuzz-smoke realservers clean

all: build

# Static (no cgo): the programs skip the dynamic loader and libc's start-up,
# 0.4-3.7 ms of each imapprobe run (bench/curl-vs-imapprobe.sh). The tests
# keep cgo, which -race needs.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

# The README's test command. It readies the real-server dependencies
# (Dovecot, a container engine) where it can, runs every suite under the race
# detector, then lints.
test: realservers test-go fuzz-smoke lint

FIDELITY ?= $(CURDIR)/$(BIN)/fidelity.txt
# Test artifacts (t.ArtifactDir), e.g. the browser tests' screenshots, are
# kept here instead of deleted.
ARTIFACTS ?= $(CURDIR)/$(BIN)/test-artifacts

test-go:
	@mkdir -p $(BIN) $(ARTIFACTS) && rm -f $(FIDELITY)
	IMAPPROBE_FIDELITY_OUT=$(FIDELITY) $(GO) test -race -count=1 -timeout 30m -artifacts -outputdir $(ARTIFACTS) $(PKGS)
	@if [ -s $(FIDELITY) ]; then echo "Fidelity: each situation on Dovecot, Cyrus, the fake and its personas, and the proxy:"; cat $(FIDELITY); fi
	@shots=$$(find $(ARTIFACTS) -name '*.png' 2>/dev/null); if [ -n "$$shots" ]; then echo "Screenshots:"; echo "$$shots"; fi

# Installs what the Dovecot suites need, and extracts Cyrus, when run as root on Debian (the
# tests start their own Dovecot and dockerd); prints how to get them otherwise. Under CI=true a missing piece makes the
# suites fail rather than skip.
realservers:
	@if [ -x integration/realservers/setup.sh ]; then integration/realservers/setup.sh; fi

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; echo "run: gofmt -w ."; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

cover:
	$(GO) test -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -func=coverage.out | tail -n 1

# Every Fuzz target, FUZZTIME each (5m by default); make test runs each for
# 10,000 executions as a smoke test. Failing inputs land in testdata/fuzz/.
FUZZTIME ?= 5m
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$f in $$pkg for $(FUZZTIME)"; \
	    mkdir -p $(BIN); \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$(BIN)/fuzz.log 2>&1 || \
	      { cat $(BIN)/fuzz.log; exit 1; }; \
	  done; \
	done

# The smoke run counts executions instead of timing them: a duration
# -fuzztime can fail with a bare "context deadline exceeded" and no input
# (go.dev/issue/75804, in Go 1.26's fuzz coordinator; seen here on FuzzEscape).
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10000x

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# imapprobe against curl (one message by UID) on a throwaway Dovecot and on
# fakeimapd: medians of N interleaved runs, wall and CPU ratios. Not in test.
bench-curl:
	bench/curl-vs-imapprobe.sh

# Idle-connection cost (bench/idle-conns.sh). Not in test.
bench-conns:
	bench/idle-conns.sh

# imapprobe demo execs imapprobe-demo beside it: built together, static as
# make build builds them.
demo:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/imapprobe ./cmd/imapprobe-demo
	$(BIN)/imapprobe demo

clean:
	rm -rf $(BIN) coverage.out
