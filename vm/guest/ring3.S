/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The way into ring 3 (sysret) and back (syscall) for user.c. */
	.text
	.code64
/* enter_user(entry, user_stack): sysret to ring 3 with interrupts off. */
	.globl enter_user
enter_user:
	mov	%rsp, kernel_rsp(%rip)
	mov	%rdi, %rcx
	mov	$0x002, %r11
	mov	%rsi, %rsp
	sysretq

/* syscall from ring 3: RAX holds the argument; back on the kernel stack, into C, never returning. */
	.globl syscall_entry
syscall_entry:
	mov	kernel_rsp(%rip), %rsp
	mov	%rax, %rdi
	mov	%rcx, %rsi
	and	$-16, %rsp
	call	user_syscall
3:	hlt
	jmp	3b

	.bss
	.align 8
kernel_rsp:
	.quad	0
