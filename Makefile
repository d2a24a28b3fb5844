# Milady Cloud — `make demo` and `make test` work on a fresh Debian/Ubuntu
# machine: they install what is missing (system packages with apt-get as
# root, npm and Go modules), build, and run.

SHELL := /bin/bash
GO    ?= go
TAGS  := desktop,production,webkit2_41
BIN   := build/bin/milady-cloud
WINDOW_BIN := build/bin/milady-cloud-window
# VERSION comes from git (scripts/version.sh: 0.1.0+git<N>.<hash> without a
# tag, X.Y.Z on tag vX.Y.Z), computed once per make run.
ifndef VERSION
VERSION := $(shell scripts/version.sh 2>/dev/null || echo 0.1.0+unknown)
endif
LDFLAGS := -s -w -X main.version=$(VERSION)
# The desktop build's compile flags, which lint's go vet -tags $(TAGS) uses
# too: vet needs its dependencies compiled, and with the same flags it finds
# them in the build cache instead of compiling them (and WebKit's cgo) again.
LINUX_CODEGEN := -trimpath -buildmode=pie
# The Linux binary is position-independent with full RELRO (read-only GOT,
# symbols bound at start), as Debian's hardening rules expect of a package.
LINUX_BUILDFLAGS := $(LINUX_CODEGEN) -ldflags "$(LDFLAGS) -linkmode=external -extldflags '-Wl,-z,relro,-z,now'"
RELEASE := build/release
GOBIN := $(shell $(GO) env GOPATH)/bin

# Linux packaging and its checks (make deb, make tarball, make release-check).
APT_RELEASE_PKGS := dpkg-dev lintian desktop-file-utils appstream curl
# Debian packages: cgo + GTK/WebKitGTK for the window, Xvfb/xauth and
# x11-utils/xdotool/imagemagick for the window test, dbus-daemon for the
# tray and notification tests, chromium for the dashboard tests, tmux for
# the terminal login test.
APT_PKGS := gcc pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev xvfb xauth \
            dbus-daemon libglib2.0-bin x11-utils imagemagick xdotool chromium tmux \
            $(APT_RELEASE_PKGS)

.PHONY: all deps deps-system deps-npm deps-go frontend build demo run test deps-test-system lint-host \
        test-go test-tray test-frontend test-e2e test-redteam test-window screenshots generate lint vet-cross bench fuzz clean \
        version release deb tarball release-check

all: build

# apt_install: install those of the listed Debian packages that are missing
# (apt-get as root, else through sudo); nothing when all are present.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

## deps: everything the build and the tests need, installed only when missing
deps: deps-system deps-go deps-npm

deps-system:
	$(call apt_install,$(APT_PKGS))

deps-go:
	@$(GO) mod download
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

deps-npm: frontend/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## frontend: the dashboard bundle embedded in the binary
frontend: deps-npm
	cd frontend && npm run build --silent

## build: build/bin/milady-cloud (tray + REST API + Service, without
## GTK/WebKit) and build/bin/milady-cloud-window (the window, a process the
## first starts when the dashboard is opened: docs/window-process.md)
build: deps-system deps-go frontend
	@mkdir -p build/bin
	CGO_ENABLED=1 $(GO) build $(LINUX_BUILDFLAGS) -o $(BIN) .
	CGO_ENABLED=1 $(GO) build -tags $(TAGS) $(LINUX_BUILDFLAGS) -o $(WINDOW_BIN) ./cmd/milady-cloud-window
	@echo "built $(BIN) and $(WINDOW_BIN)"

## demo: build and run against the offline simulator (window if there is a display)
demo: build
	./$(BIN) --sim

## run: build and run against the real Eliza Cloud
run: build
	./$(BIN)

