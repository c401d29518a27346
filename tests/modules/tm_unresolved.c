/* Test crate that references symbols nobody defines: loading must fail. */
extern int tm_no_such_function(void);
extern int tm_no_such_variable;

int tm_unresolved_run(void)
{
	return tm_no_such_function() + tm_no_such_variable;
}
