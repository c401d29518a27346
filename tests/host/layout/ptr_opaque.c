/* ptrs.c with the opaque struct hidden renamed hidden_other. */
#define LAYOUT_OPAQUE_RENAMED 1
#include "ptrs.c"
