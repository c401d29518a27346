/*
 * nanoswap-push: upload one object to a running nanoswap through its push
 * channel (COM2, which `make run` connects to build/push.sock), in the frame
 * of include/push/frame.h, and print the kernel's one-line answer. Exit 0
 * only if the kernel kept it ("ok NAME SIZE CRC32").
 *
 *   nanoswap-push [--socket PATH] FILE [NAME]
 *
 * For the tests: --bad-crc sends a wrong checksum, --cut N stops after N
 * bytes of the frame (the kernel must time out), --size N claims N bytes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <push/frame.h>

#define ANSWER_WAIT_MS 30000

static void usage(void)
{
	fprintf(stderr, "usage: nanoswap-push [--socket PATH] [--bad-crc] [--cut N] [--size N] "
			"FILE [NAME]\n");
	exit(2);
}

static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f) {
		fprintf(stderr, "nanoswap-push: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	do {
		if (n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536)))
			exit(1);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*size = n;
	return buf;
}

static int send_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = "build/push.sock", *file = NULL, *name = NULL;
	long cut = -1, claim = -1;
	int bad_crc = 0, fd, i;
	unsigned char head[PUSH_FIXED_BYTES + PUSH_NAME_MAX], *obj, *frame;
	char defname[PUSH_NAME_MAX + 1], answer[512];
	size_t size, hlen, flen, alen = 0;
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--bad-crc"))
			bad_crc = 1;
		else if (!strcmp(argv[i], "--cut") && i + 1 < argc)
			cut = atol(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			claim = atol(argv[++i]);
		else if (argv[i][0] == '-')
			usage();
		else if (!file)
			file = argv[i];
		else if (!name)
			name = argv[i];
		else
			usage();
	}
	if (!file)
		usage();
	obj = read_file(file, &size);
	if (!name) {	/* the basename without .o */
		const char *b = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		size_t n = strlen(b);

		if (n > 2 && !strcmp(b + n - 2, ".o"))
			n -= 2;
		snprintf(defname, sizeof(defname), "%.*s", (int)n, b);
		name = defname;
	}
	/* (the header is built for the real object; --size and --bad-crc change it after) */
	if (!(hlen = push_frame_header(head, name, obj, (uint32_t)size)) &&
	    !(hlen = push_frame_header(head, "x", obj, (uint32_t)size))) {
		fprintf(stderr, "nanoswap-push: %s: the object is empty or over %u bytes\n", file,
			PUSH_OBJECT_MAX);
		return 1;
	}
	if (hlen == PUSH_FIXED_BYTES + 1 && strcmp(name, "x")) {	/* a name the kernel must refuse */
		uint16_t n = (uint16_t)strlen(name);

		memmove(head + 6 + n, head + 7, 8);
		memcpy(head + 4, &n, 2);
		memcpy(head + 6, name, n);
		hlen = PUSH_FIXED_BYTES + n;
	}
	if (claim >= 0)
		memcpy(head + hlen - 8, &(uint32_t){ (uint32_t)claim }, 4);
	if (bad_crc)
		head[hlen - 1] ^= 0xFF;
	flen = hlen + size;
	if (!(frame = malloc(flen)))
		return 1;
	memcpy(frame, head, hlen);
	memcpy(frame + hlen, obj, size);
	if (cut >= 0 && (size_t)cut < flen)
		flen = (size_t)cut;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "nanoswap-push: %s: %s (is `make run` running?)\n", sock,
			strerror(errno));
		return 1;
	}
	if (send_all(fd, frame, flen) < 0) {
		fprintf(stderr, "nanoswap-push: %s: write: %s\n", sock, strerror(errno));
		return 1;
	}
	for (;;) {	/* one line back */
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, ANSWER_WAIT_MS) <= 0) {
			fprintf(stderr, "nanoswap-push: no answer within %d ms\n", ANSWER_WAIT_MS);
			return 1;
		}
		if ((r = read(fd, answer + alen, sizeof(answer) - 1 - alen)) <= 0)
			break;
		alen += (size_t)r;
		answer[alen] = '\0';
		if (strchr(answer, '\n') || alen == sizeof(answer) - 1)
			break;
	}
	answer[alen] = '\0';
	if (strchr(answer, '\n'))
		*strchr(answer, '\n') = '\0';
	if (strchr(answer, '\r'))
		*strchr(answer, '\r') = '\0';
	printf("%s\n", answer);
	close(fd);
	return strncmp(answer, "ok ", 3) == 0 ? 0 : 1;
}
