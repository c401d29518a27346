# nanoswap: a higher-half x86_64 kernel whose base image re-loads its own parts.
#
#   make            build build/nanoswap.iso
#   make run        boot it in QEMU to the nanoswap> shell (CMDLINE="..." passes a
#                   kernel command line; MODULES="a.o dir/b.o" adds objects as the
#                   boot modules a and b, for the shell's `load a`; SMP=N CPUs, 2)
#   make debug      the same, paused, with gdb attached (tools/gdb/nanoswap.py)
#   make push OBJ=F upload object F to the kernel make run started (build/push.sock)
#   make test       host tests + QEMU boot tests; ends with "N passed, N failed"
#                   (T=PATTERN: only the suites whose name contains it, tests/run.sh)
#   make bench      benchmarks in guest instructions (QEMU -icount shift=0)
#   make deps       install the tools (apt-get, as root)
#   make V=1        show the commands

# The constituent modules, in swap order (memory first). Each is kernel/NAME/
# combined with `ld -r` into build/modules/NAME.o; linker.ld gives each its own
# page-aligned text/rodata/data/bss ranges. The shell comes last, so that its
# calls bind to the re-loaded copies of all the others.
NC_MODULES := memory console interrupts heap sched smp push bootinfo lib loader crates nano_core_swap init workload ktest shell

BUILD   := build
CC      := gcc
LD      := ld
OBJCOPY := objcopy
HOSTCC  := gcc
CMDLINE ?=
MODULES ?=
EXTRA_OBJS := $(abspath $(MODULES))
QEMU_TIMEOUT ?= 60
# make run's CPUs (QEMU -smp)
SMP ?= 2

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- flags: one set per kind of target -----------------------------------

# Kernel code: boot/, every constituent module, and what is built like one
# (the test crates of tests/modules/, the layout tests' objects).
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-common \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls -fno-shrink-wrap -ffunction-sections \
	-fdata-sections -fno-merge-constants -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fcf-protection=none -Wall -Wextra -Werror -Iinclude -I$(BUILD)/gen
# An object compiled outside the kernel's rules to be loaded, by gcc or clang,
# as a module author would: ext_hello; the loader's test objects and the
# layout tests' clang object add a section per function and object, as the
# kernel's modules have.
MODULE_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -mcmodel=kernel -mno-red-zone \
	-mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-common -fno-stack-protector \
	-fcf-protection=none -Wall -Wextra -Werror -Iinclude
SECTION_CFLAGS := -ffunction-sections -fdata-sections
# Host programs, the tests and the tools: ASan + UBSan, any error fatal.
HOST_CFLAGS := -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Werror -Iinclude -Iloader/host
DEPFLAGS := -MMD -MP
LIBGCC  := $(shell $(CC) -print-libgcc-file-name)

# ---- sources -------------------------------------------------------------

# kernel/NAME/, except: the loader is loader/ (it builds for the host too),
# nano_core_swap is nano_core_swap/, and the ktest module carries the
# in-kernel suites of tests/kernel/.
module_dirs = $(if $(filter loader,$(1)),loader loader/x86_64,$(if \
	$(filter nano_core_swap,$(1)),nano_core_swap,kernel/$(1))) \
	$(if $(filter ktest,$(1)),tests/kernel)
