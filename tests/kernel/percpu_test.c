/* Per-CPU data through GS. */
#include <osprey/percpu.h>
#include <osprey/test.h>

TEST(percpu, gs_reaches_this_cpu)
{
	struct cpu *c = this_cpu();

	EXPECT_TRUE(t, c != NULL);
	EXPECT_TRUE(t, c->self == c);
	EXPECT_EQ(t, cpu_id(), c->id);
	EXPECT_TRUE(t, cpus[cpu_id()] == c);
	EXPECT_GE(t, nr_cpus, 1);
}

TEST(percpu, preempt_counter_nests)
{
	int before = this_cpu()->preempt;

	preempt_disable();
	preempt_disable();
	EXPECT_EQ(t, this_cpu()->preempt, before + 2);
	preempt_enable();
	preempt_enable();
	EXPECT_EQ(t, this_cpu()->preempt, before);
}
