/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMM core: builds a VM from a config (memory, kernel, devices, vCPUs), runs one thread per vCPU and an
 * event loop on the calling thread (ioeventfds, console input, the stop fd, the timeout), dispatches port and
 * MMIO exits to the devices that registered the range, and tears everything down in reverse. vm_destroy()
 * accepts a half-built VM, so every init step is undone on failure by the same code that undoes a full one.
 */
#define _GNU_SOURCE
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define VM_MAX_RANGES 32
#define VM_MAX_WATCHES 16
#define VM_MAX_GSI 24
#define VM_TSS_ADDR 0xfffbd000ull

struct io_range {
	enum vm_bus bus;
	uint64_t base, len;
	vm_io_fn fn;
	void *dev;
};

struct watch {
	int fd;
	vm_event_fn fn;
	void *dev;
};

struct vm_vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct capsa_vm_exits exits;
};

struct vm {
	int kvm_fd, vm_fd;
	struct vm_mem mem;
	size_t run_size;
	unsigned nvcpus;
	struct vm_vcpu vcpus[VM_MAX_VCPUS];
	struct io_range ranges[VM_MAX_RANGES];
	unsigned nranges;
	int epfd, wake_fd;
	struct watch watches[VM_MAX_WATCHES];
	unsigned nwatches;
	void *dev_state[10];
	pthread_mutex_t lock; /* the end state and the irqfds */
	int irqfd[VM_MAX_GSI];
	bool no_eventfds;
	bool ended;
	enum capsa_vm_end end;
	int status;
	char *detail;
};

static const struct vm_device *const device_table[] = {
	&vm_dev_uart,
	&vm_dev_i8042,
	&vm_dev_sysport,
	&vm_dev_virtio_blk,
	&vm_dev_virtio_blk2,
	&vm_dev_virtio_console,
	&vm_dev_virtio_net,
	/* Last, so the devices before it keep their places and Linux names it after the first console. */
	&vm_dev_virtio_console_err,
};

