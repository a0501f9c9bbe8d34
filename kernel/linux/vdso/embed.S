/*
 * The vDSO image inside the kernel (kernel side; the vDSO's own sources
 * sit beside it).  mk/vdso.mk builds and checks $(B)/vdso/vdso.so and
 * passes its path as VDSO_SO_PATH.  The image starts on a page and is
 * padded to a whole number of pages, so that the Linux layer can map the
 * kernel's own pages of it into every process (read + exec), as they are.
 */
	.section .rodata.vdso, "a"
	.balign 4096
	.globl vdso_image_start
vdso_image_start:
	.incbin VDSO_SO_PATH
	.balign 4096, 0
	.globl vdso_image_end
vdso_image_end:

	.section .note.GNU-stack, "", @progbits
