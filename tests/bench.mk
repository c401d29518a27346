# make bench, included by the top-level Makefile: boot build/bench.iso with
# the `bench` command line under QEMU -icount shift=0 (rdtsc counts guest
# instructions), print the kernel's "bench:" lines and write build/bench.json
# (tools/bench.sh). The ISO holds, besides the usual modules and test crates,
# under /extra/ (each shipped as boot module BASENAME-without-extension):
#
#   BENCH_OBJECTS="path/a.ko path/b.o"   each object as boot module `a`, `b`
#                  (its basename without .o/.ko), and its stub crate `a_stubs`:
#                  one .text.stub.NAME section per import the nano_core does
#                  not define (tools/mkstubs.sh), loaded before `a`;
#   syn_rN_tT      N relocations into T target sections (tools/relgen.c), for
#                  N in BENCH_SCALE_RELOCS and T in BENCH_SCALE_TARGETS;
#   lookup_N       N global symbols, for N in BENCH_LOOKUP_SYMBOLS;
#   bench_manifest which of these to measure, one line each (the kernel reads
#                  it: tests/kernel/bench_measure.h).
#
# Names must be unique among all boot modules. Paths must not contain spaces.

BENCH_OBJECTS ?=
BENCH_DIR := $(BUILD)/bench
BENCH_SCALE_RELOCS := 1000 10000 100000
BENCH_SCALE_TARGETS := 100 10000
BENCH_LOOKUP_SYMBOLS := 1000 10000 100000

bench_name = $(basename $(notdir $(1)))
BENCH_NAMES := $(foreach o,$(BENCH_OBJECTS),$(call bench_name,$(o)))
BENCH_SCALE := $(foreach n,$(BENCH_SCALE_RELOCS),$(foreach t,$(BENCH_SCALE_TARGETS),syn_r$(n)_t$(t)))
BENCH_LOOKUP := $(patsubst %,lookup_%,$(BENCH_LOOKUP_SYMBOLS))
BENCH_ALL_NAMES := $(foreach n,$(BENCH_NAMES),$(n) $(n)_stubs) $(BENCH_SCALE) $(BENCH_LOOKUP)

ifneq ($(words $(sort $(BENCH_ALL_NAMES) $(NC_MODULES) $(TESTMODS) nano_core nano_core_desc bench_manifest)),$(words $(BENCH_ALL_NAMES) $(NC_MODULES) $(TESTMODS) nano_core nano_core_desc bench_manifest))
$(error BENCH_OBJECTS: two boot modules would share a name (names are basenames without .o/.ko): $(BENCH_NAMES))
endif

BENCH_FILES := $(patsubst %,$(BENCH_DIR)/%.o,$(BENCH_ALL_NAMES)) $(BENCH_DIR)/bench_manifest.txt

# A given object, copied under its boot-module name; its stub crate.
define bench_object_rule
$(BENCH_DIR)/$(call bench_name,$(1)).o: $(1)
	@mkdir -p $$(@D)
	$$(Q)cp $$< $$@
$(BENCH_DIR)/gen/$(call bench_name,$(1))_stubs.S: $(1) $(BUILD)/nano_core.elf tools/mkstubs.sh
	@mkdir -p $$(@D)
	$$(Q)tools/mkstubs.sh $(1) $(BUILD)/nano_core.elf > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach o,$(BENCH_OBJECTS),$(eval $(call bench_object_rule,$(o))))

define bench_scale_rule
$(BENCH_DIR)/gen/syn_r$(1)_t$(2).S: $(BUILD)/tools/relgen
	@mkdir -p $$(@D)
	$$(Q)$(BUILD)/tools/relgen relocs $(1) $(2) > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach n,$(BENCH_SCALE_RELOCS),$(foreach t,$(BENCH_SCALE_TARGETS),$(eval $(call bench_scale_rule,$(n),$(t)))))

$(BENCH_DIR)/gen/lookup_%.S: $(BUILD)/tools/relgen
	@mkdir -p $(@D)
	$(Q)$(BUILD)/tools/relgen symbols $* > $@.tmp && mv $@.tmp $@

$(BENCH_DIR)/%.o: $(BENCH_DIR)/gen/%.S
	$(Q)$(CC) -c $< -o $@

# The manifest follows BENCH_OBJECTS: rewritten only when it changes.
$(BENCH_DIR)/bench_manifest.txt: FORCE
	@mkdir -p $(@D)
	@{ $(foreach n,$(BENCH_NAMES),echo 'load $(n) $(n)_stubs';) \
	   $(foreach n,$(BENCH_SCALE_RELOCS),$(foreach t,$(BENCH_SCALE_TARGETS),echo 'scale syn_r$(n)_t$(t) $(n) $(t)';)) \
	   $(foreach n,$(BENCH_LOOKUP_SYMBOLS),echo 'lookup lookup_$(n) $(n)';) } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/bench.iso: $(ISO_INPUTS) $(BENCH_FILES) tests/bench.mk | deps-check
	$(Q)tools/mkiso.sh $@ "bench" $(BUILD) $(NC_MODULES) -- $(TESTMODS) --extra $(BENCH_FILES)

bench: $(BUILD)/bench.iso
	$(Q)tools/bench.sh $< $(BUILD)/bench.json
