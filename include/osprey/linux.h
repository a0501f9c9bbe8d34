/*
 * The Linux ABI (kernel/linux/, docs/linux-abi.md): runs one static x86-64
 * Linux program in ring 3 and serves its system calls.
 */
#ifndef OSPREY_LINUX_H
#define OSPREY_LINUX_H

#include <osprey/kernel.h>

/*
 * Loads argv[0] from the root file system and runs it with argv and envp
 * (NULL-terminated); the VM's exit status becomes the program's.
 */
void linux_start(int argc, char **argv, char **envp) __noreturn;

#endif
