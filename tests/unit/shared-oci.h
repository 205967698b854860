/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the OCI specs' schemas and examples are for the unit tests: <repo>/../shared/oci. */
#ifndef CAPSA_TEST_SHARED_OCI_H
#define CAPSA_TEST_SHARED_OCI_H

#include "common/cleanup.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Found from this source file's path (the tree's layout, wherever the build directory is);
 * CAPSA_SHARED_OCI overrides. NULL when it is not there: callers skip with a reason. */
static inline char *find_shared(void)
{
	const char *env = getenv("CAPSA_SHARED_OCI");
	if (env)
		return realpath(env, NULL);
	char *src = xstrdup(__FILE__);
	char *slash = strrchr(src, '/');
	char *cand = xasprintf("%s/../../../shared/oci", slash ? (*slash = '\0', src) : ".");
	free(src);
	char *real = realpath(cand, NULL);
	free(cand);
	return real;
}

#endif
