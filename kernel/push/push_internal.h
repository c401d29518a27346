/* Private to the push module. */
#ifndef PUSH_INTERNAL_H
#define PUSH_INTERNAL_H

#include <push/push.h>

/* Keep an accepted upload (takes data, a kmalloc'd block). */
enum err push_store(const char *name, uint8_t *data, uint32_t size, uint32_t crc) NS_MUST_CHECK;

#endif
