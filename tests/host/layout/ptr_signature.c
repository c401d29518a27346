/* ptrs.c with ptrs_count taking a long. */
#define LAYOUT_SIGNATURE 1
#include "ptrs.c"
