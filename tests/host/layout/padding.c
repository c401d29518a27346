/* base.c with a member added in the tail padding. */
#define LAYOUT_PADDING 1
#include "base.c"
