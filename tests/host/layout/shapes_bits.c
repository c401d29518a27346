/* shapes.c with flags 4 bits wide. */
#define LAYOUT_BITS 1
#include "shapes.c"
