#!/bin/sh
# Type-checks the macOS cgo build (the menu-bar tray, platform_darwin.go)
# on Linux, where no macOS SDK exists. cgo only needs the C declarations of
# the preambles, so a wrapper around the host gcc drops the Objective-C
# flags, swaps the .m sources (compiled, never linked, by vet) for an empty
# file, and a shim header declares the few Darwin-only pthread functions.
# It covers everything but the Wails window (whose darwin files import
# Cocoa headers): the desktop build is checked on a Mac by
# .github/workflows/macos.yml. amd64 only: the host gcc assembles
# runtime/cgo for its own architecture.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/shim.h" <<'H'
#ifndef __ASSEMBLER__
#include <pthread.h>
#include <stddef.h>
size_t pthread_get_stacksize_np(pthread_t);
void *pthread_get_stackaddr_np(pthread_t);
int pthread_main_np(void);
#endif
H
: > "$dir/empty.c"
cat > "$dir/cc" <<CC
#!/bin/sh
skip=""
for a in "\$@"; do
  shift
  case "\$skip" in
    x) skip=""; [ "\$a" = objective-c ] || set -- "\$@" -x "\$a"; continue;;
    arch) skip=""; continue;;
  esac
  case "\$a" in
    -x) skip=x;;
    -arch) skip=arch;;
    -fobjc-arc|-mmacosx-version-min=*) ;;
    *.m) set -- "\$@" "$dir/empty.c";;
    *) set -- "\$@" "\$a";;
  esac
done
exec gcc "\$@"
CC
chmod +x "$dir/cc"
[ $# -gt 0 ] || set -- ./...
GOOS=darwin GOARCH=amd64 CGO_ENABLED=1 CC="$dir/cc" CGO_CFLAGS="-include $dir/shim.h" \
	go vet "$@"
