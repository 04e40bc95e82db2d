GO      ?= go
BIN     ?= bin/descope-run
PKG     := ./cmd/descope-run
BENCH   ?= .
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build install test fmt-check vet bench update-golden clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)

install:
	$(GO) install -ldflags '$(LDFLAGS)' $(PKG)

## test: formatting, vet, and every test under the race detector.
test: fmt-check vet
	$(GO) test -race -count=1 ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## bench: every benchmark, with allocations.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./...

## update-golden: rewrite the golden files of the testscript tests.
update-golden:
	$(GO) test ./cmd/descope-run -run TestScript -update

clean:
	rm -rf bin
