#!/usr/bin/env bash
# The module graph: tools/modgraph.sh finds no cycle among the constituent
# modules' includes, and README's "Modules" graph is its current output.
#   tests/modgraph.sh MODULE...
set -u
. tests/run/lib.sh
graph=$(tools/modgraph.sh "$@"); status=$?
result modgraph.acyclic "$status" "$(echo "$graph" | sed -n '/^cycles:/,$p' | tr '\n' ' ')"
readme=$(sed -n '/^<!-- modgraph: tools\/modgraph.sh -->$/,/^<!-- \/modgraph -->$/p' README.md |
	sed '1,2d;$d' | sed '$d')
[ "$readme" = "$graph" ]; result modgraph.readme_current $? "README's graph differs from tools/modgraph.sh's output"
summary
