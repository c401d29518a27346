#!/usr/bin/env bash
# Wall time from QEMU's start to kernel_main and to the tests' summary line:
#   tools/boot-time.sh ISO [RUNS]     (use a test ISO: build/test-ktest.iso)
# Under TCG these are seconds on a noisy host; treat them as indications.
set -u
iso=$1 runs=${2:-3}
for _ in $(seq "$runs"); do
	start=$(date +%s.%N)
	timeout 60 qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
		-display none -cdrom "$iso" -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null |
	while IFS= read -r line; do
		now=$(date +%s.%N)
		case $line in
		"nanoswap: kernel_main at"*) t_main=$(awk -v a="$start" -v b="$now" 'BEGIN { print b - a }') ;;
		*" passed, "*" failed"*)
			t_end=$(awk -v a="$start" -v b="$now" 'BEGIN { print b - a }')
			printf 'kernel_main at %.3f s, tests done at %.3f s\n' "$t_main" "$t_end" ;;
		esac
	done
done