/* SIGRTMIN+3 kicks a vCPU thread out of KVM_RUN; the handler does nothing, the EINTR is the point. */
static int kick_signal(void)
{
	return SIGRTMIN + 3;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void install_kick_handler(void)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return EINTR. */
	sigaction(kick_signal(), &sa, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const struct vm_mem *vm_guest_mem(struct vm *vm)
{
	return &vm->mem;
}

int vm_fd(struct vm *vm)
{
	return vm->vm_fd;
}

int vm_register_io(struct vm *vm, enum vm_bus bus, uint64_t base, uint64_t len, vm_io_fn fn, void *dev,
		   struct capsa_error **err)
{
	if (len == 0 || base + len < base)
		return capsa_error_set(err, EINVAL, "empty or wrapping I/O range at %#llx",
				       (unsigned long long)base);
	for (unsigned i = 0; i < vm->nranges; i++) {
		struct io_range *r = &vm->ranges[i];
		if (r->bus == bus && base < r->base + r->len && r->base < base + len)
			return capsa_error_set(err, EBUSY, "%s range %#llx+%llu overlaps %#llx+%llu",
					       bus == VM_BUS_PIO ? "port" : "MMIO", (unsigned long long)base,
					       (unsigned long long)len, (unsigned long long)r->base,
					       (unsigned long long)r->len);
	}
	if (vm->nranges == VM_MAX_RANGES)
		return capsa_error_set(err, ENOSPC, "too many device ranges (%d)", VM_MAX_RANGES);
	vm->ranges[vm->nranges++] =
		(struct io_range){.bus = bus, .base = base, .len = len, .fn = fn, .dev = dev};
	return 0;
}

static void kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vm_vcpu *v = &vm->vcpus[i];
		if (!__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
			continue;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(v->thread, kick_signal());
	}
	uint64_t one = 1;
	if (write(vm->wake_fd, &one, sizeof(one)) < 0)
		capsa_debug("vm: wake event loop: %m");
}

void vm_request_end(struct vm *vm, enum capsa_vm_end end, int status, const char *detail_fmt, ...)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->ended) {
		vm->ended = true;
		vm->end = end;
		vm->status = status;
		if (detail_fmt) {
			va_list ap;
			va_start(ap, detail_fmt);
			if (vasprintf(&vm->detail, detail_fmt, ap) < 0)
				vm->detail = NULL;
			va_end(ap);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	kick_all(vm);
}

static bool vm_ended(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	bool e = vm->ended;
	pthread_mutex_unlock(&vm->lock);
	return e;
}

void vm_irq_raise(struct vm *vm, unsigned gsi)
{
	if (gsi >= VM_MAX_GSI)
		return;
	pthread_mutex_lock(&vm->lock);
	int fd = vm->irqfd[gsi];
	if (fd == -2) {
		/* An irqfd turns the two KVM_IRQ_LINE ioctls of an edge into one eventfd write. */
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		struct kvm_irqfd irqfd = {.fd = (uint32_t)fd, .gsi = gsi};
		if (fd >= 0 && ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			capsa_debug("vm: KVM_IRQFD for gsi %u: %m; using KVM_IRQ_LINE", gsi);
			close(fd);
			fd = -1;
		}
		vm->irqfd[gsi] = fd;
	}
	pthread_mutex_unlock(&vm->lock);
	if (fd >= 0) {
		uint64_t one = 1;
		if (write(fd, &one, sizeof(one)) == sizeof(one))
			return;
	}
	struct kvm_irq_level l = {.irq = gsi, .level = 1};
	ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t value, struct capsa_error **err)
{
	if (vm->no_eventfds)
		return capsa_error_set(err, ENOTSUP, "ioeventfds are off for this VM");
	_cleanup_close_ int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return capsa_error_errno(err, "eventfd");
	struct kvm_ioeventfd io = {
		.datamatch = value, .addr = addr, .len = 4, .fd = fd, .flags = KVM_IOEVENTFD_FLAG_DATAMATCH};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return capsa_error_errno(err, "KVM_IOEVENTFD at %#llx", (unsigned long long)addr);
	return TAKE_FD(fd);
}

int vm_watch_fd(struct vm *vm, int fd, vm_event_fn fn, void *dev, struct capsa_error **err)
{
	if (vm->nwatches == VM_MAX_WATCHES)
		return capsa_error_set(err, ENOSPC, "too many watched fds (%d)", VM_MAX_WATCHES);
	struct watch *w = &vm->watches[vm->nwatches];
	*w = (struct watch){.fd = fd, .fn = fn, .dev = dev};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
	if (epoll_ctl(vm->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return capsa_error_errno(err, "watch fd %d", fd);
	vm->nwatches++;
	return 0;
}

int vm_watch_pause(struct vm *vm, int fd, bool pause)
{
	for (unsigned i = 0; i < vm->nwatches; i++) {
		if (vm->watches[i].fd != fd)
			continue;
		struct epoll_event ev = {.events = pause ? 0 : EPOLLIN, .data.ptr = &vm->watches[i]};
		return epoll_ctl(vm->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	errno = ENOENT;
	return -1;
}

static void dispatch(struct vm *vm, enum vm_bus bus, uint64_t addr, uint8_t *data, uint32_t len,
		     bool is_write)
{
	for (unsigned i = 0; i < vm->nranges; i++) {
		struct io_range *r = &vm->ranges[i];
		if (r->bus == bus && addr >= r->base && addr - r->base < r->len) {
			r->fn(r->dev, addr - r->base, data, len, is_write);
			return;
		}
	}
	/* Nothing there: reads float high like an empty ISA bus, writes vanish. */
	if (!is_write)
		memset(data, 0xff, len);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_FAIL_ENTRY:
		return "entry failure";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM internal error";
	case KVM_EXIT_EXCEPTION:
		return "unhandled exception";
	case KVM_EXIT_UNKNOWN:
		return "unknown exit";
	default:
		return "unexpected exit";
	}
}

static void vcpu_failed(struct vm_vcpu *v, uint32_t reason)
{
	struct kvm_regs r = {0};
	ioctl(v->fd, KVM_GET_REGS, &r);
	uint64_t extra = 0;
	if (reason == KVM_EXIT_FAIL_ENTRY)
		extra = v->run->fail_entry.hardware_entry_failure_reason;
	else if (reason == KVM_EXIT_INTERNAL_ERROR)
		extra = v->run->internal.suberror;
	vm_request_end(v->vm, CAPSA_VM_END_ERROR, -1, "vcpu %u: %s (exit %u, code %#llx) at rip %#llx", v->id,
		       exit_name(reason), reason, (unsigned long long)extra, (unsigned long long)r.rip);
}

static void *vcpu_thread(void *arg)
{
	struct vm_vcpu *v = arg;
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	char name[16];
	snprintf(name, sizeof(name), "capsa-vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);

	while (!vm_ended(vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->exits.intr++;
				continue;
			}
			vm_request_end(vm, CAPSA_VM_END_ERROR, -1, "vcpu %u: KVM_RUN: %s", v->id,
				       strerror(errno));
			break;
		}
		v->exits.total++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			v->exits.io++;
			uint8_t *data = (uint8_t *)run + run->io.data_offset;
			for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
				dispatch(vm, VM_BUS_PIO, run->io.port, data, run->io.size,
					 run->io.direction == KVM_EXIT_IO_OUT);
			break;
		}
		case KVM_EXIT_MMIO:
			v->exits.mmio++;
			if (run->mmio.len > sizeof(run->mmio.data))
				break;
			dispatch(vm, VM_BUS_MMIO, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				 run->mmio.is_write);
			break;
		case KVM_EXIT_HLT:
			v->exits.hlt++;
			vm_request_end(vm, CAPSA_VM_END_HALT, -1, "vcpu %u halted", v->id);
			break;
		case KVM_EXIT_SHUTDOWN: {
			v->exits.shutdown++;
			struct kvm_regs r = {0};
			ioctl(v->fd, KVM_GET_REGS, &r);
			vm_request_end(vm, CAPSA_VM_END_TRIPLE_FAULT, -1,
				       "vcpu %u: triple fault at rip %#llx", v->id,
				       (unsigned long long)r.rip);
			break;
		}
		case KVM_EXIT_SYSTEM_EVENT:
			v->exits.other++;
			if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
				vm_request_end(vm, CAPSA_VM_END_RESET, -1, NULL);
			else if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
				vm_request_end(vm, CAPSA_VM_END_PANIC, -1, "system event: crash");
			else
				vm_request_end(vm, CAPSA_VM_END_EXIT, 0, NULL);
			break;
		case KVM_EXIT_INTR:
			v->exits.intr++;
			break;
		default:
			v->exits.other++;
			vcpu_failed(v, run->exit_reason);
			break;
		}
	}
	return NULL;
}

static void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vm_vcpu *v = &vm->vcpus[i];
		if (v->started)
			pthread_join(v->thread, NULL);
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	/* Devices after the vCPUs (nothing can call into them any more), in reverse order of creation. */
	for (size_t i = ARRAY_SIZE(device_table); i-- > 0;)
		if (vm->dev_state[i])
			device_table[i]->destroy(vm->dev_state[i]);
	for (unsigned i = 0; i < VM_MAX_GSI; i++)
		if (vm->irqfd[i] >= 0)
			close(vm->irqfd[i]);
	if (vm->epfd >= 0)
		close(vm->epfd);
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->mem.base)
		munmap(vm->mem.base, vm->mem.size);
	pthread_mutex_destroy(&vm->lock);
	free(vm->detail);
	free(vm);
}

