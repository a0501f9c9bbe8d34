/*
 * Iterative glob matcher: linear backtracking on the last '*', so a hostile
 * pattern such as "*a*a*a*a*b" costs O(len(pattern) * len(str)), never
 * exponential time.
 */
#include <osprey/glob.h>

static bool match_n(const char *p, const char *pend, const char *s)
{
	const char *star = 0, *resume = 0;

	while (*s) {
		if (p < pend && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (p < pend && *p == '*') {
			star = ++p;
			resume = s;
		} else if (star) {
			p = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (p < pend && *p == '*')
		p++;
	return p == pend;
}

bool glob_match(const char *pattern, const char *str)
{
	const char *end = pattern;

	while (*end)
		end++;
	return match_n(pattern, end, str);
}

bool glob_match_list(const char *patterns, const char *str)
{
	const char *p = patterns;

	for (;;) {
		const char *end = p;

		while (*end && *end != ',')
			end++;
		if (end > p && match_n(p, end, str))
			return true;
		if (!*end)
			return false;
		p = end + 1;
	}
}
