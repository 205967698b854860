/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.json: the spec's examples, round trips with and without capsa's private fields, rejections. */
#define _GNU_SOURCE
#include "tap.h"
#include "shared-oci.h"
#include "oci-spec/oci-spec.h"
#include "common/util.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_path(const char *path, struct oci_state **s, struct capsa_error **err)
{
	char *buf = NULL;
	size_t len = 0;
	if (capsa_read_file_at(AT_FDCWD, path, 0, &buf, &len, err) < 0)
		return -1;
	int r = capsa_oci_state_parse(buf, len, "state.json", s, err);
	free(buf);
	return r;
}

static void test_examples(const char *shared)
{
	char *good = xasprintf("%s/runtime-spec/test/state/good/spec-example.json", shared);
	char *bad = xasprintf("%s/runtime-spec/test/state/bad/invalid-json.json", shared);
	struct oci_state *s = NULL;
	struct capsa_error *err = NULL;
	int r = parse_path(good, &s, &err);
	if (ok(r == 0, "state good/spec-example.json parses")) {
		is_str(s->oci_version, "0.2.0", "ociVersion");
		is_str(s->id, "oci-container1", "id");
		is_str(s->status, "running", "status");
		is_int(s->pid, 4422, "pid");
		is_str(s->bundle, "/containers/redis", "bundle");
		ok(s->n_annotations == 1 && strcmp(s->annotations[0].key, "myKey") == 0 &&
			   strcmp(s->annotations[0].value, "myValue") == 0,
		   "annotations");
		ok(s->created == NULL && s->init_start_time == 0, "no private fields in a foreign state");
		/* Writing it back without private fields gives the same document. */
		char *text = NULL;
		size_t len;
		struct capsa_error *e2 = NULL;
		if (capsa_read_file_at(AT_FDCWD, good, 0, &text, &len, &e2) == 0) {
			struct json_object *want = json_tokener_parse(text);
			char *out = capsa_oci_state_to_json(s, false);
			struct json_object *got = json_tokener_parse(out);
			ok(got && json_object_equal(got, want), "spec-example written back is the same JSON");
			json_object_put(got);
			json_object_put(want);
			free(out);
			free(text);
		}
		capsa_error_free(e2);
	} else {
		printf("# %s\n", err ? err->msg : "?");
	}
	capsa_oci_state_free(s);
	capsa_error_clear(&err);
	s = NULL;
	ok(parse_path(bad, &s, &err) < 0 && s == NULL, "state bad/invalid-json.json is rejected");
	is_str(err ? err->msg : NULL,
	       "state.json: invalid JSON at line 1, column 2: quoted object property name expected",
	       "invalid state JSON: line and column");
	capsa_error_free(err);
	free(good);
	free(bad);
}

static struct oci_state *sample(void)
{
	struct oci_state *s = xzalloc(sizeof(*s));
	s->oci_version = xstrdup(CAPSA_OCI_VERSION);
	s->id = xstrdup("capsa-test-c1");
	s->status = xstrdup("created");
	s->pid = 12345;
	s->bundle = xstrdup("/tmp/capsa-test-bundle");
	s->n_annotations = 2;
	s->annotations = xcalloc(2, sizeof(*s->annotations));
	s->annotations[0] = (struct oci_kv){xstrdup("org.example/a"), xstrdup("1")};
	s->annotations[1] = (struct oci_kv){xstrdup("b"), xstrdup("")};
	s->init_start_time = 18446744073709551615ULL;
	s->created = xstrdup("2026-11-28T12:00:00.123456789Z");
	s->rootfs = xstrdup("/tmp/capsa-test-bundle/rootfs");
	s->cgroup_path = xstrdup("/capsa/capsa-test-c1");
	s->owner = xstrdup("root");
	return s;
}

