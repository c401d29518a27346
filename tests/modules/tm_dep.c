/* Test crate that depends on another loaded crate (tm_data). */
extern int tm_data_counter;
int tm_data_bump(void);

int tm_dep_run(void)
{
	return tm_data_bump() * 10;
}

int tm_dep_read_counter(void)
{
	return tm_data_counter;
}
