# Each module's layout blob (include/nano_core_swap/layout.h): tools/layoutfp
# reads the `ld -r` output's DWARF, and objcopy adds the blob to the module
# object as the non-allocated section .nanoswap.layout, which the loader and
# the static link ignore. Included from the top-level Makefile (before the
# module rule, which uses LAYOUTFP and layout_embed) and from
# tests/host/layout/layout.mk.

LAYOUTFP := $(BUILD)/tools/layoutfp
LAYOUTFP_SRCS := tools/layoutfp.c tools/layoutfp_type.c tools/layoutfp_refs.c tools/layoutfp_blob.c \
	nano_core_swap/layout.c kernel/console/format.c $(LOADER_ERR_SRC)
LAYOUTFP_HDRS := tools/layoutfp.h include/nano_core_swap/layout.h include/nanoswap/err.h \
	include/loader/err_list.h include/console/format.h

# libdw and libelf come from libdw-dev and libelf-dev (tools/deps.sh).
$(LAYOUTFP): $(LAYOUTFP_SRCS) $(LAYOUTFP_HDRS) $(BUILD)/host-cflags.txt | deps-check
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $(LAYOUTFP_SRCS) -ldw -lelf

# $(call layout_embed,LINKED,OUT): OUT is LINKED plus its layout blob, 8-byte
# aligned and without SHF_ALLOC; LINKED and the blob file are removed.
# (objcopy ignores an alignment given with --add-section: a second run sets it.)
layout_embed = $(LAYOUTFP) $(1) $(1).layout && \
	$(OBJCOPY) --add-section .nanoswap.layout=$(1).layout \
		--set-section-flags .nanoswap.layout=contents,readonly $(1) $(2) && \
	$(OBJCOPY) --set-section-alignment .nanoswap.layout=8 $(2) && \
	rm -f $(1) $(1).layout