static void vm_destroyp(struct vm **vm)
{
	if (*vm)
		vm_destroy(*vm);
}

static int map_file(const char *what, const char *path, uint8_t **out, size_t *len, struct capsa_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return capsa_error_errno(err, "open %s %s", what, path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return capsa_error_errno(err, "stat %s %s", what, path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return capsa_error_set(err, EINVAL, "%s %s is not a regular, non-empty file", what, path);
	void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return capsa_error_errno(err, "map %s %s", what, path);
	*out = p;
	*len = st.st_size;
	return 0;
}

static int kvm_check(int kvm_fd, int vm_fd, long cap)
{
	return ioctl(vm_fd >= 0 ? vm_fd : kvm_fd, KVM_CHECK_EXTENSION, cap);
}

static int vm_create_machine(struct vm *vm, uint64_t mem_size, struct capsa_error **err)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return capsa_error_errno(err, "open /dev/kvm");
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return capsa_error_set(err, ENOTSUP, "KVM API version %d, capsa needs %d", api,
				       KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return capsa_error_errno(err, "KVM_CREATE_VM");
	if (kvm_check(vm->kvm_fd, vm->vm_fd, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, VM_TSS_ADDR) < 0)
		capsa_debug("vm: KVM_SET_TSS_ADDR: %m");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return capsa_error_errno(err, "KVM_CREATE_IRQCHIP");
	if (kvm_check(vm->kvm_fd, vm->vm_fd, KVM_CAP_PIT2) > 0) {
		struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
			return capsa_error_errno(err, "KVM_CREATE_PIT2");
	}
	/* NORESERVE: the guest touches only what it uses; host RSS grows with the guest, not with --memory.
	 */
	void *p = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
		return capsa_error_errno(err, "map %llu MiB of guest memory",
					 (unsigned long long)(mem_size >> 20));
	vm->mem = (struct vm_mem){.base = p, .size = mem_size};
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size, .userspace_addr = (uintptr_t)p};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return capsa_error_errno(err, "KVM_SET_USER_MEMORY_REGION");
	vm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epfd < 0)
		return capsa_error_errno(err, "epoll_create1");
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->wake_fd < 0)
		return capsa_error_errno(err, "eventfd");
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(vm->epfd, EPOLL_CTL_ADD, vm->wake_fd, &ev) < 0)
		return capsa_error_errno(err, "epoll_ctl");
	return 0;
}

