# tests/host/layout: objects compiled at test time with the kernel's flags,
# run through tools/layoutfp by test_layout (a variable's own rows, the blob's
# fields) and test_layout_types (the types reached, the interfaces, the new
# tables' fields), which check the blobs with nano_core_swap/layout*.c.
# Included from tests/host/host.mk.
#
#   base.c                 memory's counters and a static local (the running kernel)
#   swapped.c ...          base.c with one LAYOUT_* change each; base_again.o is
#                          base.c built again; moved.o, base.o after in_front.c
#   shapes*.c              every kind of member, and three changes to it; also
#                          built by clang
#   cu_a.c cu_b.c asm_data.S   one `ld -r` object: two statics of one name, and
#                          a symbol and a function without DWARF
#   ptrs.c ptr_*.c         types behind pointers (a cycle, a union, an opaque
#                          type, ...) and global functions' parameters, and one
#                          change behind a pointer each; ptrs_again.o and
#                          ptrs_clang.o are ptrs.c again
#   split_a.c split_b.c    one `ld -r` object (split.o): a struct one unit
#                          declares and the other defines; split_other.o with
#                          split_swapped.c, its members exchanged
#   twodef_[abc].c         one struct defined in two units: alike (twodef.o),
#                          and otherwise (twodef_other.o)

LAYOUT_TEST_DIR := $(HOST_TEST_DIR)/layout
LAYOUT_TEST_OUT := $(HOST_TEST_OUT)/layout
LAYOUT_TEST_BIN := $(HOST_TEST_OUT)/test_layout
LAYOUT_PTR_VARIANTS := $(patsubst $(LAYOUT_TEST_DIR)/%.c,%,$(wildcard $(LAYOUT_TEST_DIR)/ptr_*.c))
LAYOUT_GCC_OBJS := $(patsubst %,$(LAYOUT_TEST_OUT)/%.o,base swapped local_type padding \
	enum_value enum_added in_front shapes shapes_bound shapes_bits shapes_typedef cu_a cu_b \
	ptrs $(LAYOUT_PTR_VARIANTS) split_a split_b split_swapped twodef_a twodef_b twodef_c)
LAYOUT_TEST_OBJS := $(LAYOUT_GCC_OBJS) $(patsubst %,$(LAYOUT_TEST_OUT)/%.o,base_again \
	shapes_clang twocu moved ptrs_again ptrs_clang split split_other \
	twodef twodef_other)
LAYOUT_TYPES_BIN := $(HOST_TEST_OUT)/test_layout_types
LAYOUT_CODE := nano_core_swap/layout.c nano_core_swap/layout_cmp.c nano_core_swap/layout_walk.c \
	kernel/console/format.c $(LOADER_ERR_SRC)
LAYOUT_TEST_LINK := $(call host_test_obj,$(LAYOUT_TEST_DIR)/test_layout.c $(LAYOUT_CODE))
LAYOUT_TYPES_LINK := $(call host_test_obj,$(LAYOUT_TEST_DIR)/test_layout_types.c $(LAYOUT_CODE))

$(LAYOUT_GCC_OBJS): $(LAYOUT_TEST_OUT)/%.o: $(LAYOUT_TEST_DIR)/%.c $(LAYOUT_TEST_DIR)/base.c \
		$(LAYOUT_TEST_DIR)/shapes.c $(LAYOUT_TEST_DIR)/ptrs.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)gcc $(KCFLAGS) -c $< -o $@

$(LAYOUT_TEST_OUT)/base_again.o: $(LAYOUT_TEST_DIR)/base.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)gcc $(KCFLAGS) -c $< -o $@

$(LAYOUT_TEST_OUT)/ptrs_again.o: $(LAYOUT_TEST_DIR)/ptrs.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)gcc $(KCFLAGS) -c $< -o $@

$(LAYOUT_TEST_OUT)/%_clang.o: $(LAYOUT_TEST_DIR)/%.c $(BUILD)/module-cflags.txt
	@mkdir -p $(@D)
	$(Q)clang $(MODULE_CFLAGS) $(SECTION_CFLAGS) -c $< -o $@

$(LAYOUT_TEST_OUT)/asm_data.o: $(LAYOUT_TEST_DIR)/asm_data.S
	@mkdir -p $(@D)
	$(Q)gcc -g -c $< -o $@

$(LAYOUT_TEST_OUT)/twocu.o: $(LAYOUT_TEST_OUT)/cu_a.o $(LAYOUT_TEST_OUT)/cu_b.o \
		$(LAYOUT_TEST_OUT)/asm_data.o
	$(Q)$(LD) -r -o $@ $^

$(LAYOUT_TEST_OUT)/split.o: $(LAYOUT_TEST_OUT)/split_a.o $(LAYOUT_TEST_OUT)/split_b.o
	$(Q)$(LD) -r -o $@ $^

$(LAYOUT_TEST_OUT)/split_other.o: $(LAYOUT_TEST_OUT)/split_a.o $(LAYOUT_TEST_OUT)/split_swapped.o
	$(Q)$(LD) -r -o $@ $^

$(LAYOUT_TEST_OUT)/twodef.o: $(LAYOUT_TEST_OUT)/twodef_a.o $(LAYOUT_TEST_OUT)/twodef_b.o
	$(Q)$(LD) -r -o $@ $^

$(LAYOUT_TEST_OUT)/twodef_other.o: $(LAYOUT_TEST_OUT)/twodef_a.o $(LAYOUT_TEST_OUT)/twodef_c.o
	$(Q)$(LD) -r -o $@ $^

$(LAYOUT_TEST_OUT)/moved.o: $(LAYOUT_TEST_OUT)/in_front.o $(LAYOUT_TEST_OUT)/base.o
	$(Q)$(LD) -r -o $@ $^

# The objects and the tool are inputs of the run, not of the link.
$(LAYOUT_TEST_BIN): $(LAYOUT_TEST_LINK) $(LAYOUT_TEST_OBJS) $(LAYOUTFP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -fsanitize=address,undefined -o $@ $(LAYOUT_TEST_LINK)
$(LAYOUT_TYPES_BIN): $(LAYOUT_TYPES_LINK) $(LAYOUT_TEST_OBJS) $(LAYOUTFP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -fsanitize=address,undefined -o $@ $(LAYOUT_TYPES_LINK)

HOST_TEST_BINS += $(LAYOUT_TEST_BIN) $(LAYOUT_TYPES_BIN)
HOST_TEST_OBJS += $(LAYOUT_TEST_LINK) $(LAYOUT_TYPES_LINK)
