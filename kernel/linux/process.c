/*
 * The application process: how it starts, how its threads start and end,
 * and how it exits.
 *
 * linux_start() runs on the boot thread: it makes the process (address
 * space, descriptor table with the console as 0, 1 and 2), loads the
 * program, starts its main thread and waits.  The program's exit status
 * (exit_group, the last thread's exit, or 128 + the signal that killed it)
 * is the VM's exit status.
 *
 * Lock order: proc->mm_lock, then as->lock (vm.c); proc->lock is a leaf
 * spinlock taken for the thread list and signal state only.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/cmdline.h>
#include <osprey/format.h>
#include <osprey/linux.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/panic.h>
#include <osprey/percpu.h>
#include <osprey/time.h>
#include <osprey/vdso.h>

#include "internal.h"

struct process *linux_proc;
static _Atomic int next_tid = 1;

static const struct user_ops linux_ops = {
	.syscall = linux_syscall,
	.fault = signal_fault,
	.exit_work = signal_exit_work,
};

/* The first code an application thread runs: straight to ring 3. */
static void thread_enter_user(void *arg)
{
	struct lthread *lt = arg;
	struct trap_frame *tf = user_regs();

	as_activate(lt->proc->as);
	*tf = lt->start;
	arch_user_enter(tf);
}

