/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPSA_SIGNAL_H
#define CAPSA_SIGNAL_H

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2" -> the signal number; -1 when unknown. */
int capsa_signal_parse(const char *s);
/* "TERM" for SIGTERM; NULL when unknown. */
const char *capsa_signal_name(int sig);

#endif
