/* The other half of the cycle of cyc_a.c. */
int cyc_a(int x);

int cyc_b(int x)
{
	return x <= 0 ? 2 : cyc_a(x - 1) * 2;
}
