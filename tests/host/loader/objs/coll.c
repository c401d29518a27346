/* A table the linker script would bracket: entries in sections .tab.c,
 * .tab.a, .tab.b and four whose names share their first 8 bytes past the
 * prefix (all out of name order), and pointers to the bounds. */
struct ent {
	int v;
};
#define ENT(n, val) \
	static const struct ent ent_##n __attribute__((used, section(".tab." #n))) = { val }
ENT(c, 7);
ENT(a, 1);
ENT(b, 2);
ENT(b_shared_prefix_2, 5);
ENT(b_shared_prefix_10, 4);
ENT(b_shared, 3);
ENT(b_shared_prefix_3, 6);

extern const struct ent __tab_start[], __tab_end[];
const struct ent *const coll_bounds[2] = { __tab_start, __tab_end };
