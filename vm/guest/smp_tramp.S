/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Application processor start-up code. The boot CPU copies it to 0x10000 and sends INIT and a SIPI with
 * vector 0x10: the AP starts here in real mode at CS 0x1000, IP 0, goes to protected mode, then to long mode
 * on the VMM's identity page tables at 0x9000, takes a stack slot and calls ap_main(index).
 */
#define BASE 0x10000
#define REL(x) (BASE + (x) - tramp_start)

	.section .rodata
	.globl tramp_start, tramp_end
	.code16
tramp_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	tramp_gdt_ptr - tramp_start
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x08, $REL(tramp32)

	.code32
tramp32:
	mov	$0x18, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$0x20, %eax			/* PAE */
	mov	%eax, %cr4
	mov	$0x9000, %eax			/* the VMM's boot page tables */
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x100, %eax			/* EFER.LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax
	mov	%eax, %cr0
	ljmp	$0x10, $REL(tramp64)

	.code64
tramp64:
	movabs	$ap_next, %rbx
	mov	$1, %eax
	lock xadd %eax, (%rbx)			/* this AP's index */
	mov	%eax, %edi
	lea	1(%rax), %rcx
	shl	$14, %rcx			/* 16 KiB of stack each */
	movabs	$ap_stacks, %rsp
	add	%rcx, %rsp
	movabs	$ap_main, %rax
	call	*%rax
1:	cli
	hlt
	jmp	1b

	.align 8
tramp_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff		/* 0x08: 32-bit code */
	.quad	0x00af9b000000ffff		/* 0x10: 64-bit code */
	.quad	0x00cf93000000ffff		/* 0x18: data */
tramp_gdt_ptr:
	.word	31
	.long	REL(tramp_gdt)
tramp_end:
