# The counting every shell suite shares, sourced by tests/*.sh:
#   result SUITE.NAME STATUS WHY   "ok SUITE.NAME" if STATUS is 0, else
#                                  "FAIL SUITE.NAME: WHY"
#   summary                        "N passed, N failed"; its status is the
#                                  suite's (non-zero if anything failed)
#   read_summary LOG               passed, failed and summary_line from LOG's last
#                                  "N passed, N failed" line (summary_line empty
#                                  when it has none)
passed=0 failed=0
result() {
	if [ "$2" = 0 ]; then
		echo "ok $1"; passed=$((passed + 1))
	else
		echo "FAIL $1: $3"; failed=$((failed + 1))
	fi
}
read_summary() {
	summary_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	passed=0 failed=0
	if [ -n "$summary_line" ]; then
		passed=${summary_line%% passed*}
		failed=$(echo "$summary_line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	fi
}
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
