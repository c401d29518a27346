#!/usr/bin/env bash
# elfcheck on the real build: every constituent module object dry-run loads
# against the nano_core's symbols (what the swap will do), and each bad test
# crate is rejected with its named error.   tests/elfcheck.sh BUILD MODULE...
set -u
build=$1
shift
elfcheck=$build/tools/elfcheck
passed=0 failed=0
expect() { # expect NAME WANT ARGS...: WANT is "ok" or the error name
	local name=$1 want=$2 out
	shift 2
	out=$("$elfcheck" "$@" 2>&1)
	case $want in
	ok) [[ $out == *": ok ("* ]] ;;
	*) [[ $out == *": error: $want: "* ]] ;;
	esac
	if [ $? = 0 ]; then
		echo "ok elfcheck.$name"; passed=$((passed + 1))
	else
		echo "FAIL elfcheck.$name: expected $want, got: $out"; failed=$((failed + 1))
	fi
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
echo "$passed passed, $failed failed"
[ $failed = 0 ]