static void test_round_trip(void)
{
	struct oci_state *s = sample();
	char *full = capsa_oci_state_to_json(s, true);
	struct oci_state *back = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_oci_state_parse(full, strlen(full), "state.json", &back, &err);
	if (ok(r == 0, "state with private fields parses back")) {
		is_str(back->id, s->id, "id");
		is_str(back->status, "created", "status");
		is_int(back->pid, 12345, "pid");
		is_str(back->bundle, s->bundle, "bundle");
		is_int(back->n_annotations, 2, "annotations");
		is_str(back->annotations[1].value, "", "empty annotation value");
		ok(back->init_start_time == UINT64_MAX, "initStartTime keeps 64 bits");
		is_str(back->created, s->created, "created");
		is_str(back->rootfs, s->rootfs, "rootfs");
		is_str(back->cgroup_path, s->cgroup_path, "cgroupPath");
		is_str(back->owner, "root", "owner");
		char *again = capsa_oci_state_to_json(back, true);
		is_str(again, full, "state round trip writes the same text");
		free(again);
	} else {
		printf("# %s\n", err ? err->msg : "?");
	}
	capsa_error_clear(&err);
	capsa_oci_state_free(back);
	back = NULL;

	char *pub = capsa_oci_state_to_json(s, false);
	ok(strstr(pub, "\"capsa\"") == NULL, "private=false has no capsa object");
	ok(strstr(pub, "initStartTime") == NULL && strstr(pub, "rootfs") == NULL &&
		   strstr(pub, "owner") == NULL,
	   "private=false omits the private fields");
	r = capsa_oci_state_parse(pub, strlen(pub), "state.json", &back, &err);
	ok(r == 0 && back->created == NULL && back->pid == 12345,
	   "public state parses without private fields");
	capsa_error_clear(&err);
	capsa_oci_state_free(back);
	back = NULL;

	/* A stopped container has no pid: the key is left out. */
	free(s->status);
	s->status = xstrdup("stopped");
	s->pid = 0;
	char *stopped = capsa_oci_state_to_json(s, false);
	ok(strstr(stopped, "\"pid\"") == NULL, "pid omitted when 0");
	r = capsa_oci_state_parse(stopped, strlen(stopped), "state.json", &back, &err);
	ok(r == 0 && back->pid == 0, "stopped state parses with pid 0");
	capsa_error_clear(&err);
	capsa_oci_state_free(back);

	free(stopped);
	free(pub);
	free(full);
	capsa_oci_state_free(s);
}

static void test_rejections(void)
{
#define BASE "\"ociVersion\":\"1.2.0\",\"id\":\"c\",\"bundle\":\"/b\""
	static const struct {
		const char *doc, *msg;
	} cases[] = {
		{"{\"id\":\"c\",\"status\":\"running\",\"bundle\":\"/b\"}",
		 "state.json: ociVersion: missing required field"},
		{"{\"ociVersion\":\"1.2.0\",\"status\":\"running\",\"bundle\":\"/b\"}",
		 "state.json: id: missing required field"},
		{"{" BASE "}", "state.json: status: missing required field"},
		{"{" BASE ",\"status\":\"sleeping\"}",
		 "state.json: status: unknown value \"sleeping\" (expected one of creating, created, running, stopped, "
		 "paused)"},
		{"{" BASE ",\"status\":\"running\",\"pid\":-1}",
		 "state.json: pid: expected an integer between 0 and 2147483647"},
		{"{" BASE ",\"status\":\"running\",\"pid\":2147483648}",
		 "state.json: pid: expected an integer between 0 and 2147483647"},
		{"{" BASE ",\"status\":\"running\",\"pid\":\"1\"}", "state.json: pid: expected an integer"},
		{"{\"ociVersion\":\"1.2.0\",\"id\":\"c\",\"status\":\"running\"}",
		 "state.json: bundle: missing required field"},
		{"{" BASE ",\"status\":\"running\",\"annotations\":[]}",
		 "state.json: annotations: expected an object"},
		{"{" BASE ",\"status\":\"running\",\"capsa\":{\"initStartTime\":-5}}",
		 "state.json: capsa.initStartTime: expected a non-negative integer"},
		{"{" BASE ",\"status\":\"running\",\"capsa\":{\"rootfs\":1}}",
		 "state.json: capsa.rootfs: expected a string"},
		{"{" BASE ",\"status\":\"running\",\"capsa\":true}", "state.json: capsa: expected an object"},
		{"[]", "state.json: expected a JSON object at the top level"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_state *s = NULL;
		struct capsa_error *err = NULL;
		int r = capsa_oci_state_parse(cases[i].doc, strlen(cases[i].doc), "state.json", &s, &err);
		ok(r == -1 && s == NULL, "state case %zu is rejected", i);
		is_str(err ? err->msg : NULL, cases[i].msg, "state case %zu: message", i);
		capsa_error_free(err);
		capsa_oci_state_free(s);
	}
}

int main(void)
{
	char *shared = find_shared();
	if (shared)
		test_examples(shared);
	else
		ok(1, "# SKIP runtime-spec examples not found (<repo>/../shared/oci or $CAPSA_SHARED_OCI)");
	test_round_trip();
	test_rejections();
	free(shared);
	return tap_done();
}
