/* base.c with an enumerator with another value. */
#define LAYOUT_ENUM_VALUE 1
#include "base.c"
