/*
 * Per-CPU descriptor tables: GDT with a 64-bit TSS, and the IDT.
 *
 * The TSS gives #DF, NMI and #MC stacks of their own (IST 1..3), so that a
 * kernel stack overflow, which faults again on the full stack, still ends in
 * a report instead of a triple fault.  The selectors are laid out for
 * SYSCALL/SYSRET (STAR): kernel code, kernel data, then user data and user
 * code, as the Linux ABI issue will need.
 *
 * Called once on the boot CPU from kmain(); the SMP issue makes the tables
 * per CPU (struct cpu_tables is already the per-CPU unit).
 */
#include <string.h>

#include <osprey/arch/layout.h>
#include <osprey/arch/trap.h>
#include <osprey/arch/user.h>
#include <osprey/kernel.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x20
#define GDT_UCODE 0x28
#define GDT_TSS 0x30

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct cpu_tables {
	uint64_t gdt[8];
	struct tss tss;
	uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

static_assert(sizeof(struct tss) == 104, "TSS layout");
static_assert(sizeof(struct idt_entry) == 16, "IDT entry layout");

static struct cpu_tables boot_cpu_tables __attribute__((aligned(PAGE_SIZE)));
static struct cpu_tables *tables_of[CONFIG_MAX_CPUS];
static struct idt_entry idt[256] __attribute__((aligned(16)));
extern const char trap_stubs[];

enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3 };

/* The IST stacks of every CPU that is up, i = cpu * 3 + which; 0 past the end. */
uintptr_t ist_stack_bottom(int i)
{
	struct cpu_tables *t = i / 3 < CONFIG_MAX_CPUS ? tables_of[i / 3] : NULL;

	return t ? (uintptr_t)t->ist_stacks[i % 3] : 0;
}

static void set_gate(int vec, int ist)
{
	uint64_t addr = (uint64_t)trap_stubs + 16 * (uint64_t)vec;
	struct idt_entry *e = &idt[vec];

	e->offset_lo = (uint16_t)addr;
	e->selector = GDT_KCODE;
	e->ist = (uint8_t)ist;
	e->type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	e->offset_mid = (uint16_t)(addr >> 16);
	e->offset_hi = (uint32_t)(addr >> 32);
	e->reserved = 0;
}

static void load_tables(struct cpu_tables *t)
{
	uint64_t tss = (uint64_t)&t->tss;

	t->gdt[0] = 0;
	t->gdt[1] = 0x00af9a000000ffff; /* kernel code */
	t->gdt[2] = 0x00cf92000000ffff; /* kernel data */
	t->gdt[3] = 0;			/* (32-bit user code: unused) */
	t->gdt[4] = 0x00cff2000000ffff; /* user data */
	t->gdt[5] = 0x00affa000000ffff; /* user code */
	t->gdt[6] = (sizeof(struct tss) - 1) | ((tss & 0xffffff) << 16) | (0x89ull << 40) |
		    ((tss >> 24) & 0xff) << 56;
	t->gdt[7] = tss >> 32;
	memset(&t->tss, 0, sizeof(t->tss));
	t->tss.ist[IST_DF - 1] = (uint64_t)t->ist_stacks[0] + IST_STACK_SIZE;
	t->tss.ist[IST_NMI - 1] = (uint64_t)t->ist_stacks[1] + IST_STACK_SIZE;
	t->tss.ist[IST_MC - 1] = (uint64_t)t->ist_stacks[2] + IST_STACK_SIZE;
	t->tss.iomap_base = sizeof(struct tss);

	struct desc_ptr gdtr = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(GDT_KCODE), "i"(GDT_KDATA), "r"(GDT_TSS)
			 : "rax", "memory");

	struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void arch_cpu_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, 0);
	set_gate(VEC_DF, IST_DF);
	set_gate(VEC_NMI, IST_NMI);
	set_gate(VEC_MC, IST_MC);
	tables_of[0] = &boot_cpu_tables;
	load_tables(&boot_cpu_tables);
	arch_user_cpu_init();
}

void arch_set_rsp0(uint64_t top);

/* The stack the CPU switches to on an interrupt from ring 3 (user.c). */
void arch_set_rsp0(uint64_t top)
{
	tables_of[this_cpu()->id]->tss.rsp[0] = top;
}

/*
 * An application processor's own GDT, TSS and IST stacks (the IDT is
 * shared): allocated by the BSP, loaded by the AP before it touches
 * anything per-CPU.
 */
void *arch_cpu_tables_alloc(unsigned cpu)
{
	struct cpu_tables *t = kzalloc(sizeof(*t));

	if (t) {
		tables_of[cpu] = t;
		mm_debug_ignore(t); /* lives as long as its CPU */
	}
	return t;
}

void arch_cpu_init_ap(void *tables)
{
	load_tables(tables);
	arch_user_cpu_init();
}
