/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa-monitor-full: the library half of a container's monitor, as a program of its own. It is capsa's
 * engine and runtime without the registry, network-less command set: linked from the same library, it
 * loads a third of the shared libraries capsa does (no libcurl and its TLS, Kerberos and LDAP stack),
 * which is most of what starting capsa costs. capsa's forked monitor executes a sealed copy of it to
 * create the container; the small capsa-monitor runs it to record an end or to restart.
 *
 * usage: capsa-monitor-full --root ROOT __monitor-create|__monitor-start|__monitor-exit|__monitor-restart ID
 * ...
 */
#define _GNU_SOURCE
#include "common/error.h"
#include "common/log.h"
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	capsa_log_set_program("capsa-monitor");
	struct capsa_error *err = NULL;
	if (capsa_log_init(NULL, CAPSA_LOG_TEXT, CAPSA_LOG_WARN, &err) < 0) {
		fprintf(stderr, "capsa-monitor-full: %s\n", err->msg);
		return 125;
	}
	if (argc < 4 || strcmp(argv[1], "--root") != 0 || !capsa_monitor_is_command(argv[3])) {
		fprintf(stderr,
			"capsa-monitor-full: usage: capsa-monitor-full --root ROOT __monitor-create|"
			"__monitor-start|__monitor-exit|__monitor-restart ID ... (run by capsa's monitor, not by people)\n");
		return 125;
	}
	return capsa_monitor_command(argv[2], argc - 3, argv + 3);
}
