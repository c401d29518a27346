/* A host program's one copy of the enum err tables (include/nanoswap/err_table.h). */
#include <nanoswap/err_table.h>
