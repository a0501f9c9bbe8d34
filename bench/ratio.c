/*
 * ratio: puts two sets of "KEY name value" lines side by side (the figures
 * of one benchmark measured on our side and on the baseline's).
 *
 *   ratio [--higher] KEY LABEL OURS_NAME OURS_FILE BASE_NAME BASE_FILE
 *
 * Prints a table and one "BENCH LABEL.name ours=X base=Y ratio=Z" line per
 * figure (ratio = ours / base: below 1 means we are faster).  A file may hold
 * several runs (the benchmark alternates the two sides to spread the host's
 * noise over both); the best figure of each name counts: the smallest, or
 * with --higher (figures such as MiB/s) the largest, and then a ratio above
 * 1 means we are faster.
 */
#include <stdio.h>
#include <string.h>

#define MAX 32

struct fig {
	char name[32];
	double ns;
};

static const char *key;
static int higher; /* --higher: the largest figure is the best */

static int load(const char *path, struct fig *f)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	int n = 0;

	if (!fp) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		const char *p = strstr(line, key);
		size_t klen = strlen(key);
		struct fig g;
		int i;

		if (!p || p[klen] != ' ' || sscanf(p + klen, " %31s %lf", g.name, &g.ns) != 2)
			continue;
		for (i = 0; i < n && strcmp(f[i].name, g.name); i++)
			;
		if (i < n) {
			if (higher ? g.ns > f[i].ns : g.ns < f[i].ns)
				f[i].ns = g.ns;
		} else if (n < MAX) {
			f[n++] = g;
		}
	}
	fclose(fp);
	return n;
}

int main(int argc, char **argv)
{
	struct fig ours[MAX], base[MAX];
	int no, nb, shown = 0;

	if (argc > 1 && strcmp(argv[1], "--higher") == 0) {
		higher = 1;
		argc--;
		argv++;
	}
	if (argc != 7) {
		fprintf(stderr,
			"usage: ratio [--higher] KEY LABEL OURS_NAME OURS_FILE BASE_NAME BASE_FILE\n");
		return 2;
	}
	key = argv[1];
	argv++;
	no = load(argv[3], ours);
	nb = load(argv[5], base);
	if (no <= 0 || nb <= 0) {
		fprintf(stderr, "ratio: no %s lines in %s\n", key, no <= 0 ? argv[3] : argv[5]);
		return 1;
	}
	printf("%-10s %12s %12s %8s   (best of all rounds)\n", argv[1], argv[2], argv[4], "ratio");
	for (int i = 0; i < no; i++) {
		int found = 0;

		for (int j = 0; j < nb; j++) {
			if (strcmp(ours[i].name, base[j].name))
				continue;
			found = 1;
			printf("%-10s %12.2f %12.2f %8.2f\n", ours[i].name, ours[i].ns, base[j].ns,
			       ours[i].ns / base[j].ns);
			printf("BENCH %s.%s %s=%.2f %s=%.2f ratio=%.2f\n", argv[1], ours[i].name,
			       argv[2], ours[i].ns, argv[4], base[j].ns, ours[i].ns / base[j].ns);
			shown++;
		}
		if (!found) {
			/* Shown, but not compared: the baseline has no such figure. */
			printf("%-10s %12.2f %12s %8s\n", ours[i].name, ours[i].ns, "n/a", "n/a");
			printf("BENCH %s.%s %s=%.2f %s=NA\n", argv[1], ours[i].name, argv[2],
			       ours[i].ns, argv[4]);
		}
	}
	return shown ? 0 : 1;
}
