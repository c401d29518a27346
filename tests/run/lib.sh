# The counting every shell suite shares, sourced by tests/*.sh:
#   result SUITE.NAME STATUS WHY   "ok SUITE.NAME" if STATUS is 0, else
#                                  "FAIL SUITE.NAME: WHY"
#   summary                        "N passed, N failed"; its status is the
#                                  suite's (non-zero if anything failed)
passed=0 failed=0
result() {
	if [ "$2" = 0 ]; then
		echo "ok $1"; passed=$((passed + 1))
	else
		echo "FAIL $1: $3"; failed=$((failed + 1))
	fi
}
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
