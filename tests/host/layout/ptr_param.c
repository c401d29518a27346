/* ptrs.c with used and free of struct stats (the parameter of ptrs_get_stats) exchanged. */
#define LAYOUT_PARAM 1
#include "ptrs.c"
