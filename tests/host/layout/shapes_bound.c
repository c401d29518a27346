/* shapes.c with ents with 8 elements. */
#define LAYOUT_BOUND 1
#include "shapes.c"
