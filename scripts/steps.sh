#!/usr/bin/env bash
# steps.sh STEP... — how `make test` runs its steps: makes each one in turn,
# stops at the first that fails, and after each prints
#   make test: STEP N s (CPU M s)
# where CPU is user+sys of everything the step ran: on a shared or slow
# machine wall time is noisy, CPU time says where the work went. A step
# written a+b+c makes a, b and c concurrently (make -j, output kept per
# target): only for steps that mostly wait on the network or the disk.
set -euo pipefail

make=${MAKE:-make}
tf=$(mktemp)
trap 'rm -f "$tf"' EXIT

# secs: bash's `times` figure (e.g. 1m2.500s) in seconds.
secs() { awk -v t="$1" 'BEGIN { split(t, a, "m"); sub(/s$/, "", a[2]); print a[1] * 60 + a[2] }'; }

start=$SECONDS
cpu_total=0
for step in "$@"; do
	targets=(${step//+/ })
	flags=(--no-print-directory)
	((${#targets[@]} > 1)) && flags+=(-j"${#targets[@]}" --output-sync=target)
	t0=$SECONDS
	rc=0
	# In the subshell, the second line of `times` is what its children used.
	("$make" "${flags[@]}" "${targets[@]}" && times >"$tf") || rc=$?
	if ((rc != 0)); then
		echo "make test: $step FAILED after $((SECONDS - t0)) s" >&2
		exit "$rc"
	fi
	read -r cu cs < <(sed -n 2p "$tf")
	cpu=$(awk -v u="$(secs "$cu")" -v s="$(secs "$cs")" 'BEGIN { printf "%.0f", u + s }')
	cpu_total=$((cpu_total + cpu))
	echo "make test: $step $((SECONDS - t0)) s (CPU $cpu s)"
done
echo "make test: all steps $((SECONDS - start)) s (CPU $cpu_total s)"
