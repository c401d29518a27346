/* shapes.c with key through a typedef of another name. */
#define LAYOUT_TYPEDEF 1
#include "shapes.c"