## test: every test: Go (race), tray and notifications on a private D-Bus,
## frontend unit tests, the dashboard in headless Chromium, the attacks of the
## red-team suite against the binary, the window under Xvfb, the Linux packages,
## the Windows build under Wine
# The steps run one after another (scripts/steps.sh prints each one's wall
# and CPU time). The first step's targets run concurrently: the apt
# installs (one apt-get for the build's and the Windows test's packages)
# wait on the network and the disk while the Go modules download and the
# cross-platform vet, which needs no system package, compiles.
TEST_STEPS := deps-test-system+deps-go+frontend+vet-cross build lint-host test-go test-tray \
              test-frontend test-e2e test-redteam test-window release-check test-windows
test:
	@MAKE="$(MAKE)" scripts/steps.sh $(TEST_STEPS)
	@echo "make test: all suites passed"

# deps-test-system: deps-system and deps-windows in one apt-get run.
deps-test-system:
	$(call apt_install,$(APT_PKGS) $(WIN_APT_PKGS))

## generate: the dashboard's TypeScript contract from the Go types
generate:
	$(GO) run ./scripts/tsgen

lint: lint-host vet-cross

lint-host: deps-go
	$(GO) run ./scripts/tsgen -check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) vet -tags $(TAGS) $(LINUX_CODEGEN) ./...
	$(GOBIN)/staticcheck ./...
	$(GO) vet -tags redteam ./internal/redteam/
	$(GOBIN)/staticcheck -tags redteam ./internal/redteam/

## vet-cross: the macOS and Windows builds type-check (no cgo for darwin here;
## scripts/vet-darwin-cgo.sh adds the cgo tray files, slower). Every
## Windows compile here, in make windows and in scripts/wine/test.sh uses
## -trimpath, so each package is compiled for Windows once and then found
## in the build cache.
vet-cross: deps-go
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...
	@# Wails' darwin window needs cgo: with the desktop tags, vet what does not import it.
	GOOS=darwin CGO_ENABLED=0 $(GO) vet -tags desktop,production $$(GOOS=darwin CGO_ENABLED=0 $(GO) list -e -tags desktop,production \
		-f '{{.ImportPath}} {{join .Deps " "}}' ./... | grep -v wailsapp/wails | cut -d' ' -f1)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet -trimpath ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet -tags desktop,production -trimpath ./...

# -vet=off: lint's go vet ./... has already run every check (a superset of
# the few go test runs) on these same packages.
test-go:
	MILADY_CRASH_KILLS=200 $(GO) test -race -vet=off -count=1 ./...

test-tray:
	$(GO) test -count=1 -tags traye2e ./app/tray/...

test-frontend:
	cd frontend && npm run check --silent && npm test --silent

test-e2e: build
	scripts/e2e.sh $(BIN)

## test-redteam: replay the known attacks against the built binary, one
## "REDTEAM PASS|FAIL|SKIP <attack>: …" line each and a summary (~40 s);
## the whole output (with the app's logs of a failed attack) in build/redteam.log
test-redteam: build
	REDTEAM_BIN=$(abspath $(BIN)) $(GO) test -count=1 -tags redteam -parallel 4 -v ./internal/redteam/ 2>&1 | \
	  tee build/redteam.log | grep -E '^(REDTEAM|FAIL|ok|panic)'; \
	  rc=$${PIPESTATUS[0]}; [ $$rc = 0 ] || echo "test-redteam: full log in build/redteam.log"; exit $$rc

## screenshots: refresh frontend/e2e/screenshots (shown in the README)
screenshots: build
	UPDATE_SCREENSHOTS=1 scripts/e2e.sh $(BIN)

test-window: build
	scripts/window-test.sh $(BIN)

## version: the version this tree builds as (scripts/version.sh; --windows form too)
version:
	@echo "$(VERSION)"
	@scripts/version.sh --windows

