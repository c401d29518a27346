/* Linked into a variant of memory.o: one more static variable, in a section
 * the nano_core's memory module does not have. A swap must refuse it. */
static int layout_extra_state = 42;

int *layout_extra(void)
{
	return &layout_extra_state;
}
