/*
 * Loading a static program: the ELF file's PT_LOAD segments are copied into
 * fresh anonymous memory of the process (the file systems are in memory, so
 * a copy costs what a page-cache mapping would), the stack is built exactly
 * as Linux builds it, and the vDSO is mapped.
 *
 * The layout (no randomisation: runs are reproducible; docs/linux-abi.md):
 *
 *	0x7fffffffe000	stack top (8 MiB below it, faulted in as touched)
 *	stack - 8 MiB - 64 KiB	the vDSO's data page, then its image
 *	below that	mmap, top down
 *	brk		after the program's last segment
 *	0x555555554000	a static-PIE program's load address
 *	0x400000	a static program's usual load address (its own choice)
 */
#include <string.h>

#include <osprey/format.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/vdso.h>

#include "elf.h"
#include "internal.h"

#define PIE_BASE 0x555555554000ull
#define STACK_TOP 0x7fffffffe000ull
#define STACK_SIZE (8ull << 20)
#define VDSO_GAP (64ull << 10)

/* Auxiliary vector keys (Linux's values). */
enum {
	AT_NULL = 0,
	AT_PHDR = 3,
	AT_PHENT = 4,
	AT_PHNUM = 5,
	AT_PAGESZ = 6,
	AT_BASE = 7,
	AT_FLAGS = 8,
	AT_ENTRY = 9,
	AT_UID = 11,
	AT_EUID = 12,
	AT_GID = 13,
	AT_EGID = 14,
	AT_PLATFORM = 15,
	AT_HWCAP = 16,
	AT_CLKTCK = 17,
	AT_SECURE = 23,
	AT_RANDOM = 25,
	AT_HWCAP2 = 26,
	AT_EXECFN = 31,
	AT_SYSINFO_EHDR = 33,
	AT_MINSIGSTKSZ = 51,
};

