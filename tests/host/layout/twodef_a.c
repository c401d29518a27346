/* With twodef_b.c in one `ld -r` object (twodef.o): struct pair defined
 * alike in both units, so the blob has one entry for it, behind two
 * pointers; twodef_other.o (with twodef_c.c) defines it otherwise in the
 * second unit: two entries where the running kernel has one. */
struct pair {
	int a, b;
};
struct pair *pair_first;
