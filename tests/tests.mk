# Tests, included by the top-level Makefile. `make test` runs:
#   host unit tests   tests/host/ (ASan + UBSan): kprintf, multiboot2, command
#                     line, the nano_core description; and the loader's (loader/loader.mk)
#   fuzz smoke        a few seconds of libFuzzer over the loader's input path
#   QEMU boot tests   the real GRUB ISO under QEMU: in-kernel suites (tests/kernel/)
#                     and boot-stub checks on CPUs without long mode or NX
# and ends with one line "N passed, N failed" over all of them.

RESULTS := $(BUILD)/results

-include tests/host/host.mk
host-test: $(BUILD)/nano_core.desc	# test_ncdparse reads the real description

# In-kernel suites: one boot per command line.
KTEST_BOOTS := ktest swap_memory swap_none nomatch swap_fail
KTEST_CMDLINE_ktest := test swap=all bogus_option=1
KTEST_CMDLINE_swap_memory := test swap=memory
KTEST_CMDLINE_swap_none := test swap=none
KTEST_CMDLINE_swap_fail := test=swap_boot_failed swap_fail=map:3
KTEST_CMDLINE_nomatch := test=nosuchprefix swap=foo,,memory
TEST_ISOS := $(patsubst %,$(BUILD)/test-%.iso,$(KTEST_BOOTS))

$(BUILD)/test-%.iso: $(ISO_INPUTS) tests/tests.mk | deps-check
	$(Q)tools/mkiso.sh $@ "$(KTEST_CMDLINE_$*)" $(BUILD) $(NC_MODULES) -- $(TESTMODS)

QEMU_TEST := tools/qemu-test.sh

# An object from outside the kernel's module rules (plain gcc -c), added to
# the ISO the way a user does it: make iso MODULES=... (tests/shell.sh loads it).
EXT_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -mcmodel=kernel -mno-red-zone \
	-mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-common -fno-stack-protector \
	-fcf-protection=none -Wall -Wextra -Werror -Iinclude
$(BUILD)/ext/ext_hello.o: tests/extra/ext_hello.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(EXT_CFLAGS) -c $< -o $@

$(BUILD)/test-shell.iso: $(BUILD)/ext/ext_hello.o $(ISO_INPUTS) FORCE | deps-check
	$(Q)$(MAKE) --no-print-directory iso CMDLINE= MODULES=$(BUILD)/ext/ext_hello.o
	$(Q)cp $(BUILD)/nanoswap.iso $@

test: $(TEST_ISOS) $(BUILD)/test-shell.iso $(HOST_TEST_BINS) $(BUILD)/tools/elfcheck $(BUILD)/tools/ncdesc \
	$(BUILD)/nano_core.desc | deps-check
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@for bin in $(HOST_TEST_BINS); do \
		tools/run-suite.sh host.$$(basename $$bin) $(RESULTS) $$bin; done
	@tools/run-suite.sh host.loader $(RESULTS) $(MAKE) --no-print-directory loader-host-test
	@tools/run-suite.sh elfcheck $(RESULTS) tests/elfcheck.sh $(BUILD) $(NC_MODULES)
	@tools/run-suite.sh ncdesc $(RESULTS) tests/ncdesc.sh $(BUILD) $(NC_MODULES)
	@tools/run-suite.sh modgraph $(RESULTS) tests/modgraph.sh $(NC_MODULES)
	@tools/run-check.sh fuzz.smoke $(RESULTS) $(MAKE) --no-print-directory fuzz-smoke
	@tools/run-suite.sh iso $(RESULTS) tools/check-iso.sh $(BUILD)/test-ktest.iso $(BUILD) $(NC_MODULES)
	@$(QEMU_TEST) ktest $(BUILD)/test-ktest.iso 33 $(RESULTS) --ktest \
		--expect "warning: cmdline: unknown option 'bogus_option' (ignored)" \
		--expect 'command line: "test swap=all bogus_option=1"' --expect 'boot modules: $(words nano_core nano_core_desc $(NC_MODULES) $(TESTMODS))' \
		$(foreach m,$(NC_MODULES),--expect 'swap: $(m) ') \
		--expect 'swap: $(words $(NC_MODULES)) modules swapped, 0 of ' \
		--expect 'retire: memory kept: ktest:.bss.swap_test_held_pointer+0x0'
	@$(QEMU_TEST) swap_memory $(BUILD)/test-swap_memory.iso 33 $(RESULTS) --ktest \
		--expect 'swap: memory ' \
		--expect 'swap: memory: data section .data.layout_extra_state (4 bytes) has no counterpart' \
		--expect "section '.bss.mem_counters' (56 bytes) cannot be bound to 'memory:.bss.mem_counters' of crate 'nano_core' (48 bytes)"
	@$(QEMU_TEST) swap_none $(BUILD)/test-swap_none.iso 33 $(RESULTS) --ktest
	@$(QEMU_TEST) swap_fail $(BUILD)/test-swap_fail.iso 33 $(RESULTS) --ktest \
		--expect "swap: the swap's map call 3 will fail (swap_fail=)" \
		--expect 'swap: memory: not swapped: NO_FRAMES'
	@$(QEMU_TEST) nomatch $(BUILD)/test-nomatch.iso 35 $(RESULTS) \
		--expect "ktest: no test matched 'nosuchprefix'; the suites are: boot exception" \
		--expect "swap: 'foo' is not a constituent module" \
		--expect "swap: '' is not a constituent module" --expect 'swap: memory '
	@tests/shell.sh $(BUILD)/test-shell.iso $(BUILD) $(RESULTS)
	@tests/gdb.sh $(BUILD)/test-shell.iso $(BUILD) $(RESULTS)
	@printf 'reboot\n' > $(RESULTS)/shell_reboot.in
	@$(QEMU_TEST) shell_reboot $(BUILD)/test-shell.iso 0 $(RESULTS) --input $(RESULTS)/shell_reboot.in \
		--expect 'nanoswap> reboot' --expect 'nanoswap: reboot' --reject 'exception'
	@$(QEMU_TEST) no_long_mode $(BUILD)/test-ktest.iso 67 $(RESULTS) \
		--expect 'nanoswap: this CPU has no long mode (x86_64); halting' -- -cpu qemu32
	@$(QEMU_TEST) no_nx $(BUILD)/test-ktest.iso 69 $(RESULTS) \
		--expect 'nanoswap: this CPU has no NX (execute-disable) bit; halting' -- -cpu qemu64,-nx
	@tools/test-summary.sh $(RESULTS)
