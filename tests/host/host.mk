# Host unit tests for the kernel's pure-C files, built with HOST_CFLAGS
# (ASan+UBSan). Included from tests/tests.mk:
#
#   make host-test
#
# Each binary links its test, the one kernel file under test and the enum err
# tables, and prints one line per test and "N passed, N failed".

HOST_TEST_DIR := tests/host
HOST_TEST_OUT := $(BUILD)/host

# test name -> the kernel file it tests (test_elfimage reads build/nano_core.elf;
# test_layout, in layout/layout.mk, build/modules/memory.o)
HOST_TEST_format  := kernel/console/format.c
HOST_TEST_mb2     := kernel/bootinfo/mb2.c
HOST_TEST_cmdline := kernel/init/cmdline.c
HOST_TEST_ncdparse := nano_core_swap/desc.c
HOST_TEST_elfimage :=			# tools/elf_image.h, header-only
HOST_TEST_pushframe := kernel/push/frame.c
HOST_TEST_NAMES   := format mb2 cmdline ncdparse elfimage pushframe

HOST_TEST_BINS := $(patsubst %,$(HOST_TEST_OUT)/test_%,$(HOST_TEST_NAMES))
host_test_obj = $(patsubst %.c,$(HOST_TEST_OUT)/obj/%.o,$(1))
HOST_TEST_OBJS := $(call host_test_obj,$(foreach n,$(HOST_TEST_NAMES),\
	$(HOST_TEST_DIR)/test_$(n).c $(HOST_TEST_$(n))) $(LOADER_ERR_SRC))

# test_layout runs tools/layoutfp on objects of its own (tests/host/layout/)
include $(HOST_TEST_DIR)/layout/layout.mk

$(HOST_TEST_OUT)/obj/%.o: %.c $(BUILD)/host-cflags.txt
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@

define host_test_rule
$(HOST_TEST_OUT)/test_$(1): $(call host_test_obj,$(HOST_TEST_DIR)/test_$(1).c $(HOST_TEST_$(1)) $(LOADER_ERR_SRC))
	@mkdir -p $$(@D)
	$$(Q)$$(HOSTCC) -fsanitize=address,undefined -o $$@ $$^
endef
$(foreach n,$(HOST_TEST_NAMES),$(eval $(call host_test_rule,$(n))))

# Run every binary even if one fails; fail at the end if any did.
.PHONY: host-test
host-test: $(HOST_TEST_BINS)
	@status=0; for t in $(HOST_TEST_BINS); do \
		echo "== $$t"; $$t || status=1; \
	done; exit $$status

-include $(HOST_TEST_OBJS:.o=.d)
