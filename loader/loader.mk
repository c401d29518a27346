# The loader's host-side build, included from the top-level Makefile.
#
#   make loader-host-test     host tests (ASan+UBSan), "N passed, N failed"
#   make build/tools/elfcheck validate + dry-run load of ELF objects
#   make fuzz                 libFuzzer over the whole load path (FUZZ_SECONDS=60)
#   make fuzz-smoke           the same for a few seconds
#
# Test objects are compiled at test time by gcc and clang with the kernel's
# module flags. libFuzzer needs Debian's libclang-rt-14-dev (`make deps`).

HOSTCC ?= gcc
LOADER_Q := $(if $(filter 1,$(V)),,@)
LOADER_CLANG ?= clang
LOADER_LD ?= ld
LOADER_OUT := build/host/loader
LOADER_SRCS := $(wildcard loader/*.c loader/x86_64/*.c)
LOADER_HDRS := $(wildcard loader/*.h loader/host/*.h include/loader/*.h include/nanoswap/*.h)
# The loader on the host: its services (a shim over malloc and host memory)
# and the enum err tables, for the host tests, elfcheck, the fuzzer and ncdesc.
LOADER_HOST_DIR := loader/host
LOADER_ERR_SRC := $(LOADER_HOST_DIR)/err.c
LOADER_SHIM_SRCS := $(LOADER_HOST_DIR)/shim.c
LOADER_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
LOADER_HOST_CFLAGS := -std=gnu11 -O1 -g $(LOADER_SAN) -Wall -Wextra -Werror -Iinclude -Iloader/host
LOADER_TEST_DIR := tests/host/loader
LOADER_TEST_SRCS := $(wildcard $(LOADER_TEST_DIR)/*.c)
LOADER_TEST_HDRS := $(wildcard $(LOADER_TEST_DIR)/*.h)

# ---- the library, checked to build with the kernel's flags ---------------

LOADER_KFLAGS := -std=gnu11 -O2 -ffreestanding -nostdinc \
	-isystem $(shell $(HOSTCC) -print-file-name=include) -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-fno-common -ffunction-sections -fdata-sections -fno-stack-protector \
	-Wall -Wextra -Werror -Iinclude
LOADER_KOBJS := $(patsubst %.c,$(LOADER_OUT)/kernel-flags/%.o,$(LOADER_SRCS))

$(LOADER_OUT)/kernel-flags/%.o: %.c $(LOADER_HDRS)
	@mkdir -p $(@D)
	$(LOADER_Q)$(HOSTCC) $(LOADER_KFLAGS) -c $< -o $@

# ---- objects the tests load, compiled at test time -----------------------

LOADER_TOBJ_FLAGS := -ffreestanding -mcmodel=kernel -mno-red-zone -fno-pic \
	-fno-common -ffunction-sections -fdata-sections -O2 -g
LOADER_TOBJ_NAMES := basic provider strong user absref pc32 cyc_a cyc_b coll
LOADER_COMPILERS := gcc clang
LOADER_TOBJS := $(foreach c,$(LOADER_COMPILERS),\
	$(foreach n,$(LOADER_TOBJ_NAMES) small got combined unique,$(LOADER_OUT)/objs/$(c)/$(n).o))

$(LOADER_OUT)/objs/gcc/%.o: $(LOADER_TEST_DIR)/objs/%.c
	@mkdir -p $(@D)
	$(LOADER_Q)gcc $(LOADER_TOBJ_FLAGS) -c $< -o $@
$(LOADER_OUT)/objs/clang/%.o: $(LOADER_TEST_DIR)/objs/%.c
	@mkdir -p $(@D)
	$(LOADER_Q)$(LOADER_CLANG) $(LOADER_TOBJ_FLAGS) -c $< -o $@
$(LOADER_OUT)/objs/gcc/small.o: $(LOADER_TEST_DIR)/objs/small.c
	@mkdir -p $(@D)
	$(LOADER_Q)gcc -ffreestanding -mcmodel=small -fno-pic -O2 -c $< -o $@
$(LOADER_OUT)/objs/clang/small.o: $(LOADER_TEST_DIR)/objs/small.c
	@mkdir -p $(@D)
	$(LOADER_Q)$(LOADER_CLANG) -ffreestanding -mcmodel=small -fno-pic -O2 -c $< -o $@
$(LOADER_OUT)/objs/gcc/got.o: $(LOADER_TEST_DIR)/objs/got.S
	@mkdir -p $(@D)
	$(LOADER_Q)gcc -c $< -o $@
$(LOADER_OUT)/objs/clang/got.o: $(LOADER_TEST_DIR)/objs/got.S
	@mkdir -p $(@D)
	$(LOADER_Q)$(LOADER_CLANG) -c $< -o $@
# `ld -r` combining two modules into one crate, as the kernel build does.
$(LOADER_OUT)/objs/%/combined.o: $(LOADER_OUT)/objs/%/basic.o $(LOADER_OUT)/objs/%/provider.o
	$(LOADER_Q)$(LOADER_LD) -r -o $@ $^
# ... and with --unique: several sections may then share a name.
$(LOADER_OUT)/objs/%/unique.o: $(LOADER_OUT)/objs/%/basic.o $(LOADER_OUT)/objs/%/provider.o
	$(LOADER_Q)$(LOADER_LD) -r --unique -o $@ $^

# Two 100k-relocation objects for test_scale.c (tools/relgen): over 10,000
# target sections and over one.
LOADER_SCALE_OBJS := $(LOADER_OUT)/objs/scale/r100000_t10000.o $(LOADER_OUT)/objs/scale/r100000_t1.o

$(LOADER_OUT)/objs/scale/r%.o: build/tools/relgen
	@mkdir -p $(@D)
	$(LOADER_Q)build/tools/relgen relocs $(subst _t, ,$*) > $(@:.o=.S)
	$(LOADER_Q)gcc -c $(@:.o=.S) -o $@

# ---- host tests ------------------------------------------------------------

LOADER_TEST_BIN := $(LOADER_OUT)/test_loader

$(LOADER_TEST_BIN): $(LOADER_SRCS) $(LOADER_TEST_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_HDRS) $(LOADER_TEST_HDRS) $(LOADER_ERR_SRC)
	@mkdir -p $(@D)
	$(LOADER_Q)$(HOSTCC) $(LOADER_HOST_CFLAGS) -I$(LOADER_TEST_DIR) -o $@ \
		$(LOADER_SRCS) $(LOADER_TEST_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_ERR_SRC)

.PHONY: loader-host-test loader-kernel-flags fuzz fuzz-smoke
loader-kernel-flags: $(LOADER_KOBJS)

loader-host-test: $(LOADER_TEST_BIN) $(LOADER_TOBJS) $(LOADER_SCALE_OBJS) $(LOADER_KOBJS) build/tools/elfcheck
	$(LOADER_TEST_BIN) $(LOADER_OUT)/objs build/tools/elfcheck

# ---- elfcheck --------------------------------------------------------------

build/tools/elfcheck: tools/elfcheck.c tools/elf_image.h $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_HDRS) $(LOADER_ERR_SRC)
	@mkdir -p $(@D)
	$(LOADER_Q)$(HOSTCC) $(LOADER_HOST_CFLAGS) -o $@ \
		tools/elfcheck.c $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_ERR_SRC)

# ---- fuzzing ---------------------------------------------------------------

# Inputs up to FUZZ_MAX_LEN bytes (real modules are up to a few MB), each
# given at most FUZZ_TIMEOUT seconds (a slower input is reported as a hang).
# Mode bit 1 of an input loads FUZZ_FIRST_OBJECT first (tests/fuzz/fuzz_load.c).
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4194304
FUZZ_TIMEOUT ?= 20
LOADER_FUZZ_BIN := $(LOADER_OUT)/fuzz_load
LOADER_FUZZ_CORPUS := $(LOADER_OUT)/fuzz-corpus
LOADER_FUZZ_FIRST := $(LOADER_OUT)/objs/gcc/provider.o

$(LOADER_FUZZ_BIN): tests/fuzz/fuzz_load.c $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_HDRS) $(LOADER_ERR_SRC)
	@mkdir -p $(@D)
	$(LOADER_Q)$(LOADER_CLANG) -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Wall -Wextra -Werror -Iinclude -I$(LOADER_HOST_DIR) \
		-DFUZZ_FIRST_OBJECT='"$(abspath $(LOADER_FUZZ_FIRST))"' \
		-o $@ tests/fuzz/fuzz_load.c $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_ERR_SRC)

# Seeds: the test objects, plus the kernel's module objects when built.
LOADER_FUZZ_SEEDS = $(LOADER_TOBJS) $(wildcard build/modules/*.o)
$(LOADER_FUZZ_CORPUS)/.seeded: $(LOADER_TOBJS)
	@mkdir -p $(@D)
	$(LOADER_Q)for f in $(LOADER_FUZZ_SEEDS); do cp $$f $(@D)/$$(basename $$(dirname $$f))-$$(basename $$f); done
	@touch $@

fuzz: $(LOADER_FUZZ_BIN) $(LOADER_FUZZ_CORPUS)/.seeded $(LOADER_FUZZ_FIRST)
	@mkdir -p $(LOADER_OUT)/fuzz-artifacts
	$(LOADER_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
		-timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 \
		-artifact_prefix=$(LOADER_OUT)/fuzz-artifacts/ $(LOADER_FUZZ_CORPUS)

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5
