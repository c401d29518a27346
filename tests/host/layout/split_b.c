/* The definition of split_a.c's struct shared (split_swapped.c: a and b
 * exchanged). */
struct shared {
#ifdef LAYOUT_SPLIT
	int b, a;
#else
	int a, b;
#endif
};

int split_sum(struct shared *s)
{
	return s->a + s->b;
}
