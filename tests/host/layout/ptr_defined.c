/* ptrs.c with the opaque struct hidden defined (the same name). */
#define LAYOUT_OPAQUE_DEFINED 1
#include "ptrs.c"
