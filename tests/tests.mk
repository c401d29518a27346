# Tests: host unit tests (ASan+UBSan) and QEMU boot tests; included by Makefile.
