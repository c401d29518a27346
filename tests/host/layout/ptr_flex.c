/* ptrs.c with a and b of struct item (the flexible array member of struct chunk) exchanged. */
#define LAYOUT_FLEX 1
#include "ptrs.c"
