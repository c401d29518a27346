#!/usr/bin/env bash
# The stub crate of a benchmark object: every symbol OBJECT imports
# (undefined, strong or weak) that KERNEL (build/nano_core.elf) does not define
# as a global or weak symbol gets a stub, one section per stub
# (.text.stub.NAME, as the nano_core's -ffunction-sections code is), written
# as assembly for `gcc -c`. make bench ships it as boot module NAME_stubs,
# loaded before NAME.   tools/mkstubs.sh OBJECT KERNEL > OUT.S
set -euo pipefail
obj=$1 kernel=$2
[ -r "$obj" ] || { echo "mkstubs: cannot read $obj" >&2; exit 1; }
[ -r "$kernel" ] || { echo "mkstubs: cannot read $kernel (build it first)" >&2; exit 1; }
defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
nm -g --defined-only "$kernel" | awk 'NF == 3 { print $3 }' | sort -u > "$defined"
echo "# stubs for the imports of $(basename "$obj") that the kernel does not define"
# An STT_FILE symbol: the object has a symbol table even with no stub.
b=$(basename "$obj")
echo "	.file \"${b%.*}_stubs\""
# nm -u: "U name" (strong) and "w name" (weak); names are quoted for gas.
nm -u "$obj" | awk '{ print $NF }' | sort -u | comm -23 - "$defined" |
	awk '{ printf "\t.section \".text.stub.%s\",\"ax\",@progbits\n\t.globl \"%s\"\n\t.type \"%s\",@function\n\"%s\":\n\tret\n", $1, $1, $1, $1; n++ }
	     END { printf "# %d stubs\n", n }'
