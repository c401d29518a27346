#!/usr/bin/env bash
# tools/ncdesc on the real build: it describes the nano_core, and it fails
# loudly when a section or a relocation cannot be attributed.
#   tests/ncdesc.sh BUILD MODULE...
set -u
build=$1
shift
ncdesc=$build/tools/ncdesc
out=$(mktemp) map=$build/nano_core.map
badmap=$(mktemp)
trap 'rm -f "$out" "$badmap"' EXIT
. tests/run/lib.sh
args=()
for m in "$@"; do args+=("$m=$build/modules/$m.o"); done
run() { "$ncdesc" "$out" "$build/nano_core.elf" "$map" "boot=$build/obj/boot/boot.S.o" "$@" 2>&1; }
expect() { # expect NAME WANT-EXIT TEXT ARGS...
	local name=$1 want=$2 text=$3 got status
	shift 3
	got=$(run "$@"); status=$?
	[ "$status" = "$want" ] && [[ $got == *"$text"* ]]
	result "ncdesc.$name" $? "exit $status (expected $want), output: $got"
}
expect describes_the_build 0 "ncdesc: $(( $# + 1 )) modules" "${args[@]}"
# a map that disagrees with the object about a section's size
awk '/^ \.bss\.mem_counters$/ { print; getline; sub(/0x30 /, "0x38 "); print; next } { print }' \
	"$build/nano_core.map" > "$badmap"
map=$badmap
expect size_mismatch_fails 1 "section .bss.mem_counters is 48 bytes in the object but 56 in the map" \
	"${args[@]}"
map=$build/nano_core.map
# an object left out: the relocations against its symbols cannot be attributed
without_lib=()
for a in "${args[@]}"; do [[ $a == lib=* ]] || without_lib+=("$a"); done
expect unattributed_fails 1 "relocation against cpus, which nothing defines" "${without_lib[@]}"
summary
