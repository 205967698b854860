/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interrupt stubs: one 16-byte stub per vector, 0..63, into isr_dispatch(). */
	.text
	.code64
	.align 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 64
	.align 16
	push	$vec
	jmp	isr_common
	.set vec, vec + 1
	.endr

isr_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	mov	72(%rsp), %rdi			/* vector */
	lea	80(%rsp), %rsi			/* error code or RIP */
	sub	$8, %rsp
	call	isr_dispatch
	add	$8, %rsp
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$8, %rsp
	iretq

