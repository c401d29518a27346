# Test crates: small objects the in-kernel loader tests load. Each is built
# like a constituent module (kernel flags, `ld -r`) into build/testmods/NAME.o
# and shipped in the ISO as `module2 /testmods/NAME.o NAME`; tm_far is built
# for the small code model (its relocation cannot reach the module area) and
# tm_corrupt is tm_hello with a broken e_shstrndx.

TESTMODS := tm_hello tm_data tm_dep tm_unresolved tm_far tm_corrupt tm_mem \
	memory_extra memory_grown memory_missing tstate tstate_v2 tstate_v2x tuser \
	memory_v2 heap_v2 memory_fields memory_static memory_padded memory_nolayout \
	heap_fields memory_param tsound heap_norela heap_hookfail heap_hookfault tm_ssp
TESTMOD_OBJS := $(patsubst %,$(BUILD)/testmods/%.o,$(TESTMODS))

$(BUILD)/testmods/%.c.o: tests/modules/%.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/testmods/tm_far.c.o: tests/modules/tm_far.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -mcmodel=kernel,$(KCFLAGS)) -mcmodel=small -c $< -o $@

# tm_ssp: the stack protector as Linux x86_64 objects have it (%gs:0x28).
$(BUILD)/testmods/tm_ssp.c.o: tests/modules/tm_ssp.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fno-stack-protector,$(KCFLAGS)) -fstack-protector-all \
		-mstack-protector-guard=tls -mstack-protector-guard-reg=gs \
		-mstack-protector-guard-offset=40 -c $< -o $@

$(BUILD)/testmods/%.o: $(BUILD)/testmods/%.c.o
	$(Q)$(LD) -r -o $@ $<

# e_shstrndx (offset 62, 2 bytes) pointed past the section table.
$(BUILD)/testmods/tm_corrupt.o: $(BUILD)/testmods/tm_hello.o
	$(Q)cp $< $@.tmp && printf '\377\177' | dd of=$@.tmp bs=1 seek=62 conv=notrunc status=none
	$(Q)mv $@.tmp $@

$(BUILD)/testmods/memory_%.o: $(BUILD)/modules/memory.o $(BUILD)/testmods/layout_%.c.o
	$(Q)$(LD) -r -o $@ $^

# memory.o with one data section made read-only: it lacks that data section.
$(BUILD)/testmods/memory_missing.o: $(BUILD)/modules/memory.o
	$(Q)$(OBJCOPY) --set-section-flags .bss.frame_hint=alloc,readonly $< $@

# Crates that evolve (tests/kernel/test_evolve.c): like the modules, they
# carry their layout blob (.nanoswap.layout), which a swap to a new version
# compares.
EVOLVE_CRATES := tstate tstate_v2 tstate_v2x tuser
# tstate_v2x: tstate_v2 without its transfer function (a swap must refuse it)
$(BUILD)/testmods/tstate_v2x.c.o: tests/modules/tstate_v2.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) -DTSTATE_WITHOUT_TRANSFER -c $< -o $@

$(patsubst %,$(BUILD)/testmods/%.o,$(EVOLVE_CRATES)): $(BUILD)/testmods/%.o: \
		$(BUILD)/testmods/%.c.o $(LAYOUTFP)
	$(Q)$(LD) -r -o $@.ld $<
	$(Q)$(call layout_embed,$@.ld,$@)

# New versions of constituent modules, built from the module's own sources
# with one macro (VARIANT_name := module MACRO): memory_v2 and heap_v2 change
# an algorithm (FRAME_ALLOC_TOP_DOWN: the highest free frame; HEAP_BEST_FIT:
# the smallest free block that fits) and keep the data layout; the
# NANOSWAP_TEST_LAYOUT_* ones change it (kernel/memory: two counters
# exchanged, a static local's type, a member added in a struct's padding;
# kernel/heap: two fields of struct block, behind the pointer free_list), or
# an interface (memory_param: two members of struct mem_stats, include/memory/
# memory.h, the parameter of mem_get_stats), which a swap must refuse by name.
VARIANT_memory_v2     := memory FRAME_ALLOC_TOP_DOWN
VARIANT_heap_v2       := heap HEAP_BEST_FIT
VARIANT_memory_fields := memory NANOSWAP_TEST_LAYOUT_EXCHANGED
VARIANT_memory_static := memory NANOSWAP_TEST_LAYOUT_STATIC
VARIANT_memory_padded := memory NANOSWAP_TEST_LAYOUT_PADDED
VARIANT_heap_fields   := heap NANOSWAP_TEST_LAYOUT_FIELDS
VARIANT_memory_param  := memory NANOSWAP_TEST_LAYOUT_PARAM
VARIANT_NAMES := memory_v2 heap_v2 memory_fields memory_static memory_padded heap_fields \
	memory_param

define variant_rule
$(BUILD)/variants/$(1)/%.c.o: %.c $(BUILD)/kcflags.txt | $(BUILD)/gen/modules.h
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(KCFLAGS) $$(DEPFLAGS) -D$(word 2,$(VARIANT_$(1))) -c $$< -o $$@
$(BUILD)/testmods/$(1).o: $$(patsubst %,$(BUILD)/variants/$(1)/%.o,\
		$$(call module_srcs,$(word 1,$(VARIANT_$(1))))) $(LAYOUTFP)
	@mkdir -p $$(@D)
	$$(Q)$$(LD) -r -o $$@.ld $$(filter-out $(LAYOUTFP),$$^)
	$$(Q)$$(call layout_embed,$$@.ld,$$@)
endef
$(foreach v,$(VARIANT_NAMES),$(eval $(call variant_rule,$(v))))

# memory.o without its layout blob: not the object linked either, so a swap
# to it cannot check its data layout and must refuse it (E_SWAP_NO_LAYOUT).
$(BUILD)/testmods/memory_nolayout.o: $(BUILD)/modules/memory.o
	$(Q)$(OBJCOPY) --remove-section .nanoswap.layout $< $@

# The swap's soundness tests (tests/kernel/test_sound.c): tsound, a crate
# whose .bss holds a stale function pointer and string pointer; heap_norela,
# heap.o without kmalloc's relocations (its call to kmalloc_aligned is left
# `call .+5`, so kmalloc returns into the caller's frame address: an
# instruction fetch from the NX stack, a page fault, on first use after the
# commit); heap_hookfail and heap_hookfault, heap with a swap hook that
# returns an error or reads an unmapped address (kernel/heap/heap.c,
# NANOSWAP_TEST_HOOK_*: rodata only, the data layout stays heap's).
$(BUILD)/testmods/heap_norela.o: $(BUILD)/modules/heap.o
	$(Q)$(OBJCOPY) --remove-section=.rela.text.kmalloc $< $@

VARIANT_heap_hookfail  := heap NANOSWAP_TEST_HOOK_FAILS
VARIANT_heap_hookfault := heap NANOSWAP_TEST_HOOK_FAULTS
$(foreach v,heap_hookfail heap_hookfault,$(eval $(call variant_rule,$(v))))

# Every object above depends on the headers it includes (a changed header
# rebuilds the variants too).
-include $(wildcard $(BUILD)/variants/*/*/*.d $(BUILD)/variants/*/*/*/*.d $(BUILD)/testmods/*.d)
