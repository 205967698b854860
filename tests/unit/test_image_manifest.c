/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Manifest, index and config parsing (wrong types rejected with the JSON path), platforms, --change. */
#include "image/image.h"
#include "common/cleanup.h"
#include "tests/unit/tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void manifest_err(const char *json, const char *want)
{
	struct capsa_image_manifest *m = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_image_manifest_parse(json, strlen(json), "m.json", &m, &err);
	ok(r == -1 && m == NULL && err && strstr(err->msg, want), "manifest rejected: %s", want);
	if (err && !strstr(err->msg, want))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static void config_err(const char *json, const char *want)
{
	struct capsa_image_config *c = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_image_config_parse(json, strlen(json), "cfg", &c, &err);
	ok(r == -1 && c == NULL && err && strstr(err->msg, want), "config rejected: %s", want);
	if (err && !strstr(err->msg, want))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static void change(struct capsa_image_config *c, const char *ch)
{
	struct capsa_error *err = NULL;
	if (!ok(capsa_image_config_change(c, ch, &err) == 0, "change %s", ch))
		printf("#   error: %s\n", err->msg);
	capsa_error_free(err);
}

static void change_err(const char *ch, const char *want)
{
	struct capsa_image_config c = {0};
	struct capsa_error *err = NULL;
	int r = capsa_image_config_change(&c, ch, &err);
	ok(r == -1 && err && strstr(err->msg, want), "change \"%s\" rejected: %s", ch, want);
	if (err && !strstr(err->msg, want))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

int main(void)
{
	const char *man =
		"{\"schemaVersion\":2,\"mediaType\":\"" CAPSA_MT_OCI_MANIFEST "\","
		"\"config\":{\"mediaType\":\"" CAPSA_MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":7},"
		"\"layers\":[{\"mediaType\":\"" CAPSA_MT_OCI_LAYER_GZIP "\",\"digest\":\"" D2
		"\",\"size\":100},"
		"{\"mediaType\":\"" CAPSA_MT_DOCKER_LAYER_GZIP "\",\"digest\":\"" D3 "\",\"size\":5,"
		"\"annotations\":{\"a\":\"b\"}}]}\n";
	struct capsa_image_manifest *m = NULL;
	struct capsa_error *err = NULL;
	if (ok(capsa_image_manifest_parse(man, strlen(man), "m.json", &m, &err) == 0,
	       "OCI manifest parses")) {
		is_str(m->config.digest, D1, "config digest");
		is_int(m->n_layers, 2, "two layers");
		is_int(m->layers[0].size, 100, "layer size");
		is_str(m->layers[1].media_type, CAPSA_MT_DOCKER_LAYER_GZIP, "docker layer type kept");
		is_int(m->layers[1].n_annotations, 1, "annotations");
	}
	capsa_image_manifest_free(m);
	is_int(capsa_manifest_kind(man, strlen(man)), CAPSA_MANIFEST_IMAGE, "kind: image");

	manifest_err("{\"schemaVersion\":1}", "m.json.schemaVersion: unsupported version 1");
	manifest_err("{\"schemaVersion\":\"2\"}", "m.json.schemaVersion: expected an integer");
	manifest_err("[]", "m.json: expected an object");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1}}",
		     "m.json.layers: missing");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
		     "m.json.layers: expected an array");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
		     "\",\"size\":1},\"layers\":[{\"digest\":\"" D2 "\",\"size\":\"5\"}]}",
		     "m.json.layers[0].size: expected an integer");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
		     "\",\"size\":1},\"layers\":[{\"digest\":\"sha256:x\",\"size\":5}]}",
		     "m.json.layers[0].digest: invalid digest");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
		     "m.json.config.size: must not be negative");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
		     "\",\"size\":1},\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"" D2
		     "\",\"size\":5}]}",
		     "unsupported layer type text/plain");
	manifest_err("{\"schemaVersion\":2,\"mediaType\":\"" CAPSA_MT_OCI_INDEX
		     "\",\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
		     "is not an image manifest");
	manifest_err("{\"schemaVersion\":2,", "invalid JSON at line 1");
	manifest_err("{\"schemaVersion\":2}\n{}", "invalid JSON at line 2 column 1");
	manifest_err("{\n\"schemaVersion\": 2,\n\"config\": {\"size\": 1, }\n}", "invalid JSON at line 3");
	manifest_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
		     "\",\"size\":1,\"annotations\":{\"k\":1}},\"layers\":[]}",
		     "m.json.config.annotations.k: expected a string");

	/* Indexes and platforms. */
	const char *idx =
		"{\"schemaVersion\":2,\"mediaType\":\"" CAPSA_MT_DOCKER_LIST "\",\"manifests\":["
		"{\"digest\":\"" D1
		"\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
		"{\"digest\":\"" D2
		"\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
		"{\"digest\":\"" D3
		"\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	is_int(capsa_manifest_kind(idx, strlen(idx)), CAPSA_MANIFEST_INDEX, "kind: index");
	struct capsa_image_index *x = NULL;
	if (ok(capsa_image_index_parse(idx, strlen(idx), "i.json", &x, NULL) == 0, "index parses")) {
		struct capsa_platform p;
		const struct capsa_descriptor *pick = NULL;
		ok(capsa_platform_parse("linux/amd64", &p, NULL) == 0 &&
			   capsa_image_index_select(x, &p, &pick, NULL) == 0 && !strcmp(pick->digest, D3),
		   "linux/amd64 selected");
		capsa_platform_clear(&p);
		ok(capsa_platform_parse("linux/arm64/v8", &p, NULL) == 0 &&
			   capsa_image_index_select(x, &p, &pick, NULL) == 0 && !strcmp(pick->digest, D2),
		   "arm64/v8 matches arm64 without variant");
		capsa_platform_clear(&p);
		ok(capsa_platform_parse("arm", &p, NULL) == 0 &&
			   capsa_image_index_select(x, &p, &pick, NULL) == 0 && !strcmp(pick->digest, D1),
		   "bare arch means linux");
		capsa_platform_clear(&p);
		ok(capsa_platform_parse("linux/arm/v6", &p, NULL) == 0 &&
			   capsa_image_index_select(x, &p, &pick, &err) == -1 &&
			   strstr(err->msg, "(the index has: linux/arm/v7, linux/arm64, linux/amd64)"),
		   "no match lists the choices");
		capsa_error_clear(&err);
		capsa_platform_clear(&p);
	}
	capsa_image_index_free(x);
	struct capsa_platform p;
	ok(capsa_platform_parse("linux/amd64/v2/x", &p, &err) == -1 &&
		   strstr(err->msg, "expected OS/ARCH[/VARIANT]"),
	   "platform with four parts rejected");
	capsa_error_clear(&err);
	ok(capsa_platform_parse("linux/", &p, &err) == -1, "platform with empty arch rejected");
	capsa_error_clear(&err);
	ok(capsa_platform_parse("linux/am d64", &p, &err) == -1 && strstr(err->msg, "bad character"),
	   "platform with a blank rejected");
	capsa_error_clear(&err);
	const char *bad_idx = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D1
			      "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}";
	ok(capsa_image_index_parse(bad_idx, strlen(bad_idx), "i.json", &x, &err) == -1 &&
		   strstr(err->msg, "i.json.manifests[0].platform.architecture: missing"),
	   "platform without architecture rejected with its path");
	capsa_error_clear(&err);

	/* Configs. */
	const char *cfg =
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05Z\","
		"\"config\":{\"User\":\"app:staff\",\"Env\":[\"PATH=/bin\",\"A=1\"],\"Entrypoint\":null,"
		"\"Cmd\":[\"sh\"],\"WorkingDir\":\"/w\",\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/v\":{}},"
		"\"Labels\":{\"l\":\"v\"},\"StopSignal\":\"SIGQUIT\",\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],"
		"\"Interval\":30000000000,\"Retries\":3}},"
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
		"\"history\":[{\"created_by\":\"ADD\"},{\"created_by\":\"ENV\",\"empty_layer\":true}]}";
	struct capsa_image_config *c = NULL;
	if (ok(capsa_image_config_parse(cfg, strlen(cfg), "cfg", &c, &err) == 0, "config parses")) {
		is_str(c->user, "app:staff", "User");
		is_int(c->n_env, 2, "Env");
		ok(c->entrypoint == NULL, "null Entrypoint is absent");
		is_str(c->cmd[0], "sh", "Cmd");
		is_str(c->exposed_ports[0], "80/tcp", "ExposedPorts");
		is_str(c->volumes[0], "/v", "Volumes");
		is_str(c->labels[0].value, "v", "Labels");
		is_str(c->stop_signal, "SIGQUIT", "StopSignal");
		ok(c->healthcheck && c->healthcheck->retries == 3 &&
			   c->healthcheck->interval == 30000000000LL,
		   "Healthcheck kept");
		is_int(c->n_diff_ids, 2, "diff_ids");
		ok(c->n_history == 2 && c->history[1].empty_layer, "history");
		/* Serialising and parsing again keeps what matters. */
		_cleanup_free_ char *again = capsa_image_config_to_json(c);
		struct capsa_image_config *c2 = NULL;
		if (ok(capsa_image_config_parse(again, strlen(again), "again", &c2, NULL) == 0,
		       "round trip parses")) {
			is_str(c2->user, "app:staff", "round trip User");
			is_str(c2->diff_ids[1], D2, "round trip diff_ids");
			ok(c2->healthcheck && c2->healthcheck->n_test == 2, "round trip Healthcheck");
		}
		capsa_image_config_free(c2);
	} else {
		printf("#   %s\n", err->msg);
	}
	capsa_error_clear(&err);
	capsa_image_config_free(c);
	config_err("{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		   "cfg.architecture: missing");
	config_err("{\"architecture\":\"amd64\",\"os\":\"linux\"}", "cfg.rootfs: missing");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}",
		"cfg.rootfs.type: expected \"layers\"");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1]}}",
		"cfg.rootfs.diff_ids[0]: expected a string");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":\"sh\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"cfg.config.Cmd: expected an array of strings");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A\",2]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"cfg.config.Env[1]: expected a string");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":[]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"cfg.config.Labels: expected an object of strings");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Healthcheck\":{\"Retries\":\"3\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"cfg.config.Healthcheck.Retries: expected an integer");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:12\"]}}",
		"cfg.rootfs.diff_ids[0]: invalid digest");
	config_err(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[1]}",
		"cfg.history[0]: expected an object");

	/* --change */
	struct capsa_image_config *cc = xzalloc(sizeof(*cc));
	change(cc, "CMD [\"sh\", \"-c\", \"x\"]");
	ok(cc->n_cmd == 3 && !strcmp(cc->cmd[2], "x"), "exec form CMD");
	change(cc, "ENTRYPOINT echo hi");
	ok(cc->n_entrypoint == 3 && !strcmp(cc->entrypoint[0], "/bin/sh") &&
		   !strcmp(cc->entrypoint[2], "echo hi"),
	   "shell form ENTRYPOINT");
	change(cc, "ENV A=1 B=\"two words\" C=a\\ b");
	change(cc, "env A 2 and more");
	ok(cc->n_env == 3 && !strcmp(cc->env[0], "A=2 and more") && !strcmp(cc->env[1], "B=two words") &&
		   !strcmp(cc->env[2], "C=a b"),
	   "ENV forms, replacing by key");
	change(cc, "WORKDIR /a");
	change(cc, "WORKDIR b");
	is_str(cc->working_dir, "/a/b", "relative WORKDIR joins");
	change(cc, "EXPOSE 80 53/udp 80/tcp");
	is_int(cc->n_exposed_ports, 2, "EXPOSE deduplicates");
	change(cc, "VOLUME [\"/x\", \"/y\"]");
	change(cc, "LABEL a=b");
	change(cc, "STOPSIGNAL 9");
	change(cc, "USER 1000:1000");
	ok(cc->n_volumes == 2 && cc->n_labels == 1 && !strcmp(cc->stop_signal, "9") &&
		   !strcmp(cc->user, "1000:1000"),
	   "VOLUME, LABEL, STOPSIGNAL, USER");
	capsa_image_config_free(cc);
	change_err("RUN make", "unsupported instruction RUN");
	change_err("CMD", "missing argument");
	change_err("CMD [\"a\", 1]", "[1]: expected a string");
	change_err("CMD [\"a\"", "invalid JSON");
	change_err("ENV =x", "is not KEY=VALUE");
	change_err("ENV A=\"open", "unterminated quote");
	change_err("EXPOSE 99999", "bad port");
	change_err("EXPOSE 80/icmp", "bad port");
	change_err("VOLUME relative", "is not absolute");
	change_err("STOPSIGNAL SIGNOPE", "unknown signal");
	return tap_done();
}