## release: every artifact under build/release/
release: deb tarball windows
	@ls -l $(RELEASE)/*.deb $(RELEASE)/*.tar.gz

## deb: build/release/milady-cloud_<version>_amd64.deb (/usr/bin/milady-cloud,
## /usr/lib/milady-cloud/milady-cloud-window)
deb: build
	scripts/package-linux.sh deb $(BIN) $(WINDOW_BIN) $(VERSION) $(RELEASE)

## tarball: build/release/milady-cloud-<version>-linux-amd64.tar.gz (install.sh into ~/.local)
tarball: build
	scripts/package-linux.sh tarball $(BIN) $(WINDOW_BIN) $(VERSION) $(RELEASE)

## release-check: the version scheme; lintian, desktop-file-validate and
## appstreamcli on the .deb; both binaries in place, only the window one
## linked to GTK/WebKitGTK; the tarball's install.sh into a temporary home;
## as root, apt-get install of the .deb, a headless start, a clean removal
release-check: deb tarball
	@set -o pipefail; scripts/version_test.sh | grep -v '^ok '
	scripts/release-check.sh $(VERSION) $(RELEASE)

## windows: the signed Windows build and its per-user installer, both built
## here without cgo (see "Windows" in README.md):
##   build/release/milady-cloud-<v>-windows-amd64.exe and …-setup.exe
## A real certificate: MILADY_SIGN_PFX, MILADY_SIGN_PASS (scripts/windows/sign.sh).
# Windows version fields take only a.b.c.d.
WINVERSION ?= $(shell scripts/version.sh --windows 2>/dev/null || echo 0.1.0.$$(git rev-list --count HEAD 2>/dev/null || echo 0))
WIN_EXE    := build/release/milady-cloud-$(VERSION)-windows-amd64.exe
WIN_SETUP  := build/release/milady-cloud-$(VERSION)-windows-amd64-setup.exe
WIN_APT_PKGS := wine wine64 binutils-mingw-w64-x86-64 nsis osslsigncode openssl

.PHONY: windows deps-windows test-windows

deps-windows:
	$(call apt_install,$(WIN_APT_PKGS))

windows: deps-windows deps-go frontend
	@mkdir -p build/release build/windows-unsigned
	$(GO) -C tools/winres run . -root $(CURDIR) -version $(WINVERSION) -display-version $(VERSION) \
	  -name $(notdir $(WIN_EXE)) -o $(CURDIR)/rsrc_windows_amd64.syso
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags desktop,production -trimpath \
	  -ldflags "-H windowsgui $(LDFLAGS)" -o build/windows-unsigned/milady-cloud.exe .
	@rm -f rsrc_windows_amd64.syso
	scripts/windows/sign.sh build/windows-unsigned/milady-cloud.exe $(WIN_EXE)
	cd build/windows && makensis -V2 -DVERSION=$(VERSION) -DVERSION4=$(WINVERSION) \
	  -DEXE=$(CURDIR)/$(WIN_EXE) -DOUTFILE=$(CURDIR)/build/windows-unsigned/installer.exe \
	  "-DSIGN=$(CURDIR)/scripts/windows/sign.sh" installer.nsi
	scripts/windows/sign.sh build/windows-unsigned/installer.exe $(WIN_SETUP)
	@ls -l $(WIN_EXE) $(WIN_SETUP)

## test-windows: the Windows build under Wine (scripts/wine/test.sh)
test-windows: windows
	scripts/wine/test.sh $(WIN_EXE) $(WIN_SETUP)

## fuzz: each fuzz target for 30 s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzURLPolicy -fuzztime=30s ./cloud/
	$(GO) test -run='^$$' -fuzz=FuzzSSEReader -fuzztime=30s ./cloud/
	$(GO) test -run='^$$' -fuzz=FuzzConfigRead -fuzztime=30s ./app/config/

## bench: the performance figures of SPEC §12 beside their targets (the desktop footprint under Xvfb)
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./app/ ./app/api/ ./cloud/
	$(GO) run ./scripts/bench -bin $(BIN)
	dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" $(GO) run ./scripts/bench/footprint -bin $(BIN) -runs 5

clean:
	rm -rf build/bin $(RELEASE) frontend/dist/assets frontend/dist/index.html