# sorted: the link order (and so the image) must not depend on the directory order
module_srcs = $(foreach d,$(call module_dirs,$(1)),$(sort $(wildcard $(d)/*.c $(d)/*.S)))
obj = $(patsubst %,$(BUILD)/obj/%.o,$(1))

BOOT_OBJS   := $(call obj,$(wildcard boot/*.S boot/*.c))
MODULE_OBJS := $(patsubst %,$(BUILD)/modules/%.o,$(NC_MODULES))
ALL_KOBJS   := $(BOOT_OBJS) $(foreach m,$(NC_MODULES),$(call obj,$(call module_srcs,$(m))))

.PHONY: all iso run debug push test bench deps deps-check clean FORCE
all iso: $(BUILD)/nanoswap.iso

# The compiler and flags are part of every object: a stamp per kind, rewritten
# only when they change, which that kind's objects depend on.
write_if_changed = @mkdir -p $(@D) && echo '$(1)' > $@.tmp && \
	{ cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }
$(BUILD)/kcflags.txt: FORCE
	$(call write_if_changed,$(CC) $(KCFLAGS) (ktest: $(KTEST_CFLAGS)))
$(BUILD)/module-cflags.txt: FORCE
	$(call write_if_changed,gcc clang $(MODULE_CFLAGS) $(SECTION_CFLAGS))
$(BUILD)/host-cflags.txt: FORCE
	$(call write_if_changed,$(HOSTCC) $(HOST_CFLAGS))

$(BUILD)/obj/%.c.o: %.c $(BUILD)/kcflags.txt | $(BUILD)/gen/modules.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S $(BUILD)/kcflags.txt
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) $(DEPFLAGS) -c $< -o $@

include loader/loader.mk
include tools/layoutfp.mk

define module_rule
$(BUILD)/modules/$(1).o: $(call obj,$(call module_srcs,$(1))) $(LAYOUTFP)
	@mkdir -p $$(@D)
	$$(Q)$$(LD) -r -o $$@.ld $$(filter-out $(LAYOUTFP),$$^)
	$$(Q)$$(call layout_embed,$$@.ld,$$@)
endef
$(foreach m,$(NC_MODULES),$(eval $(call module_rule,$(m))))

# The in-kernel tests need no section per function (nothing tracks, swaps or
# retires one test function alone): ktest's text is one section per file,
# which spares every swap of it the per-section work of ~200 sections.
KTEST_CFLAGS := -fno-function-sections
$(call obj,$(call module_srcs,ktest)): KCFLAGS += $(KTEST_CFLAGS)

# ---- the nano_core -------------------------------------------------------

$(BUILD)/gen/modules.h: FORCE
	@mkdir -p $(@D)
	@echo '#define FOR_EACH_MODULE(X) $(foreach m,$(NC_MODULES),X($(m)))' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/linker.ld: linker.ld $(BUILD)/gen/modules.h include/memory/layout.h
	$(Q)$(CC) -E -P -undef -x assembler-with-cpp -D__ASSEMBLER__ -Iinclude -I$(BUILD)/gen $< -o $@

# The full image keeps its relocations (--emit-relocs) for the swap; GRUB
# refuses an ELF with RELA sections, so it boots a copy without them.
$(BUILD)/nano_core.elf: $(BOOT_OBJS) $(MODULE_OBJS) $(BUILD)/linker.ld
	$(Q)$(LD) -n -nostdlib -z max-page-size=4096 -T $(BUILD)/linker.ld --emit-relocs --no-warn-rwx-segments \
		-Map $(BUILD)/nano_core.map -o $@ $(BOOT_OBJS) $(MODULE_OBJS) $(LIBGCC)

$(BUILD)/nanoswap.elf: $(BUILD)/nano_core.elf
	$(Q)$(OBJCOPY) --remove-section='.rela*' $< $@

# The nano_core's self-description (include/nano_core_swap/desc.h): where each
# module's input sections landed, their symbols, and every relocation the
# static linker applied, attributed and cross-checked. Fails the build if any
# site cannot be attributed.
# The host side of the push channel (tools/nanoswap-push runs it).
$(BUILD)/tools/nanoswap-push: tools/nanoswap_push.c kernel/push/frame.c include/push/frame.h \
		$(BUILD)/host-cflags.txt
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude -o $@ tools/nanoswap_push.c \
		kernel/push/frame.c

$(BUILD)/tools/ncdesc: $(BUILD)/host-cflags.txt tools/ncdesc.c tools/elf_image.h include/nano_core_swap/desc.h $(LOADER_SRCS) $(LOADER_HDRS) $(LOADER_ERR_SRC)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ tools/ncdesc.c $(LOADER_SRCS) $(LOADER_ERR_SRC)

# Generates synthetic objects: many relocations or symbols (the loader's
# scale tests, make bench).
$(BUILD)/tools/relgen: tools/relgen.c $(BUILD)/host-cflags.txt
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $<

$(BUILD)/nano_core.desc: $(BUILD)/tools/ncdesc $(BUILD)/nano_core.elf
	$(Q)$(BUILD)/tools/ncdesc $@ $(BUILD)/nano_core.elf $(BUILD)/nano_core.map \
		boot=$(BOOT_OBJS) $(foreach m,$(NC_MODULES),$(m)=$(BUILD)/modules/$(m).o) >/dev/null

include tests/modules/modules.mk

ISO_INPUTS := $(BUILD)/nanoswap.elf $(BUILD)/nano_core.elf $(BUILD)/nano_core.desc \
	$(MODULE_OBJS) $(TESTMOD_OBJS) \
	tools/mkiso.sh

# The command line is baked into grub.cfg: rebuild when it changes.
$(BUILD)/cmdline.txt: FORCE
	@mkdir -p $(@D)
	@printf '%s' '$(CMDLINE)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# The extra objects (MODULES=) too, as "NAME PATH" lines; gdb reads them.
$(BUILD)/extra-modules.txt: FORCE
	@mkdir -p $(@D)
	@: > $@.tmp; for o in $(EXTRA_OBJS); do echo "$$(basename $$o .o) $$o" >> $@.tmp; done
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/nanoswap.iso: $(ISO_INPUTS) $(BUILD)/cmdline.txt $(BUILD)/extra-modules.txt $(EXTRA_OBJS) | deps-check
	$(Q)tools/mkiso.sh $@ "$$(cat $(BUILD)/cmdline.txt)" $(BUILD) $(NC_MODULES) -- $(TESTMODS) \
		--extra $(EXTRA_OBJS)

# ---- running -------------------------------------------------------------

run: $(BUILD)/nanoswap.iso
	$(Q)tools/qemu-run.sh $(BUILD)/nanoswap.iso -smp $(SMP)

# Upload an object to the kernel `make run` started, through its push channel
# (COM2 on $(SOCKET)): make push OBJ=FILE [NAME=N] (tools/nanoswap-push).
SOCKET ?= $(BUILD)/push.sock
push: $(BUILD)/tools/nanoswap-push
	@test -n "$(OBJ)" || { echo "make push: OBJ=FILE is required" >&2; exit 2; }
	$(Q)$(BUILD)/tools/nanoswap-push --socket $(SOCKET) $(OBJ) $(NAME)

# QEMU paused with its gdb stub, and gdb with nanoswap-symbols (tools/gdb/).
debug: $(BUILD)/nanoswap.iso
	$(Q)tools/qemu-debug.sh $(BUILD)

# Benchmarks in guest instructions (QEMU -icount shift=0: rdtsc counts them):
# make bench [BENCH_OBJECTS="a.ko b.o"] (tests/bench.mk).
include tests/bench.mk

deps:
	$(Q)tools/deps.sh install

deps-check:
	$(Q)tools/deps.sh check

-include $(ALL_KOBJS:.o=.d)
include tests/tests.mk

clean:
	rm -rf $(BUILD)

FORCE:

# Keep intermediate objects (test crates) so rebuilds stay incremental.
.SECONDARY:
