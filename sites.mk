# The rules both static sites (backoffice/, collection/) build with, included from each site's Makefile with
# SITE naming it: `make build` installs the pinned npm packages (npm ci) when the lock changed, then type-checks
# and bundles into dist/ when a source changed. Nothing environment-specific is built in: each site reads its
# config.json at start.
SOURCES := $(shell find src -type f) index.html vite.config.ts tsconfig.json

.PHONY: build clean
build: dist/index.html

node_modules/.installed: package.json package-lock.json
	@echo "==> $(SITE) npm packages"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

dist/index.html: node_modules/.installed $(SOURCES)
	@echo "==> $(SITE) build"
	@npm run --silent build
	@touch $@

clean:
	rm -rf dist node_modules
