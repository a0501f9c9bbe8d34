/*
 * The QEMU side of `osprey`: what the host offers (KVM, firmware, the QEMU
 * binary) and the one function that turns a boot into QEMU's argv.
 *
 * `run`, `run --dry-run` and `test` all boot through qemu_argv(), so what a
 * dry run prints is what the other two execute.  The builder is pure (it
 * looks at no file), which is what makes it unit-testable; the probes that do
 * look at the host take a root directory for the same reason.
 *
 * Devices (checked against QEMU 7.2 on microvm, q35 and pc):
 *   isa-debug-exit at 0x501  the guest's status, QEMU exits (v << 1) | 1
 *   isa-debugcon at 0xe9     a file that receives "osprey:exit=N", the exact status
 *   isa-serial at 0x2f8      COM2, only with --trace: a file that receives the trace
 * microvm has an ISA bus, so both work there as on q35 and pc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osprey.h"

int strvec_push(struct strvec *sv, const char *s)
{
	char *copy;

	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 32;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL;
	return 0;
}

int strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	ret = strvec_push(sv, s);
	free(s);
	return ret;
}

void strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static bool is_dir(const char *root, const char *path)
{
	char buf[4096];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s%s", root, path);
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Look at the host under `root` ("" for the real one).  Hardware KVM means
 * kvm_intel or kvm_amd is loaded and /dev/kvm opens read-write; a /dev/kvm
 * served by kvm_pvm alone is a nested hypervisor, slow at every exit and
 * unable to run much of an ordinary kernel: only --accel pvm uses it, for
 * tests of the CPU features TCG lacks (docs/osprey-command.md).
 */
void kvm_probe(const char *root, struct kvm_probe *p)
{
	char dev[4096];
	int fd;

	memset(p, 0, sizeof(*p));
	p->hw_module = is_dir(root, "/sys/module/kvm_intel") || is_dir(root, "/sys/module/kvm_amd");
	p->pvm = is_dir(root, "/sys/module/kvm_pvm");
	snprintf(dev, sizeof(dev), "%s/dev/kvm", root);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		p->dev_exists = true;
		close(fd);
		return;
	}
	p->dev_errno = errno;
	p->dev_exists = errno != ENOENT && errno != ENOTDIR;
}

/* auto picks KVM only where it is hardware KVM; an explicit kvm must be. */
int accel_resolve(enum accel want, const struct kvm_probe *p, enum accel *out, char *err,
		  size_t errlen)
{
	bool usable = p->hw_module && p->dev_exists && p->dev_errno == 0;

	if (want == ACCEL_PVM) {
		if (p->pvm && p->dev_exists && p->dev_errno == 0) {
			*out = ACCEL_PVM;
			return 0;
		}
		snprintf(err, errlen, "--accel pvm: %s",
			 !p->pvm ?
				 "no kvm_pvm nested hypervisor on this host (/sys/module/kvm_pvm)" :
			 !p->dev_exists ? "no /dev/kvm on this host" :
					  "cannot open /dev/kvm read-write");
		return -ENODEV;
	}
	if (want == ACCEL_TCG || (want == ACCEL_AUTO && !usable)) {
		*out = ACCEL_TCG;
		return 0;
	}
	if (usable) {
		*out = ACCEL_KVM;
		return 0;
	}
	if (!p->dev_exists) {
		snprintf(
			err, errlen,
			"--accel kvm: no /dev/kvm on this host (KVM is not loaded); use --accel tcg");
	} else if (p->dev_errno != 0) {
		snprintf(err, errlen,
			 "--accel kvm: cannot open /dev/kvm read-write: %s (are you in group kvm?); use --accel tcg",
			 strerror(p->dev_errno));
	} else if (p->pvm) {
		snprintf(
			err, errlen,
			"--accel kvm: no hardware KVM here (/dev/kvm is the kvm_pvm nested hypervisor, only --accel pvm uses it, for tests); use --accel tcg");
	} else {
		snprintf(
			err, errlen,
			"--accel kvm: no hardware KVM here (neither kvm_intel nor kvm_amd is loaded); use --accel tcg");
	}
	return -ENODEV;
}

/* qboot starts q35/pc about 25 ms sooner than SeaBIOS (QEMU-NOTES.md). */
const char *machine_bios(enum machine m)
{
	if (m == MACHINE_MICROVM)
		return NULL;
	return access(OSPREY_QBOOT, R_OK) == 0 ? OSPREY_QBOOT : NULL;
}

/*
 * Find qemu-system-x86_64 in the colon-separated `path_env`.  Empty
 * elements are skipped rather than meaning ".", and an unset PATH means the
 * usual system directories.
 */
int qemu_find(const char *path_env, char *out, size_t outlen)
{
	const char *p = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		const char *end = strchrnul(p, ':');
		struct stat st;

		if (end > p && (size_t)snprintf(out, outlen, "%.*s/%s", (int)(end - p), p,
						OSPREY_QEMU) < outlen) {
			if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
				return 0;
		}
		p = *end ? end + 1 : end;
	}
	return -ENOENT;
}

/* A ',' inside a QEMU option value is written ",,"; NULL when out of memory. */
static char *qemu_escape(const char *s)
{
	char *esc = malloc(strlen(s) * 2 + 1), *q = esc;

	if (!esc)
		return NULL;
	for (const char *c = s; *c; c++) {
		*q++ = *c;
		if (*c == ',')
			*q++ = ',';
	}
	*q = '\0';
	return esc;
}

