# libFuzzer over the loader's whole input path (tests/fuzz/fuzz_load.c),
# included from tests/tests.mk. libFuzzer needs Debian's libclang-rt-14-dev
# (`make deps`).
#
#   make fuzz                 FUZZ_SECONDS=60 by default
#   make fuzz-smoke           the same for a few seconds (part of `make test`)
#
# Inputs up to FUZZ_MAX_LEN bytes (real modules are up to a few MB), each
# given at most FUZZ_TIMEOUT seconds (a slower input is reported as a hang).
# Mode bit 1 of an input loads FUZZ_FIRST_OBJECT first.
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4194304
FUZZ_TIMEOUT ?= 20
LOADER_FUZZ_BIN := $(LOADER_OUT)/fuzz_load
LOADER_FUZZ_CORPUS := $(LOADER_OUT)/fuzz-corpus
LOADER_FUZZ_FIRST := $(LOADER_OUT)/objs/gcc/provider.o

$(LOADER_FUZZ_BIN): $(BUILD)/host-cflags.txt tests/fuzz/fuzz_load.c $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_HDRS) $(LOADER_ERR_SRC)
	@mkdir -p $(@D)
	$(Q)$(LOADER_CLANG) $(HOST_CFLAGS) -fsanitize=fuzzer \
		-DFUZZ_FIRST_OBJECT='"$(abspath $(LOADER_FUZZ_FIRST))"' \
		-o $@ tests/fuzz/fuzz_load.c $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_ERR_SRC)

# Seeds: the test objects, plus the kernel's module objects when built.
LOADER_FUZZ_SEEDS = $(LOADER_TOBJS) $(wildcard $(BUILD)/modules/*.o)
$(LOADER_FUZZ_CORPUS)/.seeded: $(LOADER_TOBJS)
	@mkdir -p $(@D)
	$(Q)for f in $(LOADER_FUZZ_SEEDS); do cp $$f $(@D)/$$(basename $$(dirname $$f))-$$(basename $$f); done
	@touch $@

.PHONY: fuzz fuzz-smoke
fuzz: $(LOADER_FUZZ_BIN) $(LOADER_FUZZ_CORPUS)/.seeded $(LOADER_FUZZ_FIRST)
	@mkdir -p $(LOADER_OUT)/fuzz-artifacts
	$(LOADER_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
		-timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 \
		-artifact_prefix=$(LOADER_OUT)/fuzz-artifacts/ $(LOADER_FUZZ_CORPUS)

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5
