/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/template.h: docker inspect --format templates over JSON, good and bad. */
#define _GNU_SOURCE
#include "tap.h"
#include "common/template.h"

#include <json-c/json.h>
#include <stdlib.h>

static json_object *doc;

static void render_is(const char *tmpl, const char *want)
{
	char *out = NULL;
	struct capsa_error *err = NULL;
	if (capsa_template_render(tmpl, doc, &out, &err) < 0) {
		ok(0, "%s renders (error: %s)", tmpl, err->msg);
		capsa_error_free(err);
		return;
	}
	is_str(out, want, "%s", tmpl);
	free(out);
}

static void render_fails(const char *tmpl, const char *needle)
{
	char *out = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_template_render(tmpl, doc, &out, &err);
	ok(r < 0 && err && strstr(err->msg, needle), "%s fails naming \"%s\" (%s)", tmpl, needle,
	   err ? err->msg : out);
	free(out);
	capsa_error_free(err);
}

int main(void)
{
	doc = json_tokener_parse(
		"{\"Id\":\"abc\",\"State\":{\"Status\":\"running\",\"Pid\":42,\"Running\":true,\"OOMKilled\":false,"
		"\"Ratio\":0.5,\"Nothing\":null},\"Config\":{\"Env\":[\"A=1\",\"B=2\"],\"Labels\":{\"z\":\"last\","
		"\"a\":\"first\"},\"Cmd\":[]},\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\","
		"\"HostPort\":\"8080\"}]}},\"Url\":\"http://x/y\"}");

	render_is("{{.Id}}", "abc");
	render_is("{{ .State.Status }}", "running");
	render_is("pid={{.State.Pid}} up={{.State.Running}}", "pid=42 up=true");
	render_is("{{.State.OOMKilled}}", "false");
	render_is("{{.State.Ratio}}", "0.5");
	render_is("{{.State.Nothing}}", "<nil>");
	render_is("{{.Config.Env}}", "[A=1 B=2]");
	render_is("{{.Config.Cmd}}", "[]");
	render_is("{{.Config.Labels}}", "map[a:first z:last]");
	render_is("{{.Config.Missing}}", "<no value>");
	render_is("{{.State.Nothing.Deeper}}", "<no value>");
	render_is("{{json .Config.Env}}", "[\"A=1\",\"B=2\"]");
	render_is("{{.Config.Labels | json}}", "{\"z\":\"last\",\"a\":\"first\"}");
	render_is("{{json .Url}}", "\"http://x/y\"");
	render_is("{{json .Missing}}", "null");
	render_is("{{index .Config.Labels \"a\"}}", "first");
	render_is("{{index .Config.Labels \"nope\"}}", "<no value>");
	render_is("{{index .Config.Env 1}}", "B=2");
	render_is("{{index .NetworkSettings.Ports \"80/tcp\" 0 \"HostPort\"}}", "8080");
	render_is("{{.State.Status | upper}}", "RUNNING");
	render_is("{{.State.Status | upper | lower}}", "running");
	render_is("{{upper .Id}}", "ABC");
	render_is("no actions", "no actions");
	render_is("", "");
	render_is("{{.Id}}-{{.Id}}", "abc-abc");

	render_fails("{{.Id", "unclosed action");
	render_fails("{{}}", "missing value");
	render_fails("{{nosuch .Id}}", "function \"nosuch\" not defined");
	render_fails("{{range .Config.Env}}{{.}}{{end}}", "{{range}} is not supported");
	render_fails("{{if .State.Running}}x{{end}}", "{{if}} is not supported");
	render_fails("{{index .Config.Env 5}}", "out of range");
	render_fails("{{index .Config.Env \"k\"}}", "can't index a array with a string");
	render_fails("{{index .State.Pid 0}}", "can't index");
	render_fails("{{.Config.Env.X}}", "can't evaluate field X");
	render_fails("{{json}}", "json: missing argument");
	render_fails("{{json .Id .Id}}", "wrong number of args");
	render_fails("{{.Id | .State}}", "a field cannot take arguments");
	render_fails("{{\"text}}", "unterminated quoted string");
	render_fails("{{12x}}", "bad number");
	render_fails("{{.Id | json .Id}}", "given twice");
	render_fails("{{a$b}}", "unexpected");
	render_fails("{{(index .Config.Env 0)}}", "parentheses are not supported");
	json_object_put(doc);
	return tap_done();
}
