/*
 * Signal system calls that set and read state or send: sigaction,
 * sigprocmask, sigpending, sigaltstack, kill, tgkill, tkill and the
 * sigqueueinfo pair.  Delivery, rt_sigreturn and the calls that wait for
 * a signal are in signal.c.
 */
#include <string.h>

#include <osprey/percpu.h>

#include "internal.h"
#include "sigabi.h"

long sys_rt_sigaction(long sig, long act_p, long oact_p, long size)
{
	struct process *p = proc_current();
	struct k_sigaction ka, old;

	if (size != 8 || sig < 1 || sig > LINUX_NSIG)
		return -EINVAL;
	if (act_p && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (act_p && copy_from_user(&ka, (uintptr_t)act_p, sizeof(ka)))
		return -EFAULT;
	spin_lock(&p->lock);
	old = p->actions[sig - 1];
	if (act_p) {
		ka.mask &= ~UNBLOCKABLE;
		p->actions[sig - 1] = ka;
	}
	spin_unlock(&p->lock);
	if (oact_p && copy_to_user((uintptr_t)oact_p, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(long how, long set_p, long oset_p, long size)
{
	struct lthread *lt = lthread_current();
	uint64_t set = 0, old;

	if (size != 8)
		return -EINVAL;
	if (set_p && copy_from_user(&set, (uintptr_t)set_p, 8))
		return -EFAULT;
	spin_lock(&lt->proc->lock);
	old = lt->sigmask;
	if (set_p) {
		if (how == 0)
			lt->sigmask |= set;
		else if (how == 1)
			lt->sigmask &= ~set;
		else if (how == 2)
			lt->sigmask = set;
		else
			how = -1;
		lt->sigmask &= ~UNBLOCKABLE;
	}
	spin_unlock(&lt->proc->lock);
	if (how < 0)
		return -EINVAL;
	if (oset_p && copy_to_user((uintptr_t)oset_p, &old, 8))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(long set_p, long size)
{
	struct lthread *lt = lthread_current();
	uint64_t set;

	if (size != 8)
		return -EINVAL;
	spin_lock(&lt->proc->lock);
	set = (lt->pending | lt->proc->pending) & lt->sigmask;
	spin_unlock(&lt->proc->lock);
	return copy_to_user((uintptr_t)set_p, &set, 8);
}

long sys_sigaltstack(long ss_p, long old_p)
{
	struct lthread *lt = lthread_current();
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} ss, old = { lt->altstack.sp, lt->altstack.size ? 0 : SS_DISABLE, 0, lt->altstack.size };

	if (on_altstack(lt, user_regs()->rsp))
		old.flags = SS_ONSTACK;
	if (ss_p) {
		if (copy_from_user(&ss, (uintptr_t)ss_p, sizeof(ss)))
			return -EFAULT;
		if (on_altstack(lt, user_regs()->rsp))
			return -EPERM;
		if (ss.flags & ~(SS_DISABLE | (1 << 31)))
			return -EINVAL;
		if (ss.flags & SS_DISABLE) {
			lt->altstack.sp = 0;
			lt->altstack.size = 0;
			lt->altstack.flags = SS_DISABLE;
		} else {
			if (ss.size < MINSIGSTKSZ)
				return -ENOMEM;
			lt->altstack.sp = ss.sp;
			lt->altstack.size = ss.size;
			lt->altstack.flags = 0;
		}
	}
	if (old_p && copy_to_user((uintptr_t)old_p, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_kill(long pid, long sig)
{
	struct process *p = proc_current();

	if (pid != p->pid && pid != 0 && pid != -1)
		return -ESRCH;
	struct ksiginfo info = { SI_USER, p->pid, 0 };

	if (sig == 0)
		return 0;
	return signal_send(p, 0, (int)sig, &info);
}

long sys_tgkill(long tgid, long tid, long sig)
{
	struct process *p = proc_current();
	struct ksiginfo info = { SI_TKILL, p->pid, 0 };

	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != p->pid)
		return -ESRCH;
	return signal_send(p, (int)tid, (int)sig, &info);
}

long sys_tkill(long tid, long sig)
{
	return sys_tgkill(proc_current()->pid, tid, sig);
}

static long queueinfo(int tid, long sig, long info_p)
{
	struct process *p = proc_current();
	struct linux_siginfo si;
	struct ksiginfo ki;

	if (copy_from_user(&si, (uintptr_t)info_p, sizeof(si)))
		return -EFAULT;
	/* Only negative codes may come from a program (Linux: EPERM otherwise). */
	if (si.code >= 0 || si.code == SI_TKILL)
		return -EPERM;
	ki.code = si.code;
	ki.pid = p->pid;
	memcpy(&ki.value, si.bytes + 8, sizeof(ki.value));
	return signal_send(p, tid, (int)sig, &ki);
}

long sys_rt_sigqueueinfo(long pid, long sig, long info_p)
{
	if (pid != proc_current()->pid && pid != 0)
		return -ESRCH;
	return queueinfo(0, sig, info_p);
}

long sys_rt_tgsigqueueinfo(long tgid, long tid, long sig, long info_p)
{
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != proc_current()->pid)
		return -ESRCH;
	return queueinfo((int)tid, sig, info_p);
}
