/*
 * State transfer: how a new version of a crate whose data layout changed
 * builds its fresh data from the old copy's. The new object defines
 *
 *     enum err NAME_state_transfer(const struct swap_old_data *old);
 *
 * (NAME: the crate's name without its "#N" generation), which runs in the new
 * copy after it is loaded and relocated, before anything is committed: it
 * reads the old copy's data symbols by name at their live addresses and
 * writes its own. Any error it returns cancels the swap (nothing changed).
 * Then every reference to the old data (other crates' relocations) is
 * redirected to the new data and the old copy is retired. Without such a
 * function a crate whose layout did not change has its data symbols copied
 * byte for byte; one whose layout changed is refused (E_SWAP_NO_TRANSFER).
 */
#ifndef NANO_CORE_SWAP_TRANSFER_H
#define NANO_CORE_SWAP_TRANSFER_H

#include <stddef.h>
#include <nanoswap/err.h>

struct swap_old_data;

/* The live address of the old copy's data symbol `name` and its size, or
 * NULL if the old copy has no such data symbol. */
void *swap_old_symbol(const struct swap_old_data *old, const char *name, size_t *size);

typedef enum err swap_state_transfer_fn(const struct swap_old_data *old);

#endif
