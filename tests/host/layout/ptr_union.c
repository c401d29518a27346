/* ptrs.c with a member of union value (behind outer_p) unsigned. */
#define LAYOUT_UNION 1
#include "ptrs.c"