static int vm_create_vcpus(struct vm *vm, unsigned n, const struct vm_kernel *k, struct capsa_error **err)
{
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return capsa_error_errno(err, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = size;
	for (unsigned i = 0; i < n; i++) {
		struct vm_vcpu *v = &vm->vcpus[i];
		*v = (struct vm_vcpu){.vm = vm, .id = i, .fd = -1};
		vm->nvcpus++;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return capsa_error_errno(err, "KVM_CREATE_VCPU %u", i);
		void *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (run == MAP_FAILED)
			return capsa_error_errno(err, "map vcpu %u", i);
		v->run = run;
		if (vm_x86_setup_vcpu(vm->kvm_fd, v->fd, i, n, k, err) < 0)
			return capsa_error_prefix(err, "vcpu %u", i);
	}
	return 0;
}

/* Places the command line, the initrd and the zero page (or PVH start info), and writes the MP table. */
static int vm_load_boot(struct vm *vm, const struct capsa_vm_config *cfg, const struct vm_kernel *k,
			const char *cmdline, struct capsa_error **err)
{
	struct vm_boot_info info = {.cmdline_addr = VM_CMDLINE, .mem_size = vm->mem.size};
	size_t clen = strlen(cmdline);
	if (clen >= VM_CMDLINE_MAX)
		return capsa_error_set(err, E2BIG, "kernel command line is %zu bytes, at most %d", clen,
				       VM_CMDLINE_MAX - 1);
	memcpy(vm->mem.base + VM_CMDLINE, cmdline, clen + 1);
	info.cmdline_size = (uint32_t)clen;

	if (cfg->initrd) {
		uint8_t *buf;
		size_t len;
		if (map_file("initrd", cfg->initrd, &buf, &len, err) < 0)
			return -1;
		uint64_t top = vm->mem.size;
		if (k->bzimage) {
			uint32_t max;
			memcpy(&max, k->setup_hdr + (0x22c - 0x1f1), sizeof(max));
			if ((uint64_t)max + 1 < top)
				top = (uint64_t)max + 1;
		}
		uint64_t addr = len > top ? 0 : (top - len) & ~0xfffull;
		if (addr < k->load_end) {
			munmap(buf, len);
			return capsa_error_set(err, ENOMEM,
					       "initrd %s (%zu MiB) does not fit above the kernel",
					       cfg->initrd, len >> 20);
		}
		memcpy(vm->mem.base + addr, buf, len);
		munmap(buf, len);
		info.initrd_addr = addr;
		info.initrd_size = len;
	}
	if (k->mode == VM_ENTRY_PVH32) {
		if (vm_pvh_info_build(&vm->mem, VM_ZERO_PAGE, &info, err) < 0)
			return -1;
	} else if (vm_boot_params_build(vm->mem.base + VM_ZERO_PAGE, k->bzimage ? k->setup_hdr : NULL,
					k->setup_hdr_len, &info, err) < 0) {
		return -1;
	}
	return vm_mptable_build(&vm->mem, VM_MPTABLE, vm->nvcpus ? vm->nvcpus : 1, err);
}

static void event_loop(struct vm *vm, const struct capsa_vm_config *cfg, uint64_t start)
{
	uint64_t deadline = cfg->timeout_ms ? start + cfg->timeout_ms * 1000000ull : 0;
	while (!vm_ended(vm)) {
		int timeout = -1;
		if (deadline) {
			uint64_t t = now_ns();
			if (t >= deadline) {
				vm_request_end(vm, CAPSA_VM_END_TIMEOUT, -1, "ran longer than %llu ms",
					       (unsigned long long)cfg->timeout_ms);
				break;
			}
			timeout = (int)((deadline - t) / 1000000ull) + 1;
		}
		struct epoll_event evs[8];
		int n = epoll_wait(vm->epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			vm_request_end(vm, CAPSA_VM_END_ERROR, -1, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			if (w == NULL)
				continue; /* the wake fd: the loop condition sees the end */
			if (w->fn == NULL) {
				vm_request_end(vm, CAPSA_VM_END_STOPPED, -1, "stopped by the host");
				continue;
			}
			w->fn(w->dev, w->fd);
		}
	}
}

static int run_vm(const struct capsa_vm_config *cfg, struct capsa_vm_result *res, struct capsa_error **err)
{
	uint64_t t0 = now_ns();
	uint64_t mem_size = (cfg->mem_mib ? cfg->mem_mib : 256) << 20;
	unsigned nvcpus = cfg->vcpus ? cfg->vcpus : 1;
	if (nvcpus > VM_MAX_VCPUS)
		return capsa_error_set(err, EINVAL, "%u vCPUs: at most %d", nvcpus, VM_MAX_VCPUS);
	if (cfg->mem_mib > (VM_MAX_MEM >> 20) || mem_size < 4 * VM_HIGH_START)
		return capsa_error_set(err, EINVAL, "memory of %llu MiB: 4..%llu MiB supported",
				       (unsigned long long)cfg->mem_mib,
				       (unsigned long long)(VM_MAX_MEM >> 20));
	if (!cfg->kernel)
		return capsa_error_set(err, EINVAL, "no kernel given");

	uint8_t *kbuf;
	size_t klen;
	if (map_file("kernel", cfg->kernel, &kbuf, &klen, err) < 0)
		return -1;
	struct vm_kernel k;
	int r = vm_kernel_probe(kbuf, klen, &k, err);
	if (r == 0 && k.is_linux && !cfg->allow_pvm_linux && capsa_vm_check_linux_host(err) < 0)
		r = -1;
	if (r < 0) {
		munmap(kbuf, klen);
		return capsa_error_prefix(err, "kernel %s", cfg->kernel);
	}

	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_kick_handler);

	__attribute__((cleanup(vm_destroyp))) struct vm *vm = xzalloc(sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->epfd = vm->wake_fd = -1;
	for (unsigned i = 0; i < VM_MAX_GSI; i++)
		vm->irqfd[i] = cfg->no_eventfds ? -1 : -2; /* -2: not made yet */
	pthread_mutex_init(&vm->lock, NULL);
	vm->no_eventfds = cfg->no_eventfds;

	if (vm_create_machine(vm, mem_size, err) < 0 || vm_x86_setup_memory(&vm->mem, err) < 0) {
		munmap(kbuf, klen);
		return -1;
	}
	r = vm_kernel_load(&vm->mem, kbuf, klen, &k, err);
	munmap(kbuf, klen);
	if (r < 0)
		return capsa_error_prefix(err, "kernel %s", cfg->kernel);

	unsigned nvirtio = 0;
	for (size_t i = 0; i < ARRAY_SIZE(device_table); i++)
		if (device_table[i]->init(vm, cfg, &nvirtio, &vm->dev_state[i], err) < 0)
			return capsa_error_prefix(err, "%s", device_table[i]->name);
	if (cfg->stop_fd >= 0) {
		if (vm_watch_fd(vm, cfg->stop_fd, NULL, NULL, err) < 0)
			return -1;
	}

	/* Announce the virtio-mmio devices on the command line: Linux has no other way to find them. */
	_cleanup_free_ char *cmdline = xstrdup(cfg->cmdline ? cfg->cmdline : "");
	for (unsigned i = 0; i < nvirtio; i++) {
		_cleanup_free_ char *dev = virtio_mmio_cmdline(i);
		char *c = xasprintf("%s%s%s", cmdline, *cmdline ? " " : "", dev);
		free(cmdline);
		cmdline = c;
	}
	vm->nvcpus = 0;
	if (vm_create_vcpus(vm, nvcpus, &k, err) < 0 || vm_load_boot(vm, cfg, &k, cmdline, err) < 0)
		return -1;

	uint64_t t1 = now_ns();
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vm_vcpu *v = &vm->vcpus[i];
		int e = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (e != 0) {
			vm_request_end(vm, CAPSA_VM_END_ERROR, -1, "start vcpu %u: %s", i, strerror(e));
			break;
		}
		/* Read by kick_all() on other threads; the thread id is valid once this is seen. */
		__atomic_store_n(&v->started, true, __ATOMIC_RELEASE);
	}
	event_loop(vm, cfg, t1);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vm_vcpu *v = &vm->vcpus[i];
		if (v->started)
			pthread_join(v->thread, NULL);
		v->started = false;
		res->exits.total += v->exits.total;
		res->exits.io += v->exits.io;
		res->exits.mmio += v->exits.mmio;
		res->exits.hlt += v->exits.hlt;
		res->exits.shutdown += v->exits.shutdown;
		res->exits.intr += v->exits.intr;
		res->exits.other += v->exits.other;
	}
	res->run_ns = now_ns() - t1;
	res->setup_ns = t1 - t0;
	res->end = vm->end;
	res->status = vm->status;
	res->detail = TAKE_PTR(vm->detail);
	return 0;
}

