#!/usr/bin/env bash
# The constituent modules' graph, from their includes: module A uses module B
# when a source file of A (its .c files, private and public headers) includes one of
# B's public headers (include/B/...), but a leaf header: one of definitions
# only that includes nothing of another module (LEAF below), which creates no
# dependency on B's code. Prints one line per module,
#   memory       -> bootinfo lib
# in link order, then "cycles: none" or each cycle tsort finds; exits 1 if
# there is one. README's "Modules" section is this output (tests/modgraph.sh
# checks it is current).
#   tools/modgraph.sh MODULE...   (the Makefile's NC_MODULES)
set -u
[ $# -gt 0 ] || { echo "usage: tools/modgraph.sh MODULE..." >&2; exit 2; }

# The directories a module's sources live in (the Makefile's module_dirs).
dirs_of() {
	case $1 in
	loader) echo loader loader/x86_64 ;;
	nano_core_swap) echo nano_core_swap ;;
	ktest) echo kernel/ktest tests/kernel ;;
	*) echo "kernel/$1" ;;
	esac
}

LEAF="memory/layout.h loader/elf.h"	# addresses and ELF definitions: no code

pairs=$(mktemp)
trap 'rm -f "$pairs"' EXIT
for m in "$@"; do
	uses=$({
		for d in $(dirs_of "$m") "include/$m"; do
			grep -ho '^#include <[a-z_0-9]*/[a-z_0-9.]*>' "$d"/*.c "$d"/*.h 2>/dev/null
		done
	} | sed 's/#include <\(.*\)>/\1/' | while read -r h; do
		case " $LEAF " in *" $h "*) ;; *) echo "${h%%/*}" ;; esac
	done | sort -u)
	line=""
	for u in $uses; do
		[ "$u" = "$m" ] && continue
		case " $* " in *" $u "*) ;; *) continue ;; esac	# (nanoswap/: shared, no module)
		line="$line $u"
		echo "$m $u" >> "$pairs"
	done
	printf '%-15s->%s\n' "$m" "${line:- (nothing)}"
	echo "$m $m" >> "$pairs"
done
if cycles=$(tsort "$pairs" 2>&1 >/dev/null) && [ -z "$cycles" ]; then
	echo "cycles: none"
	exit 0
fi
echo "cycles:"
echo "$cycles" | sed -n 's/^tsort: //p' | sed 's/^/  /'
exit 1
