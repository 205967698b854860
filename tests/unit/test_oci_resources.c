/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A linux.resources document on its own, as `update --resources` reads it. */
#include "tap.h"
#include "oci-spec/oci-spec.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const char doc[] =
	"{\"memory\":{\"limit\":268435456,\"swap\":-1},\"cpu\":{\"quota\":50000,\"period\":100000,"
	"\"cpus\":\"0\"},\"pids\":{\"limit\":64},\"blockIO\":{\"weight\":100},"
	"\"unified\":{\"memory.high\":\"200M\"},\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}";

int main(void)
{
	struct oci_resources *r = NULL;
	struct capsa_error *err = NULL;
	int rc = capsa_oci_resources_parse(doc, sizeof(doc) - 1, "resources.json", &r, &err);
	ok(rc == 0, "resources document parses");
	capsa_error_clear(&err);
	if (rc == 0) {
		ok(r->memory->limit.set && r->memory->limit.value == 268435456, "memory.limit");
		is_int(r->memory->swap.value, -1, "memory.swap");
		is_int(r->cpu->quota.value, 50000, "cpu.quota");
		is_int(r->pids_limit.value, 64, "pids.limit");
		is_int(r->blkio->weight.value, 100, "blockIO.weight");
		is_str(r->unified[0].key, "memory.high", "unified key");
		char *out = capsa_oci_resources_to_json(r);
		struct json_object *got = json_tokener_parse(out), *want = json_tokener_parse(doc);
		ok(got && json_object_equal(got, want), "written resources equal the input");
		json_object_put(got);
		json_object_put(want);
		struct oci_resources *again = NULL;
		ok(capsa_oci_resources_parse(out, strlen(out), "again", &again, &err) == 0,
		   "written resources parse");
		char *out2 = again ? capsa_oci_resources_to_json(again) : NULL;
		is_str(out2, out, "resources round trip is stable");
		free(out2);
		free(out);
		capsa_oci_resources_free(again);
		capsa_error_clear(&err);
	}
	capsa_oci_resources_free(r);

	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{"{\"memory\":{\"limit\":\"256M\"}}", "resources.json: memory.limit: expected an integer"},
		{"{\"pids\":{\"limit\":true}}", "resources.json: pids.limit: expected an integer"},
		{"{\"cpu\":{\"shares\":-1}}", "resources.json: cpu.shares: expected a non-negative integer"},
		{"{\"devices\":[{\"allow\":\"yes\"}]}",
		 "resources.json: devices[0].allow: expected a boolean"},
		{"[]", "resources.json: expected a JSON object at the top level"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = NULL;
		rc = capsa_oci_resources_parse(bad[i].doc, strlen(bad[i].doc), "resources.json", &r, &err);
		ok(rc == -1 && r == NULL, "bad resources %zu rejected", i);
		is_str(err ? err->msg : NULL, bad[i].msg, "bad resources %zu: message", i);
		capsa_error_clear(&err);
	}
	return tap_done();
}