int capsa_vm_run(const struct capsa_vm_config *cfg, struct capsa_vm_result *res, struct capsa_error **err)
{
	memset(res, 0, sizeof(*res));
	if (run_vm(cfg, res, err) < 0) {
		capsa_vm_result_free(res);
		return -1;
	}
	return 0;
}

void capsa_vm_result_free(struct capsa_vm_result *res)
{
	free(res->detail);
	res->detail = NULL;
}

const char *capsa_vm_end_name(enum capsa_vm_end end)
{
	switch (end) {
	case CAPSA_VM_END_EXIT:
		return "exited";
	case CAPSA_VM_END_RESET:
		return "reset by the guest";
	case CAPSA_VM_END_PANIC:
		return "guest panic";
	case CAPSA_VM_END_TRIPLE_FAULT:
		return "triple fault";
	case CAPSA_VM_END_STOPPED:
		return "stopped";
	case CAPSA_VM_END_TIMEOUT:
		return "timed out";
	case CAPSA_VM_END_HALT:
		return "halted";
	case CAPSA_VM_END_ERROR:
		return "VMM error";
	}
	return "unknown end";
}

int capsa_vm_result_status(const struct capsa_vm_result *res, int *status, struct capsa_error **err)
{
	if (res->end == CAPSA_VM_END_EXIT) {
		*status = res->status;
		return 0;
	}
	if (res->detail)
		return capsa_error_set(err, 0, "%s: %s", capsa_vm_end_name(res->end), res->detail);
	return capsa_error_set(err, 0, "%s", capsa_vm_end_name(res->end));
}