static int push_chardev_file(struct strvec *v, const char *id, const char *path)
{
	char *esc = qemu_escape(path);
	int ret;

	if (!esc)
		return -ENOMEM;
	ret = strvec_pushf(v, "file,id=%s,path=%s", id, esc);
	free(esc);
	return ret;
}

/* file=F,if=none,format=raw,id=diskN[,readonly=on] */
static int push_drive(struct strvec *v, const struct osprey_disk *d, unsigned int i)
{
	char *esc = qemu_escape(d->file);
	int ret;

	if (!esc)
		return -ENOMEM;
	ret = strvec_pushf(v, "file=%s,if=none,format=raw,id=disk%u%s", esc, i,
			   d->readonly ? ",readonly=on" : "");
	free(esc);
	return ret;
}

/*
 * The QEMU argv for one boot.  Each push returns 0 or -ENOMEM, so OR-ing the
 * results keeps the list readable and still catches any failure.
 */
int qemu_argv(const struct qemu_spec *s, struct strvec *out)
{
	struct strvec v = { 0 };
	int ret = 0;

	ret |= strvec_push(&v, s->qemu);
	ret |= strvec_push(&v, "-nodefaults");
	ret |= strvec_push(&v, "-no-user-config");
	ret |= strvec_push(&v, "-nographic");
	ret |= strvec_push(&v, "-no-reboot");
	ret |= strvec_push(&v, "-M");
	switch (s->machine) {
	case MACHINE_MICROVM:
		/*
		 * No option ROMs: nothing to initialise that we do not use.  The
		 * RTC stays: it is the guest's wall clock (docs/vdso.md), read only
		 * when a program first asks for the time; having it costs the
		 * boot nothing measurable.
		 */
		ret |= strvec_push(&v, "microvm,x-option-roms=off,rtc=on");
		break;
	case MACHINE_Q35:
		ret |= strvec_push(&v, "q35");
		break;
	case MACHINE_PC:
		ret |= strvec_push(&v, "pc");
		break;
	}
	if (s->bios && s->machine != MACHINE_MICROVM) {
		ret |= strvec_push(&v, "-bios");
		ret |= strvec_push(&v, s->bios);
	}
	ret |= strvec_push(&v, "-accel");
	ret |= strvec_push(&v, s->accel == ACCEL_TCG ? "tcg" : "kvm");
	ret |= strvec_push(&v, "-cpu");
	/* kvm_pvm: a plain model (-cpu host fails to start) with the features TCG lacks */
	ret |= strvec_push(&v, s->accel == ACCEL_KVM ? "host" :
			       s->accel == ACCEL_PVM ? "qemu64,-pni,+x2apic,+tsc-deadline" :
						       "max");
	ret |= strvec_push(&v, "-m");
	ret |= strvec_push(&v, s->mem);
	ret |= strvec_push(&v, "-smp");
	ret |= strvec_pushf(&v, "%u", s->cpus);
	ret |= strvec_push(&v, "-serial");
	ret |= strvec_push(&v, "stdio");
	ret |= strvec_push(&v, "-kernel");
	ret |= strvec_push(&v, s->kernel);
	if (s->initrd) {
		ret |= strvec_push(&v, "-initrd");
		ret |= strvec_push(&v, s->initrd);
	}
	if (s->ndisks) {
		/* QEMU's virtio-mmio transports are legacy (version 1) unless told otherwise */
		ret |= strvec_push(&v, "-global");
		ret |= strvec_push(&v, "virtio-mmio.force-legacy=false");
	}
	for (unsigned int i = 0; i < s->ndisks; i++) {
		ret |= strvec_push(&v, "-drive");
		ret |= push_drive(&v, &s->disks[i], i);
		ret |= strvec_push(&v, "-device");
		ret |= strvec_pushf(&v, "virtio-blk-device,drive=disk%u", i);
	}
	if (s->cmdline && *s->cmdline) {
		ret |= strvec_push(&v, "-append");
		ret |= strvec_push(&v, s->cmdline);
	}
	ret |= strvec_push(&v, "-device");
	ret |= strvec_push(&v, "isa-debug-exit,iobase=0x501,iosize=0x02");
	ret |= strvec_push(&v, "-device");
	ret |= strvec_push(&v, "isa-debugcon,iobase=0xe9,chardev=ospreyctl");
	ret |= strvec_push(&v, "-chardev");
	ret |= push_chardev_file(&v, "ospreyctl", s->debugcon);
	if (s->trace_file) {
		ret |= strvec_push(&v, "-device");
		ret |= strvec_push(&v, "isa-serial,iobase=0x2f8,irq=3,chardev=ospreytrace");
		ret |= strvec_push(&v, "-chardev");
		ret |= push_chardev_file(&v, "ospreytrace", s->trace_file);
	}
	if (s->debug) {
		ret |= strvec_push(&v, "-s");
		ret |= strvec_push(&v, "-S");
	}
	if (ret) {
		strvec_free(&v);
		return -ENOMEM;
	}
	*out = v;
	return 0;
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_@%+=:,./-",
			    *s))
			return false;
	}
	return true;
}

/* Print s so that a POSIX shell reads it back as one word. */
void shell_quote(FILE *f, const char *s)
{
	if (shell_safe(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

void print_argv(FILE *f, char *const *argv)
{
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			fputc(' ', f);
		shell_quote(f, argv[i]);
	}
	fputc('\n', f);
}
