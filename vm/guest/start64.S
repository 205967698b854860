/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry for the VMM's 64-bit start: long mode on, the first 4 GiB identity-mapped, RSI = zero page. The
 * command line pointer is at 0x228 (low half) and 0x0c8 (high half) of the zero page, as for Linux.
 */
	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	lea	stack_top(%rip), %rsp
	mov	0x228(%rsi), %eax
	mov	0x0c8(%rsi), %edx
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %rdi			/* guest_start(cmdline, zero page, 0) */
	xor	%edx, %edx
	call	guest_start
1:	cli
	hlt
	jmp	1b

	.section .bss
	.align 16
	.globl stack_bottom
stack_bottom:
	.skip 65536
	.globl stack_top
stack_top:
