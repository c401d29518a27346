# The test build, included by the top-level Makefile. `make test` builds
# what the suites need and runs tests/run.sh (every suite, in order, and one
# closing line "N passed, N failed"); `make test T=PATTERN` only the suites
# whose name contains PATTERN (tests/run.sh lists them). Where the tests
# live and what builds them:
#   tests/host/           unit tests of the kernel's pure-C files (host.mk)
#   tests/host/layout/    layoutfp and the layout descriptions (layout.mk)
#   tests/host/loader/    the loader on the host (loader.mk)
#   tests/fuzz/           libFuzzer over the loader (fuzz.mk)
#   tests/kernel/         in-kernel suites, the ktest module (the Makefile)
#   tests/modules/        test crates the in-kernel tests load (modules.mk)
#   tests/extra/          an object built as a user would (below)
#   tests/*.sh            suites over the real build and the QEMU boots

include tests/host/host.mk
include tests/host/loader/loader.mk
include tests/fuzz/fuzz.mk
host-test: $(BUILD)/nano_core.desc	# test_ncdparse reads the real description

# The QEMU boots with an ISO of their own (tests/boots.sh: their command
# lines and what their logs must show).
TEST_BOOTS := $(shell tests/boots.sh isos)
TEST_ISOS := $(patsubst %,$(BUILD)/test-%.iso,$(TEST_BOOTS))

$(BUILD)/test-%.iso: $(ISO_INPUTS) tests/boots.sh | deps-check
	$(Q)tools/mkiso.sh $@ "$$(tests/boots.sh cmdline $*)" $(BUILD) $(NC_MODULES) -- $(TESTMODS)

# An object from outside the kernel's module rules (plain gcc -c), added to
# the ISO the way a user does it: make iso MODULES=... (tests/shell.sh loads it).
$(BUILD)/ext/ext_hello.o: tests/extra/ext_hello.c $(BUILD)/module-cflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(MODULE_CFLAGS) -c $< -o $@

$(BUILD)/test-shell.iso: $(BUILD)/ext/ext_hello.o $(ISO_INPUTS) FORCE | deps-check
	$(Q)$(MAKE) --no-print-directory iso CMDLINE= MODULES=$(BUILD)/ext/ext_hello.o
	$(Q)cp $(BUILD)/nanoswap.iso $@

test: $(TEST_ISOS) $(BUILD)/test-shell.iso $(HOST_TEST_BINS) $(BUILD)/tools/elfcheck $(BUILD)/tools/ncdesc \
	$(BUILD)/tools/nanoswap-push \
	$(BUILD)/nano_core.desc | deps-check
	@NC_MODULES="$(NC_MODULES)" TESTMODS="$(TESTMODS)" HOST_TEST_BINS="$(HOST_TEST_BINS)" \
		MAKE="$(MAKE)" T="$(T)" tests/run.sh $(BUILD)
