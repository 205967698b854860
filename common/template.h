/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of Go's text/template that `docker inspect --format` users write, evaluated over a JSON
 * document: {{.A.B}}, {{.}}, {{json .A}}, {{index .A "key" 0}}, pipelines into json/upper/lower
 * ({{.A | json}}), and text around the actions. Values print as Go prints them (strings bare, maps as
 * map[k:v] with sorted keys, lists as [a b], a missing map key as <no value>).
 */
#ifndef CAPSA_TEMPLATE_H
#define CAPSA_TEMPLATE_H

#include "common/error.h"

struct json_object;

/* Renders tmpl over root into a new string; an unknown function or a bad action is an error naming it. */
int capsa_template_render(const char *tmpl, struct json_object *root, char **out, struct capsa_error **err);

#endif
