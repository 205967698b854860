/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `inspect`: docker's main fields of a container. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "common/cleanup.h"
#include "common/signal.h"
#include "common/util.h"

#include <json-c/json.h>
#include <string.h>

static json_object *str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *strv(char *const *v, size_t n)
{
	if (v == NULL)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

char *capsa_engine_inspect_json(struct capsa_engine *e, const struct capsa_ctr *c)
{
	json_object *o = json_object_new_object();
	ADD(o, "Id", str(c->id));
	ADD(o, "Created", str(c->created));
	ADD(o, "Path", c->n_args ? str(c->args[0]) : str(""));
	ADD(o, "Args", c->n_args ? strv(c->args + 1, c->n_args - 1) : json_object_new_array());
	json_object *st = json_object_new_object();
	ADD(st, "Status", str(capsa_ctr_status_name(c->status)));
	ADD(st, "Running",
	    json_object_new_boolean(c->status == CAPSA_CTR_RUNNING || c->status == CAPSA_CTR_PAUSED));
	ADD(st, "Paused", json_object_new_boolean(c->status == CAPSA_CTR_PAUSED));
	ADD(st, "Restarting", json_object_new_boolean(c->status == CAPSA_CTR_RESTARTING));
	ADD(st, "OOMKilled", json_object_new_boolean(c->oom_killed));
	ADD(st, "Dead", json_object_new_boolean(c->status == CAPSA_CTR_DEAD));
	ADD(st, "Pid",
	    json_object_new_int(c->status == CAPSA_CTR_RUNNING || c->status == CAPSA_CTR_PAUSED ? c->pid
												: 0));
	ADD(st, "ExitCode", json_object_new_int(c->exit_code));
	ADD(st, "Error", str(c->error ? c->error : ""));
	ADD(st, "StartedAt", str(c->started_at ? c->started_at : "0001-01-01T00:00:00Z"));
	ADD(st, "FinishedAt", str(c->finished_at ? c->finished_at : "0001-01-01T00:00:00Z"));
	ADD(st, "TimedOut", json_object_new_boolean(c->timed_out));
	ADD(o, "State", st);
	ADD(o, "Image", str(c->image_id));
	_cleanup_free_ char *log = xasprintf("%s/containers/%s/%s-json.log", e->root, c->id, c->id);
	ADD(o, "LogPath", str(log));
	_cleanup_free_ char *name = xasprintf("/%s", c->name);
	ADD(o, "Name", str(name));
	ADD(o, "RestartCount", json_object_new_int(c->restart_count));
	ADD(o, "Driver", str("overlay"));
	ADD(o, "Platform", str("linux"));

	json_object *hc = json_object_new_object();
	ADD(hc, "NetworkMode", str(c->network));
	ADD(hc, "PortBindings", engine_network_port_bindings(e, c));
	json_object *rp = json_object_new_object();
	ADD(rp, "Name", str(capsa_restart_name(c->restart)));
	ADD(rp, "MaximumRetryCount", json_object_new_int(c->restart_max));
	ADD(hc, "RestartPolicy", rp);
	ADD(hc, "AutoRemove", json_object_new_boolean(c->auto_remove));
	ADD(hc, "Privileged", json_object_new_boolean(c->privileged));
	ADD(hc, "Init", json_object_new_boolean(c->init));
	ADD(hc, "ReadonlyRootfs", json_object_new_boolean(c->read_only));
	ADD(hc, "Memory", json_object_new_int64(c->memory));
	ADD(hc, "MemorySwap", json_object_new_int64(c->memory_swap));
	ADD(hc, "NanoCpus", json_object_new_int64(c->nano_cpus));
	ADD(hc, "CpuShares", json_object_new_int64(c->cpu_shares));
	ADD(hc, "CpusetCpus", str(c->cpuset_cpus ? c->cpuset_cpus : ""));
	ADD(hc, "PidsLimit", c->pids_limit ? json_object_new_int64(c->pids_limit) : NULL);
	json_object *lc = json_object_new_object();
	ADD(lc, "Type", str(c->log_driver));
	ADD(hc, "LogConfig", lc);
	_cleanup_free_ char *runtime = c->vm ? xasprintf("capsa-vm-%s", c->vm) : xstrdup("capsa-runtime");
	ADD(hc, "Runtime", str(runtime));
	ADD(o, "HostConfig", hc);
	if (c->vm) {
		/* A micro-VM: its backend, guest memory (mem=, 256 MiB unless -m) and vCPUs (UML has one). */
		json_object *vm = json_object_new_object();
		ADD(vm, "Backend", str(c->vm));
		ADD(vm, "Memory", json_object_new_int64(c->memory > 0 ? c->memory : 256LL << 20));
		ADD(vm, "Cpus", json_object_new_int(1));
		const char *hex = c->image_id && strchr(c->image_id, ':') ? strchr(c->image_id, ':') + 1 : "";
		/* Its root: the image's ext4 disk or its initramfs (--vm-root); records from before have
		 * none. */
		bool initramfs = c->vm_root && strcmp(c->vm_root, "initramfs") == 0;
		ADD(vm, "Root", str(initramfs ? "initramfs" : "disk"));
		_cleanup_free_ char *disk =
			xasprintf("%s/vm/%s.%s", e->root, hex, initramfs ? "cpio" : "ext4");
		ADD(vm, "Disk", str(disk));
		ADD(o, "Vm", vm);
	}

	json_object *mounts = json_object_new_array();
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct capsa_mount_spec *m = &c->mounts[i];
		json_object *j = json_object_new_object();
		static const char *const kinds[] = {"bind", "volume", "tmpfs"};
		ADD(j, "Type", str(kinds[m->kind <= CAPSA_MOUNT_TMPFS ? m->kind : 0]));
		if (m->kind == CAPSA_MOUNT_VOLUME)
			ADD(j, "Name", str(m->source));
		_cleanup_free_ char *vsrc = m->kind == CAPSA_MOUNT_VOLUME
						    ? xasprintf("%s/volumes/%s/_data", e->root, m->source)
						    : NULL;
		ADD(j, "Source", str(vsrc ? vsrc : m->source ? m->source : ""));
		ADD(j, "Destination", str(m->destination));
		ADD(j, "RW", json_object_new_boolean(!m->readonly));
		ADD(j, "Propagation", str(m->propagation ? m->propagation : ""));
		json_object_array_add(mounts, j);
	}
	ADD(o, "Mounts", mounts);

	json_object *cfg = json_object_new_object();
	ADD(cfg, "Hostname", str(c->hostname));
	ADD(cfg, "User", str(c->user ? c->user : ""));
	ADD(cfg, "Tty", json_object_new_boolean(c->tty));
	ADD(cfg, "OpenStdin", json_object_new_boolean(c->open_stdin));
	ADD(cfg, "Env", strv(c->env, c->n_env));
	ADD(cfg, "Cmd", strv(c->cmd, c->n_cmd));
	ADD(cfg, "Image", str(c->image));
	ADD(cfg, "WorkingDir", str(c->cwd));
	ADD(cfg, "Entrypoint", strv(c->entrypoint, c->n_entrypoint));
	json_object *labels = json_object_new_object();
	for (size_t i = 0; i < c->n_labels; i++)
		ADD(labels, c->labels[i].key, str(c->labels[i].value));
	ADD(cfg, "Labels", labels);
	const char *sig = capsa_signal_name(c->stop_signal);
	_cleanup_free_ char *signame = sig ? xasprintf("SIG%s", sig) : xasprintf("%d", c->stop_signal);
	ADD(cfg, "StopSignal", str(signame));
	ADD(cfg, "StopTimeout", json_object_new_int(c->stop_timeout));
	ADD(o, "Config", cfg);

	ADD(o, "NetworkSettings", engine_network_settings(e, c));
	char *out = xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
