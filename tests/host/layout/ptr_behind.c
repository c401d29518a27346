/* ptrs.c with size and magic of struct block (behind free_list) exchanged. */
#define LAYOUT_BEHIND 1
#include "ptrs.c"