const char *linux_exe_name(const struct process *p)
{
	const char *base = p->exe;

	for (const char *c = p->exe; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	return base;
}

int lthread_create(struct process *p, struct lthread **out)
{
	struct lthread *lt = kmemalign(64, sizeof(*lt));

	if (!lt)
		return -ENOMEM;
	memset(lt, 0, sizeof(*lt));
	arch_user_state_init(&lt->us);
	lt->proc = p;
	cpumask_fill(&lt->affinity);
	lt->tid = atomic_fetch_add_explicit(&next_tid, 1, memory_order_relaxed);
	*out = lt;
	return 0;
}

struct lthread *lthread_find(struct process *p, int tid)
{
	for (struct list *l = p->threads.next; l != &p->threads; l = l->next) {
		struct lthread *lt = list_entry(l, struct lthread, link);

		if (lt->tid == tid)
			return lt;
	}
	return NULL;
}

/*
 * lthread_start lists a thread before its kernel thread exists (lt->t is
 * set by thread_create_user() while the thread may run): no time yet.
 * Caller holds p->lock, so the thread is alive (its exit unlists it first).
 */
static uint64_t listed_cpu_ns(struct lthread *lt)
{
	/* relaxed: pairs with nothing; NULL or the thread, either is right */
	struct thread *t = __atomic_load_n(&lt->t, __ATOMIC_RELAXED);

	return t ? thread_cpu_ns(t) : 0;
}

/*
 * An exiting thread moves its time to exited_cpu_ns under the same lock
 * that takes it off the list, so a sum sees it once; what it runs after
 * that, on its way out of the kernel, is not counted.
 */
uint64_t proc_cpu_ns(struct process *p)
{
	uint64_t ns;

	spin_lock(&p->lock);
	ns = p->exited_cpu_ns;
	for (struct list *l = p->threads.next; l != &p->threads; l = l->next)
		ns += listed_cpu_ns(list_entry(l, struct lthread, link));
	spin_unlock(&p->lock);
	return ns;
}

int lthread_cpu_ns(struct process *p, int tid, uint64_t *ns)
{
	struct lthread *lt;

	if (!tid) {
		*ns = thread_cpu_ns(thread_current());
		return 0;
	}
	spin_lock(&p->lock);
	lt = lthread_find(p, tid);
	if (lt)
		*ns = listed_cpu_ns(lt);
	spin_unlock(&p->lock);
	return lt ? 0 : -EINVAL;
}

/* Starts lt running its start registers; lt joins p's thread list. */
int lthread_start(struct lthread *lt)
{
	struct process *p = lt->proc;
	char name[THREAD_NAME_MAX];
	int err;

	format_snprintf(name, sizeof(name), "%s:%d", linux_exe_name(p), lt->tid);
	spin_lock(&p->lock);
	list_add_tail(&p->threads, &lt->link);
	p->nthreads++;
	spin_unlock(&p->lock);
	err = thread_create_user(name, &lt->us, p->as, thread_enter_user, lt, &lt->t);
	if (err) {
		spin_lock(&p->lock);
		list_del(&lt->link);
		p->nthreads--;
		spin_unlock(&p->lock);
		return err;
	}
	thread_detach(lt->t);
	return 0;
}

static int open_console(struct fdtable *ft)
{
	int fd, err;

	err = vfs_open(ft, VFS_AT_FDCWD, "/dev/console", O_RDWR, 0, &fd);
	if (err)
		return err;
	if (fd != 0)
		return -EBADF;
	err = vfs_dup(ft, 0, &fd);
	if (!err)
		err = vfs_dup(ft, 0, &fd);
	return err;
}

void linux_start(int argc, char **argv, char **envp)
{
	struct process *p = kzalloc(sizeof(*p));
	struct lthread *lt;
	int err;

	(void)argc;
	/* The console's UART is set up: `osprey run` may send input now (tools/osprey/relay.c). */
	for (const char *m = "osprey:ready\n"; *m && inb(0xe9) == 0xe9; m++)
		outb(0xe9, (uint8_t)*m);
	if (!p)
		panic("no memory for the process");
	spin_init(&p->lock, "proc");
	list_init(&p->threads);
	waitq_init(&p->exited, "proc.exited");
	p->pid = 1;
	p->start_ns = clock_ns();
	linux_proc = p;
	linux_procfs_init(argv, envp);
	linux_strace = boot_options.strace;
	arch_user_init(&linux_ops);
	signal_init();
	vdso_update();
	err = as_create(&p->as);
	if (!err)
		err = vfs_fdtable_create(&p->files);
	if (!err)
		err = open_console(p->files);
	if (!err)
		err = lthread_create(p, &lt);
	if (err) {
		pr_err("osprey: cannot start the program: error %d\n", err);
		power_off(126);
	}
	/*
	 * The loader writes the program into the new address space: be in it,
	 * and stay on this CPU meanwhile (a kernel thread's address space is
	 * whatever its CPU has loaded; the scheduler does not carry it along).
	 */
	thread_set_affinity(thread_current(), (int)cpu_id());
	as_activate(p->as);
	err = linux_exec(p, argv[0], argv, envp, &lt->start);
	if (err)
		power_off(err == -ENOENT ? 127 : 126);
	err = lthread_start(lt);
	if (err) {
		pr_err("osprey: cannot start the program's thread: error %d\n", err);
		power_off(126);
	}
	as_activate(NULL);
	thread_set_affinity(thread_current(), -1);
	for (;;)
		waitq_wait(&p->exited);
}

void linux_exit_group(int status)
{
	struct process *p = proc_current();

	atomic_store_explicit(&p->exiting, true, memory_order_relaxed);
	p->exit_status = status & 0xff;
	if (boot_options.verbose)
		kprintf("osprey: the program exited with status %d (%llu system calls answered "
			"ENOSYS)\n",
			p->exit_status, (unsigned long long)linux_enosys_count);
	power_off(p->exit_status);
}

void linux_thread_exit(int status)
{
	struct lthread *lt = lthread_current();
	struct process *p = lt->proc;
	struct thread *t = thread_current();
	bool last;
	uint32_t zero = 0;

	if (lt->clear_child_tid) {
		/* pthread_join waits on this word: clear it and wake the joiner. */
		if (!copy_to_user(lt->clear_child_tid, &zero, sizeof(zero)))
			futex_wake((const uint32_t *)lt->clear_child_tid, 1);
	}
	spin_lock(&p->lock);
	list_del(&lt->link);
	p->exited_cpu_ns += thread_cpu_ns(t);
	last = --p->nthreads == 0;
	spin_unlock(&p->lock);
	if (last)
		linux_exit_group(status);
	/*
	 * From here the thread is a kernel thread: the switch away must not
	 * save user state into lt, which goes now.
	 */
	irq_disable();
	t->ustate = NULL;
	kfree(lt);
	thread_exit();
}
