/* base.c with the static local is unsigned. */
#define LAYOUT_LOCAL_TYPE 1
#include "base.c"
