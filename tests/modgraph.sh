#!/usr/bin/env bash
# The module graph: tools/modgraph.sh finds no cycle among the constituent
# modules' includes, and README's "Modules" graph is its current output.
#   tests/modgraph.sh MODULE...
set -u
passed=0 failed=0
check() { # check NAME STATUS MESSAGE
	if [ "$2" = 0 ]; then echo "ok modgraph.$1"; passed=$((passed + 1))
	else echo "FAIL modgraph.$1: $3"; failed=$((failed + 1)); fi
}
graph=$(tools/modgraph.sh "$@"); status=$?
check acyclic "$status" "$(echo "$graph" | sed -n '/^cycles:/,$p' | tr '\n' ' ')"
readme=$(sed -n '/^<!-- modgraph: tools\/modgraph.sh -->$/,/^<!-- \/modgraph -->$/p' README.md |
	sed '1,2d;$d' | sed '$d')
[ "$readme" = "$graph" ]; check readme_current $? "README's graph differs from tools/modgraph.sh's output"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
