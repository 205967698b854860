/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Legacy port devices: an 8250 UART at 0x3f8 (output only, batched into whole lines), an i8042 stub whose
 * only job is the reset command, and capsa's system ports: the exit port, pvpanic and the reset control
 * register at 0xcf9.
 */
#include "vm/internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* ---- 8250 UART ---- */

#define UART_BASE 0x3f8
#define UART_IRQ 4
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IER_THRI 0x02
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02
#define UART_LCR_DLAB 0x80

struct uart {
	struct vm *vm;
	pthread_mutex_t lock;
	int out_fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool thri_pending;
	size_t len;
	char buf[256];
};

static void uart_flush(struct uart *u)
{
	if (u->len && u->out_fd >= 0 && capsa_write_all(u->out_fd, u->buf, u->len) < 0)
		capsa_debug("vm: uart output: %m");
	u->len = 0;
}

static void uart_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct uart *u = dev;
	bool irq = false;
	pthread_mutex_lock(&u->lock);
	bool dlab = u->lcr & UART_LCR_DLAB;
	if (is_write) {
		uint8_t v = data[0];
		switch (off) {
		case 0:
			if (dlab) {
				u->dll = v;
				break;
			}
			/* One write(2) per line, not per character: the exits are unavoidable, the syscalls
			 * not. */
			u->buf[u->len++] = (char)v;
			if (v == '\n' || u->len == sizeof(u->buf))
				uart_flush(u);
			if (u->ier & UART_IER_THRI)
				irq = u->thri_pending = true;
			break;
		case 1:
			if (dlab) {
				u->dlm = v;
				break;
			}
			/* Enabling the transmit interrupt with an empty holding register raises it at once.
			 */
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				irq = u->thri_pending = true;
			u->ier = v & 0x0f;
			break;
		case 3:
			u->lcr = v;
			break;
		case 4:
			u->mcr = v;
			break;
		case 7:
			u->scr = v;
			break;
		}
	} else {
		uint8_t v = 0;
		switch (off) {
		case 0:
			v = dlab ? u->dll : 0;
			break;
		case 1:
			v = dlab ? u->dlm : u->ier;
			break;
		case 2:
			v = u->thri_pending ? UART_IIR_THRI : UART_IIR_NONE;
			u->thri_pending = false;
			break;
		case 3:
			v = u->lcr;
			break;
		case 4:
			v = u->mcr;
			break;
		case 5:
			v = UART_LSR_THRE | UART_LSR_TEMT;
			break;
		case 6:
			v = 0xb0; /* DCD, DSR, CTS */
			break;
		case 7:
			v = u->scr;
			break;
		}
		memset(data, 0, len);
		data[0] = v;
	}
	pthread_mutex_unlock(&u->lock);
	if (irq)
		vm_irq_raise(u->vm, UART_IRQ);
}

static int uart_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		     struct capsa_error **err)
{
	struct uart *u = xzalloc(sizeof(*u));
	u->vm = vm;
	u->out_fd = cfg->serial_out_fd;
	pthread_mutex_init(&u->lock, NULL);
	if (vm_register_io(vm, VM_BUS_PIO, UART_BASE, 8, uart_io, u, err) < 0) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return -1;
	}
	*state = u;
	return 0;
}

static void uart_destroy(void *state)
{
	struct uart *u = state;
	uart_flush(u); /* a last line without a newline */
	pthread_mutex_destroy(&u->lock);
	free(u);
}

const struct vm_device vm_dev_uart = {.name = "uart", .init = uart_init, .destroy = uart_destroy};

/* ---- i8042: the reset line only ---- */

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_CMD_RESET 0xfe

struct i8042 {
	struct vm *vm;
};

static void i8042_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *k = dev;
	if (!is_write) {
		/* Status 0: output buffer empty, input buffer empty, so the guest never waits on us. */
		memset(data, 0, len);
		return;
	}
	if (off == I8042_CMD - I8042_DATA && data[0] == I8042_CMD_RESET)
		vm_request_end(k->vm, CAPSA_VM_END_RESET, -1, "i8042 reset");
}

static int i8042_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index, void **state,
		      struct capsa_error **err)
{
	struct i8042 *k = xzalloc(sizeof(*k));
	k->vm = vm;
	if (vm_register_io(vm, VM_BUS_PIO, I8042_DATA, 5, i8042_io, k, err) < 0) {
		free(k);
		return -1;
	}
	*state = k;
	return 0;
}

const struct vm_device vm_dev_i8042 = {.name = "i8042", .init = i8042_init, .destroy = free};

/* ---- capsa's system ports ---- */

#define RESET_CONTROL 0xcf9
#define PVPANIC_PANICKED 1

struct sysport {
	struct vm *vm;
};

static void exit_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct sysport *s = dev;
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	uint32_t v = 0;
	memcpy(&v, data, len < 4 ? len : 4);
	vm_request_end(s->vm, CAPSA_VM_END_EXIT, (int)v, NULL);
}

static void pvpanic_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct sysport *s = dev;
	if (!is_write) {
		memset(data, 0, len);
		data[0] = PVPANIC_PANICKED; /* the events this device reports */
		return;
	}
	if (data[0] & PVPANIC_PANICKED)
		vm_request_end(s->vm, CAPSA_VM_END_PANIC, -1, "the guest reported a panic (pvpanic)");
}

static void reset_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct sysport *s = dev;
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	/* Bit 2 starts the reset; bits 1 and 3 choose its kind, which makes no difference here. */
	if (data[0] & 4)
		vm_request_end(s->vm, CAPSA_VM_END_RESET, -1, "reset control register");
}

static int sysport_init(struct vm *vm, const struct capsa_vm_config *cfg, unsigned *virtio_index,
			void **state, struct capsa_error **err)
{
	_cleanup_free_ struct sysport *s = xzalloc(sizeof(*s));
	s->vm = vm;
	if (vm_register_io(vm, VM_BUS_PIO, CAPSA_VM_EXIT_PORT, 4, exit_io, s, err) < 0 ||
	    vm_register_io(vm, VM_BUS_PIO, CAPSA_VM_PANIC_PORT, 1, pvpanic_io, s, err) < 0 ||
	    vm_register_io(vm, VM_BUS_PIO, RESET_CONTROL, 1, reset_io, s, err) < 0)
		return -1;
	*state = TAKE_PTR(s);
	return 0;
}

const struct vm_device vm_dev_sysport = {.name = "system ports", .init = sysport_init, .destroy = free};
