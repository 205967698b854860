/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "common/signal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdbool.h>

#include <signal.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},	  {"TRAP", SIGTRAP},
	{"ABRT", SIGABRT}, {"IOT", SIGIOT},	  {"BUS", SIGBUS},   {"FPE", SIGFPE},	  {"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV},	  {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},	  {"ALRM", SIGALRM},
	{"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},	  {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},	  {"TTOU", SIGTTOU}, {"URG", SIGURG},	  {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"POLL", SIGPOLL}, {"PWR", SIGPWR},	  {"SYS", SIGSYS},
};

int capsa_signal_parse(const char *s)
{
	if (s == NULL || *s == '\0')
		return -1;
	int64_t n;
	if (capsa_parse_i64(s, &n) == 0)
		return (n > 0 && n < NSIG) ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].sig;
	/* RTMIN+N / RTMAX-N */
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		bool min = strncasecmp(s, "RTMIN", 5) == 0;
		int base = min ? SIGRTMIN : SIGRTMAX;
		if (s[5] == '\0')
			return base;
		if ((min && s[5] == '+') || (!min && s[5] == '-')) {
			if (capsa_parse_i64(s + 6, &n) < 0 || n < 0 || n > SIGRTMAX - SIGRTMIN)
				return -1;
			int sig = min ? base + (int)n : base - (int)n;
			return (sig >= SIGRTMIN && sig <= SIGRTMAX) ? sig : -1;
		}
	}
	return -1;
}

const char *capsa_signal_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return NULL;
}
