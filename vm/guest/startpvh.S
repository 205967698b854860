/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PVH entry: the VMM starts us in flat 32-bit protected mode with paging off and EBX pointing at
 * hvm_start_info. Build identity page tables for the first 1 GiB, enable PAE, long mode and paging, and jump
 * to 64-bit code with our own GDT - what a bootloader-less kernel does for itself.
 */
	.section .note.Xen, "a", @note
	.align 4
	.long	4		/* name size */
	.long	4		/* desc size */
	.long	18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.long	pvh_start

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
pvh_start:
	cli
	mov	$stack_top, %esp
	mov	%ebx, %esi			/* keep start_info */

	/* pml4[0] -> pdpt, pdpt[0] -> pd, pd[i] = i * 2 MiB (present, writable, user, large). */
	mov	$pvh_pdpt, %eax
	or	$7, %eax
	mov	%eax, pvh_pml4
	mov	$pvh_pd, %eax
	or	$7, %eax
	mov	%eax, pvh_pdpt
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$0x87, %eax
	mov	%eax, pvh_pd(,%ecx,8)
	movl	$0, pvh_pd+4(,%ecx,8)
	inc	%ecx
	cmp	$512, %ecx
	jne	1b

	mov	%cr4, %eax
	or	$0x20, %eax			/* PAE */
	mov	%eax, %cr4
	mov	$pvh_pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx		/* EFER */
	rdmsr
	or	$0x100, %eax			/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax		/* PG, PE */
	mov	%eax, %cr0
	lgdt	pvh_gdt_ptr
	ljmp	$0x10, $pvh_long

	.code64
pvh_long:
	mov	$0x18, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	lea	stack_top(%rip), %rsp
	mov	%esi, %esi
	mov	24(%rsi), %rdi			/* guest_start(start_info.cmdline_paddr, start_info, 1) */
	mov	$1, %edx
	call	guest_start
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.align 16
pvh_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00af9b000000ffff		/* 0x10: 64-bit code */
	.quad	0x00cf93000000ffff		/* 0x18: data */
pvh_gdt_ptr:
	.word	pvh_gdt_ptr - pvh_gdt - 1
	.long	pvh_gdt

	.section .bss
	.align 4096
pvh_pml4:
	.skip 4096
pvh_pdpt:
	.skip 4096
pvh_pd:
	.skip 4096
	.align 16
	.globl stack_bottom
stack_bottom:
	.skip 65536
	.globl stack_top
stack_top:
