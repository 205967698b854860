/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor's attach-socket protocol: frames of [type u8][pad 3][len u32][payload]. Shared by the
 * engine (libcapsa) and the small steady-state monitor program, which links nothing but libc.
 */
#ifndef CAPSA_MONITOR_PROTO_H
#define CAPSA_MONITOR_PROTO_H

#include <stdint.h>

enum frame_type {
	FRAME_STDIN = 0,
	FRAME_STDOUT = 1,
	FRAME_STDERR = 2,
	FRAME_STDIN_EOF = 3,
	FRAME_RESIZE = 4,  /* payload: u16 rows, u16 cols */
	FRAME_HELLO = 5,   /* client -> monitor: u32 flags (HELLO_*) */
	FRAME_START = 6,   /* client -> monitor: start it */
	FRAME_STOP = 7,	   /* client -> monitor: payload i32 timeout seconds */
	FRAME_KILL = 8,	   /* client -> monitor: payload i32 signal */
	FRAME_STARTED = 9, /* monitor -> client: i32 pid */
	FRAME_ERROR = 10,  /* monitor -> client: i32 exit code class (125/126/127) + message */
	FRAME_EXIT = 11,   /* monitor -> client: i32 exit code, u8 timed out */
	FRAME_OK = 12,	   /* monitor -> client: the request was done */
	/* monitor -> a HELLO_FINISH client: the init ended, record it (struct frame_finish) */
	FRAME_FINISH = 13,
	/* client -> monitor: i32 result of recording: 0, MONITOR_EXIT_RESTART, or -1 (the monitor does it) */
	FRAME_FINISHED = 14,
};
#define HELLO_STDIN 1u
#define HELLO_STDOUT 2u
#define HELLO_STDERR 4u
#define HELLO_WAIT 8u
/* The client is a capsa process that can record the end itself (saves starting capsa for it). */
#define HELLO_FINISH 16u
#define FRAME_MAX (64 * 1024)

struct frame_hdr {
	uint8_t type;
	uint8_t pad[3];
	uint32_t len;
};

struct frame_finish {
	int32_t exit_code;
	uint8_t timed_out, stop_requested, pad[2];
	int64_t wall_ns;
};

/* The name of the small monitor program, looked for next to capsa. */
#define MONITOR_PROGRAM "capsa-monitor"
/* The hidden capsa commands the small monitor runs for what needs the whole library. */
#define MONITOR_EXIT_CMD "__monitor-exit"
#define MONITOR_RESTART_CMD "__monitor-restart"
#define MONITOR_CREATE_CMD "__monitor-create"
#define MONITOR_START_CMD "__monitor-start"
/* capsa's monitor half without the registry and archive libraries: faster to start (see engine.mk). */
#define MONITOR_FULL_PROGRAM "capsa-monitor-full"
/* Exit status of `capsa __monitor-exit` when the restart policy wants the container again. */
#define MONITOR_EXIT_RESTART 3

#endif
