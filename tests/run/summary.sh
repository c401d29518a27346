#!/usr/bin/env bash
# Sum RESULTS/*.txt ("PASSED FAILED" each) into the one closing line
# "N passed, N failed". Exit 1 if anything failed or nothing ran.
set -u
passed=0 failed=0 n=0
for f in "$1"/*.txt; do
	[ -e "$f" ] || continue
	read -r p fl < "$f"
	passed=$((passed + p)) failed=$((failed + fl)) n=$((n + 1))
done
[ $n -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ $failed = 0 ]
