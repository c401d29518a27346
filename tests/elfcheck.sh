#!/usr/bin/env bash
# elfcheck on the real build: every constituent module object dry-run loads
# against the nano_core's symbols (what the swap will do), each bad test
# crate is rejected with its named error, and several files share one
# namespace (a later file resolves against, and clashes with, an earlier
# one).   tests/elfcheck.sh BUILD MODULE...
set -u
build=$1
shift
elfcheck=$build/tools/elfcheck
. tests/run/lib.sh
expect() { # expect NAME WANT ARGS...: WANT is "ok" or the error name
	local name=$1 want=$2 out
	shift 2
	out=$("$elfcheck" "$@" 2>&1)
	case $want in
	ok) [[ $out == *": ok ("* ]] ;;
	*) [[ $out == *": error: $want: "* ]] ;;
	esac
	result "elfcheck.$name" $? "expected $want, got: $out"
}
# expect_file NAME FILE WANT ARGS...: like expect, for FILE's line only.
expect_file() {
	local name=$1 file=$2 want=$3 out
	shift 3
	out=$("$elfcheck" "$@" 2>&1 | grep -F "$file: ")
	case $want in
	ok) [[ $out == "$file: ok ("* ]] ;;
	*) [[ $out == "$file: error: $want: "* ]] ;;
	esac
	result "elfcheck.$name" $? "expected $want for $file, got: $out"
}
core=(--nano-core "$build/nano_core.elf")
for m in "$@"; do
	expect "module.$m" ok "${core[@]}" "$build/modules/$m.o"
done
expect tm_hello ok "${core[@]}" "$build/testmods/tm_hello.o"
expect tm_corrupt ELF_BAD_SHSTRNDX "${core[@]}" "$build/testmods/tm_corrupt.o"
expect tm_far LD_RELOC_OVERFLOW "${core[@]}" "$build/testmods/tm_far.o"
expect tm_unresolved LD_UNRESOLVED "${core[@]}" "$build/testmods/tm_unresolved.o"
expect tm_unresolved_stubbed ok --stub-undefined "$build/testmods/tm_unresolved.o"
# One namespace: tm_dep resolves against tm_data given before it (alone, it
# cannot), and a second copy of tm_data clashes with the first.
tmd=$build/testmods/tm_data.o dep=$build/testmods/tm_dep.o
again=$(mktemp --suffix=.o)
trap 'rm -f "$again"' EXIT
cp "$tmd" "$again"
expect_file namespace.dep_alone "$dep" LD_UNRESOLVED "${core[@]}" "$dep"
expect_file namespace.dep_after_provider "$dep" ok "${core[@]}" "$tmd" "$dep"
expect_file namespace.dep_before_provider "$dep" LD_UNRESOLVED "${core[@]}" "$dep" "$tmd"
expect_file namespace.first_copy "$tmd" ok "${core[@]}" "$tmd" "$again"
expect_file namespace.duplicate "$again" LD_DUPLICATE_SYMBOL "${core[@]}" "$tmd" "$again"
expect_file namespace.stubbed_after_provider "$dep" ok --stub-undefined "$tmd" "$dep"
summary
