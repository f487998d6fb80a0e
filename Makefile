# mcu — make help lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
STAMP := $(shell date -u +%Y%m%dT%H%M%SZ)

# go-astiav links every FFmpeg library, and libavdevice and libavfilter
# bring ~80 more (speech voices, SVG, GPU) whose loading alone keeps ~16 MB
# resident. Linking with lld, dropping unused code (--gc-sections) and then
# every library nothing calls (--as-needed) leaves only what mcu uses.
# Set these variables in the environment to build differently (the static
# link below adds to them).
export CGO_CFLAGS ?= -O2 -g -ffunction-sections
export CGO_LDFLAGS ?= -fuse-ld=lld -Wl,--gc-sections -Wl,--as-needed

# FFmpeg, libvpx and x264 are linked statically, from the archives Debian's -dev
# packages ship: build/pkgconfig points pkg-config at them, and the define
# MCU_STATIC_CODECS turns on codec/ffregistry.c (FFmpeg's codec, container
# and protocol lists cut down to what mcu uses, so that the ~90 libraries
# the full lists wrap are never loaded) and codec/vpxmem.c (libvpx's
# allocator, whose calloc no longer makes the encoder's 22 MB token buffer
# resident). A 16-person mcu mix peaks at ~82 MiB instead of ~130. Go's
# build cache sees neither what pkg-config answers nor the archives, so the
# define's value hashes the .pc files and the installed -dev packages'
# versions: a security update of FFmpeg or libvpx rebuilds mcu, and objects
# built for the shared libraries are never reused here. The static link
# needs -ffunction-sections and --gc-sections (go-astiav refers to
# libavfilter and libavdevice, which are not linked; only dropping those
# references lets it link), so they are added whatever the environment
# says. It is set up for Debian's amd64 paths: elsewhere, and with a plain
# "go build", mcu links Debian's shared libraries.
# STATIC_CODECS is expanded when a recipe runs (=, not :=), after deps has
# installed what was missing. MCU_STATIC_CODECS_EXPECTED makes the tests
# fail, rather than skip, if a binary is not linked that way after all.
ifeq ($(shell dpkg --print-architecture 2>/dev/null),amd64)
STATIC_CODECS = $(shell { cat $(CURDIR)/build/pkgconfig/*.pc; dpkg-query -W libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libvpx-dev libx264-dev 2>/dev/null; } | sha256sum | cut -c1-12)
override PKG_CONFIG_PATH := $(CURDIR)/build/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
override CGO_CFLAGS += -ffunction-sections -DMCU_STATIC_CODECS=x$(STATIC_CODECS)
override CGO_LDFLAGS += -Wl,--gc-sections -Wl,--as-needed
export PKG_CONFIG_PATH CGO_CFLAGS CGO_LDFLAGS
export MCU_STATIC_CODECS_EXPECTED := 1
endif

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the Debian packages mcu needs, if missing
	@scripts/deps.sh

build: deps ## build bin/mcu
	$(GO) build -o bin/mcu ./cmd/mcu

# The server's own defaults (127.0.0.1:8080, ./recordings), so that
# MCU_LISTEN, MCU_RECORD_DIR and the other variables are read.
run: build ## run the server on http://127.0.0.1:8080/ (demo page there; Ctrl-C stops it)
	bin/mcu

mix-demo: build ## mix the nine testdata participants (VP8 and H.264) into out/mix-<time>.webm
	@mkdir -p out
	bin/mcu mix -o out/mix-$(STAMP).webm \
	  testdata/p01.ivf+testdata/p01.ogg testdata/p02.h264+testdata/p02.ogg \
	  testdata/p03.ivf+testdata/p03.ogg testdata/p04.h264+testdata/p04.ogg \
	  testdata/p05.ivf+testdata/p05.ogg testdata/p06.h264+testdata/p06.ogg \
	  testdata/p07.ivf+testdata/p07.ogg testdata/p08.h264+testdata/p08.ogg \
	  testdata/p09.ivf+testdata/p09.ogg

# Packages whose tests run in real time (WebRTC peers on loopback,
# browsers, a load, a paced mix or recording): they run one at a time,
# after the others, so that no CPU-heavy test on the same 2 cores makes
# their media late.
REALTIME_PKGS := client server loadtest e2e room recorder cmd/mcu
empty :=
space := $(empty) $(empty)

# A prerequisite, not the recipe's first line: make sets a recipe's
# environment (STATIC_CODECS above) before its first line runs.
deps-browser:
	@scripts/deps.sh --browser

test: deps-browser ## run every test with the race detector (installs what is missing, browsers included)
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v -x -E 'mcu/($(subst $(space),|,$(REALTIME_PKGS)))')
	MCU_BROWSERS_EXPECTED=1 $(GO) test -race -count=1 -p 1 -timeout 20m $(addprefix ./,$(REALTIME_PKGS))

test-pure: ## the packages without cgo, built with CGO_ENABLED=0
	CGO_ENABLED=0 $(GO) test -count=1 ./layout/... ./audio/... ./internal/roomtoken/... ./internal/webhook/...

bench: build ## benchmarks: codec/mixer ms per frame, and mcu mix side by side with the ffmpeg CLI
	$(GO) test -run '^$$' -bench . -benchtime 3s ./codec/ ./mixer/ ./audio/
	$(GO) run ./bench/mixbench -mcu bin/mcu

soak: build ## 20 minutes of a room of 6, its recording cycled, watching the server for leaks (scripts/soak.sh)
	scripts/soak.sh

fuzz: ## run each fuzz target for 30 s
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 30s -fuzzminimizetime 5s $$pkg; \
	  done; \
	done

testdata: deps ## regenerate the committed test clips
	scripts/make-testdata.sh

# The packages whose tests have golden files (and so an -update flag).
GOLDEN_PKGS := ./layout/ ./cmd/mcu/

golden-update: deps ## rewrite golden files from the current code (inspect the diff!)
	$(GO) test -count=1 $(GOLDEN_PKGS) -update

lint: deps ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

.PHONY: help deps deps-browser build run mix-demo test test-pure bench soak fuzz testdata golden-update lint
