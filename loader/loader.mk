# The loader's sources, and the loader on the host, included from the
# top-level Makefile. The kernel builds loader/ as the constituent module
# `loader`; host programs (the loader's host tests, elfcheck, the fuzzer,
# ncdesc) compile the same sources with HOST_CFLAGS and link the host
# services of loader/host/.
#
#   make $(BUILD)/tools/elfcheck    validate + dry-run load of ELF objects

LOADER_SRCS := $(wildcard loader/*.c loader/x86_64/*.c)
# The loader on the host: its services (a shim over malloc and host memory,
# with failure injection and counters) and the enum err tables.
LOADER_HOST_DIR := loader/host
LOADER_ERR_SRC := $(LOADER_HOST_DIR)/err.c
LOADER_SHIM_SRCS := $(LOADER_HOST_DIR)/shim.c
LOADER_HDRS := $(wildcard loader/*.h $(LOADER_HOST_DIR)/*.h include/loader/*.h include/nanoswap/*.h)

$(BUILD)/tools/elfcheck: $(BUILD)/host-cflags.txt tools/elfcheck.c tools/elf_image.h $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_HDRS) $(LOADER_ERR_SRC)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ tools/elfcheck.c $(LOADER_SRCS) $(LOADER_SHIM_SRCS) $(LOADER_ERR_SRC)
