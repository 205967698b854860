/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `capsa login` and `capsa logout`: credentials in docker's config.json format, checked before they are
 * saved. */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX 4096

/* One line from stdin, without its newline; echo off when stdin is a terminal. */
static int read_secret(const char *prompt, char **out, struct capsa_error **err)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty && prompt) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else {
			tty = false;
		}
	}
	_cleanup_free_ char *buf = xmalloc(SECRET_MAX + 1);
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t r = read(STDIN_FILENO, &ch, 1);
		if (r <= 0 || ch == '\n')
			break;
		if (n == SECRET_MAX) {
			if (tty && prompt)
				tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
			return capsa_error_set(err, 0, "password longer than %d bytes", SECRET_MAX);
		}
		buf[n++] = ch;
	}
	if (tty && prompt) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0)
		return capsa_error_set(err, 0, "empty password");
	*out = TAKE_PTR(buf);
	return 0;
}

/* "https://r.example/v2/" or "r.example" -> the registry's reference domain ("docker.io" for Docker Hub). */
static int registry_domain(const char *arg, char **out, struct capsa_error **err)
{
	const char *s = arg ? arg : "docker.io";
	if (capsa_str_has_prefix(s, "https://"))
		s += 8;
	else if (capsa_str_has_prefix(s, "http://"))
		s += 7;
	_cleanup_free_ char *host = xstrndup(s, strcspn(s, "/"));
	if (!strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io"))
		*host = '\0';
	/* Checked like the host part of a reference. */
	_cleanup_free_ char *probe = xasprintf("%s/x", *host ? host : "docker.io");
	_cleanup_image_ref_ struct capsa_image_ref *r = NULL;
	if (capsa_image_ref_parse(probe, &r, err) < 0 || strcmp(r->path, "x") ||
	    (*host && strcmp(r->domain, host) && strcmp(host, "docker.io"))) {
		capsa_error_clear(err);
		return capsa_error_set(err, 0, "invalid registry \"%s\"", arg);
	}
	*out = xstrdup(r->domain);
	return 0;
}

static int login_run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	enum { OPT_TLS = 256, OPT_AUTHFILE, OPT_STDIN };
	static const struct option opts[] = {
		{"username", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"password-stdin", no_argument, NULL, OPT_STDIN},
		{"tls-verify", optional_argument, NULL, OPT_TLS},
		{"authfile", required_argument, NULL, OPT_AUTHFILE},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *user = NULL, *authfile = NULL;
	_cleanup_free_ char *pass = NULL;
	bool from_stdin = false, insecure = false;
	int c;
	(void)cli;
	while ((c = cli_getopt(&capsa_cmd_login, argc, argv, "u:p:", opts)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'p':
			free(pass);
			pass = xstrdup(optarg);
			break;
		case OPT_STDIN:
			from_stdin = true;
			break;
		case OPT_TLS:
			if (optarg && strcmp(optarg, "true") && strcmp(optarg, "false"))
				return cli_usage_error(&capsa_cmd_login, err,
						       "bad --tls-verify \"%s\" (true or false)", optarg);
			insecure = optarg && !strcmp(optarg, "false");
			break;
		case OPT_AUTHFILE:
			authfile = optarg;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_login, err, "unknown option");
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error(&capsa_cmd_login, err, "one registry at most");
	_cleanup_free_ char *domain = NULL;
	if (registry_domain(optind < argc ? argv[optind] : NULL, &domain, err) < 0)
		return -1;
	if (pass && from_stdin)
		return cli_usage_error(&capsa_cmd_login, err,
				       "--password and --password-stdin are exclusive");
	if (user == NULL || *user == '\0')
		return cli_usage_error(&capsa_cmd_login, err, "give the user name with -u");
	if (strchr(user, ':'))
		return capsa_error_set(err, 0, "user name \"%s\": a ':' cannot be stored in an auth file",
				       user);
	if (pass == NULL) {
		if (!from_stdin && !isatty(STDIN_FILENO))
			return cli_usage_error(&capsa_cmd_login, err,
					       "no password: give --password-stdin or run on a terminal");
		if (read_secret(from_stdin ? NULL : "Password: ", &pass, err) < 0)
			return -1;
	}
	int r = capsa_registry_login(domain, user, pass, insecure, err) < 0 ||
				capsa_registry_auth_set(authfile, domain, user, pass, err) < 0
			? -1
			: 0;
	/* Failed or not, the password does not stay in memory. */
	explicit_bzero(pass, strlen(pass));
	if (r < 0)
		return -1;
	printf("Login Succeeded\n");
	return 0;
}

const struct capsa_cmd capsa_cmd_login = {
	.name = "login",
	.summary = "Check and save the credentials of a registry",
	.usage = "[-u USER] [-p PASSWORD | --password-stdin] [REGISTRY]",
	.help = "  -u, --username USER     user name\n"
		"  -p, --password PASS     password (visible to other users in ps: prefer --password-stdin)\n"
		"      --password-stdin    read the password from stdin\n"
		"      --tls-verify=false  allow plain HTTP and unverified certificates\n"
		"      --authfile FILE     where to save (default $REGISTRY_AUTH_FILE or ~/.docker/config.json)\n",
	.run = login_run,
};

static int logout_run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	enum { OPT_AUTHFILE = 256 };
	static const struct option opts[] = {
		{"authfile", required_argument, NULL, OPT_AUTHFILE},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *authfile = NULL;
	int c;
	(void)cli;
	while ((c = cli_getopt(&capsa_cmd_logout, argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_AUTHFILE:
			authfile = optarg;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_logout, err, "unknown option");
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error(&capsa_cmd_logout, err, "one registry at most");
	_cleanup_free_ char *domain = NULL;
	if (registry_domain(optind < argc ? argv[optind] : NULL, &domain, err) < 0)
		return -1;
	int r = capsa_registry_auth_set(authfile, domain, NULL, NULL, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return capsa_error_set(err, 0, "not logged in to %s", domain);
	printf("Removing login credentials for %s\n", domain);
	return 0;
}

const struct capsa_cmd capsa_cmd_logout = {
	.name = "logout",
	.summary = "Remove the saved credentials of a registry",
	.usage = "[--authfile FILE] [REGISTRY]",
	.help = "      --authfile FILE     default $REGISTRY_AUTH_FILE or ~/.docker/config.json\n",
	.run = logout_run,
};
