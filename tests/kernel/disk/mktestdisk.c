/*
 * Writes the disk image the virtio in-kernel tests read
 * (tests/kernel/virtio_blk_test.c): SECTORS sectors of 512 bytes, sector i
 * starting with "OSPREY-SECTOR %08d\n" and going on with bytes
 * (i * 7 + j) & 0xff.  Usage: mktestdisk FILE SECTORS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long n;
	FILE *f;

	if (argc != 3 || (n = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: mktestdisk FILE SECTORS\n");
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		unsigned char s[512];
		int h = snprintf((char *)s, sizeof(s), "OSPREY-SECTOR %08lu\n", i);

		for (size_t j = 0; j < sizeof(s) - (size_t)h; j++)
			s[h + j] = (unsigned char)((i * 7 + j) & 0xff);
		if (fwrite(s, sizeof(s), 1, f) != 1) {
			perror(argv[1]);
			return 1;
		}
	}
	if (fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
