#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Wraps a guest program linked at 0x1000200 (guest-bz.ld) as a bzImage for the Linux 64-bit boot protocol:
a boot sector and 4 setup sectors holding a 2.15 setup header, then the protected-mode payload, whose 64-bit
entry sits at offset 0x200 as in a real kernel. It exercises capsa's bzImage path without a Linux kernel.
Usage: mkbzimage.py PROGRAM.elf OUT.bzImage"""
import struct
import sys

LOAD = 0x1000000


def segments(elf):
    phoff, = struct.unpack_from('<Q', elf, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', elf, 0x36)
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from('<IIQQQQQQ', elf, phoff + i * phentsize)
        if p_type == 1:
            yield off, paddr, filesz, memsz


def main():
    elf = open(sys.argv[1], 'rb').read()
    segs = list(segments(elf))
    end = max(paddr + memsz for _, paddr, _, memsz in segs)
    file_end = max(paddr + filesz for _, paddr, filesz, _ in segs)
    payload = bytearray(file_end - LOAD)
    for off, paddr, filesz, _ in segs:
        payload[paddr - LOAD:paddr - LOAD + filesz] = elf[off:off + filesz]
    setup = bytearray(5 * 512)
    setup[0x1f1] = 4                                  # setup_sects
    struct.pack_into('<H', setup, 0x1fe, 0xaa55)      # boot_flag
    setup[0x200:0x202] = b'\xeb\x66'                  # jump over the header, which ends at 0x268
    setup[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', setup, 0x206, 0x20f)       # boot protocol 2.15
    setup[0x211] = 1                                  # loadflags: LOADED_HIGH
    struct.pack_into('<I', setup, 0x214, LOAD)        # code32_start
    struct.pack_into('<I', setup, 0x22c, 0x7fffffff)  # initrd_addr_max
    struct.pack_into('<I', setup, 0x230, 0x200000)    # kernel_alignment
    struct.pack_into('<H', setup, 0x236, 0x1)         # xloadflags: XLF_KERNEL_64
    struct.pack_into('<I', setup, 0x238, 2047)        # cmdline_size
    struct.pack_into('<Q', setup, 0x258, LOAD)        # pref_address
    struct.pack_into('<I', setup, 0x260, (end - LOAD + 0xfff) & ~0xfff)  # init_size covers the bss
    with open(sys.argv[2], 'wb') as f:
        f.write(setup + payload)


if __name__ == '__main__':
    main()
