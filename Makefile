# queuebox — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BUILD_DATE ?= $(shell git log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d)
LDFLAGS := -X queuebox/server.Version=$(VERSION) -X queuebox/server.BuildDate=$(BUILD_DATE)

.PHONY: run demo test build bench bench-quick bench-go vet ticket-preview clean

## run: start the box with the demo config and the database under ./data
run:
	$(GO) run -ldflags "$(LDFLAGS)" . serve --config configs/queuebox.yaml --data ./data

## demo: the same box on ./demo-data, first filled with four weeks of made-up days by
## `queuebox demo` when it holds no database yet (./data is never touched)
demo:
	@if [ ! -f demo-data/queuebox.db ]; then \
		$(GO) run -ldflags "$(LDFLAGS)" . demo --config configs/queuebox.yaml --data ./demo-data; \
	fi
	$(GO) run -ldflags "$(LDFLAGS)" . serve --config configs/queuebox.yaml --data ./demo-data

## test: vet and every test with the race detector
test: vet
	$(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

## build: a static binary in ./bin
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/queuebox .

## bench: the performance figures (see README "Performance") against bare baselines, as one table;
## a few minutes, the JSON goes to bench/out/. Options in BENCHFLAGS, e.g. BENCHFLAGS="-profile bench/out/prof"
bench:
	$(GO) run ./server/benchtool $(BENCHFLAGS)
	$(GO) run ./server/sim/simbench

## bench-quick: the same table with small sizes, in seconds
bench-quick:
	$(GO) run ./server/benchtool -quick $(BENCHFLAGS)
	$(GO) run ./server/sim/simbench -quick

## bench-go: the go test benchmarks of the packages
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./server/...

## ticket-preview: regenerate the golden ESC/POS files and the PNG preview of the sample ticket
ticket-preview:
	$(GO) test ./printer -run 'TestEncodeGolden|TestPreview' -update

clean:
	rm -rf bin