static int load_segments(struct process *p, int fd, const struct elf_info *e, uint64_t bias)
{
	uintptr_t mapped_end = 0; /* end of the pages mapped so far */
	int prev_prot = 0;
	int err;

	for (int i = 0; i < e->nseg; i++) {
		const struct elf_segment *s = &e->seg[i];
		uintptr_t start = ALIGN_DOWN(s->vaddr + bias, LINUX_PAGE);
		uintptr_t end = ALIGN_UP(s->vaddr + bias + s->memsz, LINUX_PAGE);

		if (start < mapped_end) {
			/* Shares its first page with the previous segment: give it both rights. */
			err = vm_protect(p->as, start, LINUX_PAGE, prev_prot | s->prot | VM_WRITE);
			if (err)
				return err;
			start += LINUX_PAGE;
		}
		if (start < end) {
			err = vm_map(p->as, start, end - start, s->prot | VM_WRITE, NULL, NULL);
			if (err)
				return err;
		}
		mapped_end = MAX(mapped_end, end);
		prev_prot = s->prot;
	}
	/* Copy the file's bytes in; the rest of each segment stays zero. */
	for (int i = 0; i < e->nseg; i++) {
		const struct elf_segment *s = &e->seg[i];
		size_t done;

		if (!s->filesz)
			continue;
		err = vfs_pread(p->files, fd, (void *)(uintptr_t)(s->vaddr + bias), s->filesz,
				s->offset, &done);
		if (err)
			return err;
		if (done != s->filesz)
			return -EIO;
	}
	/* Final rights, page by page where segments share one. */
	for (int i = 0; i < e->nseg; i++) {
		const struct elf_segment *s = &e->seg[i];
		uintptr_t start = ALIGN_DOWN(s->vaddr + bias, LINUX_PAGE);
		uintptr_t end = ALIGN_UP(s->vaddr + bias + s->memsz, LINUX_PAGE);
		int prot = s->prot;

		if (i > 0 && start < ALIGN_UP(e->seg[i - 1].vaddr + bias + e->seg[i - 1].memsz,
					      LINUX_PAGE)) {
			err = vm_protect(p->as, start, LINUX_PAGE, prot | e->seg[i - 1].prot);
			if (err)
				return err;
			start += LINUX_PAGE;
		}
		if (i + 1 < e->nseg && ALIGN_DOWN(e->seg[i + 1].vaddr + bias, LINUX_PAGE) < end)
			end -= LINUX_PAGE; /* the next segment sets the shared page */
		if (start < end) {
			err = vm_protect(p->as, start, end - start, prot);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The vDSO's pages are the kernel's, shared by every process (borrowed). */
static int vdso_fault(const struct vma *v, uint64_t off, void **page)
{
	size_t len;
	const char *image = vdso_image(&len);

	if (!v->priv)
		*page = vdso_data_page();
	else if (off < len)
		*page = (void *)(image + off);
	else
		return -EFAULT;
	return 0;
}

static const struct vm_ops vdso_ops = { .fault = vdso_fault, .borrowed = true };

static int map_vdso(struct process *p, uintptr_t *base)
{
	size_t len;
	uintptr_t data;
	int err;

	vdso_image(&len);
	data = STACK_TOP - STACK_SIZE - VDSO_GAP - len - LINUX_PAGE;
	err = vm_map(p->as, data, LINUX_PAGE, VM_READ, &vdso_ops, NULL);
	if (!err)
		err = vm_map(p->as, data + LINUX_PAGE, len, VM_READ | VM_EXEC, &vdso_ops,
			     (void *)1);
	if (err)
		return err;
	*base = data + LINUX_PAGE;
	p->vvar_base = data;
	p->mmap_base = data - VDSO_GAP;
	return 0;
}

/* Pushes n bytes onto the new stack: the copy goes through the checked path. */
static int push(uintptr_t *sp, const void *src, size_t n)
{
	*sp -= n;
	return copy_to_user(*sp, src, n);
}

static int count(char *const v[])
{
	int n = 0;

	while (v && v[n])
		n++;
	return n;
}

static uint32_t hwcap(void)
{
	uint32_t edx;

	__asm__ volatile("cpuid" : "=d"(edx) : "a"(1), "c"(0) : "ebx");
	return edx;
}

static int build_stack(struct process *p, const struct elf_info *e, uint64_t bias, uintptr_t vdso,
		       char *const argv[], char *const envp[], uintptr_t *out_sp)
{
	int argc = count(argv), envc = count(envp);
	uintptr_t sp = STACK_TOP, execfn, platform, random;
	uintptr_t *ptrs;
	uint8_t rnd[16];
	int err = 0;

	if (argc + envc > 4096)
		return -E2BIG;
	ptrs = kmalloc((size_t)(argc + envc + 2) * sizeof(uintptr_t));
	if (!ptrs)
		return -ENOMEM;
	/* Strings first, at the top, as Linux does: the program path, then envp and argv. */
	err |= push(&sp, p->exe, strlen(p->exe) + 1);
	execfn = sp;
	p->env_end = sp;
	for (int i = envc - 1; i >= 0 && !err; i--) {
		err |= push(&sp, envp[i], strlen(envp[i]) + 1);
		ptrs[argc + 1 + i] = sp;
	}
	for (int i = argc - 1; i >= 0 && !err; i--) {
		err |= push(&sp, argv[i], strlen(argv[i]) + 1);
		ptrs[i] = sp;
	}
	p->env_start = argc ? ptrs[argc - 1] + strlen(argv[argc - 1]) + 1 : sp;
	p->arg_start = sp;
	p->arg_end = p->env_start;
	ptrs[argc] = 0;
	ptrs[argc + 1 + envc] = 0;
	err |= push(&sp, "x86_64", 7);
	platform = sp;
	devfs_random_fill(rnd, sizeof(rnd));
	err |= push(&sp, rnd, sizeof(rnd));
	random = sp;

	uint64_t auxv[][2] = {
		{ AT_SYSINFO_EHDR, vdso },
		{ AT_MINSIGSTKSZ, 2048 },
		{ AT_HWCAP, hwcap() },
		{ AT_PAGESZ, LINUX_PAGE },
		{ AT_CLKTCK, 100 },
		{ AT_PHDR, e->phdr_vaddr ? e->phdr_vaddr + bias : 0 },
		{ AT_PHENT, e->phentsize },
		{ AT_PHNUM, e->phnum },
		{ AT_BASE, 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, e->entry + bias },
		{ AT_UID, 0 },
		{ AT_EUID, 0 },
		{ AT_GID, 0 },
		{ AT_EGID, 0 },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, random },
		{ AT_HWCAP2, 0 },
		{ AT_EXECFN, execfn },
		{ AT_PLATFORM, platform },
		{ AT_NULL, 0 },
	};
	size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * ARRAY_SIZE(auxv);

	/* argc must end up 16-byte aligned. */
	sp = ALIGN_DOWN(sp - words * 8, 16) + words * 8;
	err |= push(&sp, auxv, sizeof(auxv));
	p->auxv_start = sp;
	p->auxv_len = sizeof(auxv);
	err |= push(&sp, &ptrs[argc + 1], ((size_t)envc + 1) * 8);
	err |= push(&sp, ptrs, ((size_t)argc + 1) * 8);
	uint64_t argc64 = (uint64_t)argc;

	err |= push(&sp, &argc64, 8);
	kfree(ptrs);
	*out_sp = sp;
	return err ? -EFAULT : 0;
}

int linux_exec(struct process *p, const char *path, char *const argv[], char *const envp[],
	       struct trap_frame *tf)
{
	struct vfs_stat st;
	struct elf_info e;
	const char *why = NULL;
	void *head;
	size_t n;
	uintptr_t vdso, sp;
	uint64_t bias;
	int fd, err;

	err = vfs_open(p->files, VFS_AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0, &fd);
	if (err) {
		pr_err("osprey: cannot run %s: %s\n", path,
		       err == -ENOENT ? "no such file" : "cannot open");
		return err;
	}
	err = vfs_fstat(p->files, fd, &st);
	if (!err && (!S_ISREG(st.mode) || !(st.mode & 0111))) {
		pr_err("osprey: cannot run %s: not an executable file\n", path);
		err = -EACCES;
	}
	head = err ? NULL : kmalloc(LINUX_PAGE);
	if (!err && !head)
		err = -ENOMEM;
	if (!err)
		err = vfs_pread(p->files, fd, head, LINUX_PAGE, 0, &n);
	if (!err) {
		err = elf_parse(head, n, (uint64_t)st.size, &e, &why);
		if (err)
			pr_err("osprey: cannot run %s: not a valid x86-64 ELF program: %s\n", path,
			       why ? why : "unknown reason");
	}
	if (!err && e.has_interp) {
		pr_err("osprey: cannot run %s: it is a dynamically linked program (PT_INTERP); "
		       "only static programs run for now\n",
		       path);
		err = -ENOEXEC;
	}
	kfree(head);
	if (err)
		goto out_close;
	format_snprintf(p->exe, sizeof(p->exe), "%s", path);
	bias = e.pie ? PIE_BASE - e.min_vaddr : 0;
	p->elf = e;
	p->load_bias = bias;
	err = load_segments(p, fd, &e, bias);
	if (!err)
		err = map_vdso(p, &vdso);
	if (!err)
		err = vm_map(p->as, STACK_TOP - STACK_SIZE, STACK_SIZE, VM_READ | VM_WRITE, NULL,
			     NULL);
	p->stack_top = STACK_TOP;
	p->stack_size = STACK_SIZE;
	if (!err)
		err = linux_mm_init(p, ALIGN_UP(e.max_vaddr + bias, LINUX_PAGE));
	if (!err)
		err = build_stack(p, &e, bias, vdso, argv, envp, &sp);
	if (err) {
		pr_err("osprey: cannot run %s: loading failed (error %d)\n", path, err);
		goto out_close;
	}
	memset(tf, 0, sizeof(*tf));
	tf->rip = e.entry + bias;
	tf->rsp = sp;
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	tf->rflags = RFLAGS_IF | 2;
out_close:
	vfs_close(p->files, fd);
	return err;
}
