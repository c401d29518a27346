/* base.c with one more enumerator. */
#define LAYOUT_ENUM_ADDED 1
#include "base.c"
