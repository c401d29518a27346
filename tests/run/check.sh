#!/usr/bin/env bash
# Run one command as one test: tests/run/check.sh NAME RESULTS COMMAND...
# "ok NAME" if it exits 0, else "FAIL NAME" and its output's tail.
# Writes "PASSED FAILED" to RESULTS/NAME.txt.
set -u
name=$1 results=$2
shift 2
if "$@" >"$results/$name.log" 2>&1; then
	echo "ok $name"
	echo "1 0" > "$results/$name.txt"
else
	echo "FAIL $name: '$*' exited with status $?"
	tail -n 20 "$results/$name.log"
	echo "0 1" > "$results/$name.txt"
fi
