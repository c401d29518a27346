/* One half of a cycle: cyc_a calls cyc_b, which calls cyc_a. Neither loads
 * alone; as one group they do. */
int cyc_b(int x);

int cyc_a(int x)
{
	return x <= 0 ? 1 : cyc_b(x - 1) + 1;
}
