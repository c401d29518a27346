/* A table the linker script would bracket: three entries in sections
 * .tab.c, .tab.a, .tab.b (out of name order), and pointers to the bounds. */
struct ent {
	int v;
};
#define ENT(n, val) \
	static const struct ent ent_##n __attribute__((used, section(".tab." #n))) = { val }
ENT(c, 3);
ENT(a, 1);
ENT(b, 2);

extern const struct ent __tab_start[], __tab_end[];
const struct ent *const coll_bounds[2] = { __tab_start, __tab_end };
