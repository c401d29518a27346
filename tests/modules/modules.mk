# Test crates: small objects the in-kernel loader tests load. Each is built
# like a constituent module (kernel flags, `ld -r`) into build/testmods/NAME.o
# and shipped in the ISO as `module2 /testmods/NAME.o NAME`; tm_far is built
# for the small code model (its relocation cannot reach the module area) and
# tm_corrupt is tm_hello with a broken e_shstrndx.

TESTMODS := tm_hello tm_data tm_dep tm_unresolved tm_far tm_corrupt tm_mem \
	memory_extra memory_grown memory_missing
TESTMOD_OBJS := $(patsubst %,$(BUILD)/testmods/%.o,$(TESTMODS))
TESTMOD_CFLAGS := $(filter-out -MMD -MP,$(KCFLAGS))

$(BUILD)/testmods/%.c.o: tests/modules/%.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(TESTMOD_CFLAGS) -c $< -o $@

$(BUILD)/testmods/tm_far.c.o: tests/modules/tm_far.c $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -mcmodel=kernel,$(TESTMOD_CFLAGS)) -mcmodel=small -c $< -o $@

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
