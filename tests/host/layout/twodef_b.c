/* The second unit of twodef.o (see twodef_a.c); twodef_c.c: a and b exchanged. */
struct pair {
#ifdef LAYOUT_TWODEF
	int b, a;
#else
	int a, b;
#endif
};
struct pair *pair_second;
