/*
 * NS_NOPTR: zero-initialised data whose words are never addresses (bitmaps,
 * bulk counters). It goes into its module's `.bss.noptr` section, which the
 * swap's conservative scan for pointers into old code skips (step (10),
 * nano_core_swap/retire.c): scanning the frame allocator's bitmaps would cost
 * more than everything else the scan reads, and can only find false
 * positives there. Never use it for data that may hold a pointer, even one
 * stored as an integer.
 */
#ifndef NANOSWAP_NOPTR_H
#define NANOSWAP_NOPTR_H

#define NS_NOPTR_SECTION ".bss.noptr"
#define NS_NOPTR __attribute__((section(NS_NOPTR_SECTION)))

/*
 * NS_NOSCAN: zero-initialised bookkeeping that describes code by number and
 * never calls it (the swap's reports of old text ranges, the last trap's
 * record): into `.bss.noscan`, which the scan skips as well, so that
 * describing an old copy never keeps it mapped.
 */
#define NS_NOSCAN_SECTION ".bss.noscan"
#define NS_NOSCAN __attribute__((section(NS_NOSCAN_SECTION)))

#endif
