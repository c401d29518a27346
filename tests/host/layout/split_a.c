/* With split_b.c in one `ld -r` object (split.o): a pointer to a struct this
 * unit only declares; the object's other unit defines it, so the blob
 * describes it (not opaque). */
struct shared;
struct shared *shared_p;
