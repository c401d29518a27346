/*
 * One variable with every kind of member layoutfp flattens: an array of
 * structs (through a typedef), bit-fields around an unnamed one, an
 * anonymous union, qualifiers through a typedef, a 2-D array of an anonymous
 * struct, pointers to a function, to an array and to an enum, enums with a
 * negative value and with one above INT_MAX, an array of a typedef'd array.
 * The LAYOUT_* variants change one thing each.
 */
#include <stdint.h>

#ifdef LAYOUT_TYPEDEF
typedef unsigned long word_t;	/* another name for the same type */
#define KEY_T word_t
#else
typedef unsigned long u64;
#define KEY_T u64
#endif

typedef struct node node_t;
struct node {
	struct node *next;
	KEY_T key;
};

enum color { RED = -1, GREEN = 1, BLUE = 0x7fffffff };
enum big { BIG_LOW = 1, BIG_HIGH = 0x80000000u };	/* unsigned underneath */

typedef int row_t[3];

typedef const uint32_t cu32;

struct table {
#ifdef LAYOUT_BOUND
	node_t ents[8];
#else
	node_t ents[4];
#endif
#ifdef LAYOUT_BITS
	unsigned int flags : 4;
#else
	unsigned int flags : 3;
#endif
	unsigned int mode : 5;
	unsigned int : 2;
	union {
		int i;
		unsigned char bytes[4];
	};
	volatile cu32 cv;
	struct {
		char a, b;
	} pairs[2][3];
	void (*cb)(int, const char *, ...);
	int (*grid)[4];
	enum color color;
	enum color *colorp;
	long long wide;
	short s;
	unsigned short us;
	_Bool b;
	enum big big;
	row_t matrix[2];	/* int[2][3] */
};

struct table table;
