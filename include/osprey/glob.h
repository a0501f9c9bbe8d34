/* Shell-style glob matching, used by --test=GLOB and --trace=GLOB. */
#ifndef OSPREY_GLOB_H
#define OSPREY_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* '*' matches any run of characters, '?' any one; everything else itself. */
bool glob_match(const char *pattern, const char *str);
/* True when str matches any pattern of a comma-separated list. */
bool glob_match_list(const char *patterns, const char *str);

#endif
