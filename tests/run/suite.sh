#!/usr/bin/env bash
# Run one test program and record its counts:
#   tests/run/suite.sh NAME RESULTS COMMAND...
# The program prints "ok"/"FAIL" lines and a final "N passed, N failed". A
# program that dies before its summary, or exits non-zero with no failure
# counted, adds one failure. Writes "PASSED FAILED" to RESULTS/NAME.txt.
set -u
name=$1 results=$2
shift 2
out=$results/$name.log
"$@" >"$out" 2>&1
status=$?
grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$out"
. tests/run/lib.sh
read_summary "$out"
if [ -z "$summary_line" ] || { [ "$status" != 0 ] && [ "$failed" = 0 ]; }; then
	echo "FAIL $name: exited with status $status${summary_line:+ after \"$summary_line\"}${summary_line:- before its summary}"
	failed=$((failed + 1))
fi
echo "$passed $failed" > "$results/$name.txt"
