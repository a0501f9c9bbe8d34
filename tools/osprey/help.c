/*
 * The help texts of `osprey`, `osprey run` and `osprey test`.  Every option
 * is listed here and in docs/osprey-command.md; keep the two in step.
 */
#include "osprey.h"

const char osprey_help[] =
	"usage: osprey COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  run     boot an Osprey kernel under QEMU, console on this terminal\n"
	"  test    run the in-kernel tests and report one line per test\n"
	"  trace   read a trace that 'osprey run --trace=GLOB' collected\n"
	"  image   build a read-only root image from modules (modules/NAME/manifest)\n"
	"\n"
	"'osprey COMMAND --help' lists a command's options.\n"
	"\n"
	"Environment:\n"
	"  OSPREY_KERNEL   default for --kernel (else " OSPREY_DEFAULT_KERNEL ")\n"
	"  PATH            where " OSPREY_QEMU " is looked for\n"
	"  TMPDIR          where the private debug-console file is made (else /tmp)\n";

const char osprey_run_help[] =
	"usage: osprey run [OPTIONS]\n"
	"\n"
	"Boot the kernel under QEMU with the serial console on this terminal, and\n"
	"exit with the guest's status.\n"
	"\n"
	"Options:\n"
	"  -m, --mem SIZE        guest memory: 64, 64M (MiB) or 1G (GiB); default 64M\n"
	"  -c, --cpus N          virtual CPUs, 1..255; default 1\n"
	"      --machine M       microvm (default), q35 or pc\n"
	"      --accel A         auto (default), kvm or tcg; auto uses KVM only when the\n"
	"                        host has hardware KVM (kvm_intel or kvm_amd loaded and\n"
	"                        /dev/kvm usable), TCG otherwise\n"
	"  -e, --cmdline 'LINE'  kernel command line: --options, then the application\n"
	"      --kernel FILE     kernel ELF; default $OSPREY_KERNEL, else " OSPREY_DEFAULT_KERNEL
	"\n"
	"      --initrd FILE     pass FILE as the initrd (the root file system)\n"
	"      --image NAME      build build/images/NAME.img from modules/NAME and what it\n"
	"                        requires (when it changed), and boot it as the root\n"
	"      --debug           start paused with a gdb stub on localhost:1234 and print\n"
	"                        the gdb command that attaches with symbols\n"
	"      --timeout SEC     stop the guest after SEC seconds (exit 124); 0 = never (default)\n"
	"      --trace GLOB      enable the kernel's tracepoints matching GLOB (--trace=GLOB on\n"
	"                        the kernel command line) and collect the trace from the\n"
	"                        second serial port; 'list' lists the tracepoints\n"
	"      --trace-out FILE  where the trace goes; default " OSPREY_DEFAULT_TRACE "\n"
	"      --dry-run         print the QEMU command line and exit; run nothing\n"
	"  -v, --verbose         print the QEMU command line on stderr before running it\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: the guest's status (0..255); 2 bad usage; 124 timeout;\n"
	"125 QEMU missing or the guest stopped without a status; 128+N after signal N.\n";

const char osprey_test_help[] =
	"usage: osprey test [OPTIONS] [GLOB]\n"
	"\n"
	"Run the in-kernel tests whose suite.name matches GLOB (default '*';\n"
	"'*' and '?' as in the shell, several globs separated by commas).  Normal\n"
	"tests run in one boot, each death test in a boot of its own.  Prints\n"
	"'PASS suite.name' or 'FAIL suite.name: reason' per test (death tests as\n"
	"'death:suite.name'), then 'RESULT: N passed, N failed'.  The guest's\n"
	"console is shown, each line prefixed by '  | ', when a boot fails.\n"
	"\n"
	"Options:\n"
	"  -m, --mem SIZE        guest memory: 64, 64M (MiB) or 1G (GiB); default 64M\n"
	"  -c, --cpus N          virtual CPUs, 1..255; default 1\n"
	"      --machine M       microvm (default), q35 or pc\n"
	"      --accel A         auto (default), kvm or tcg\n"
	"      --kernel FILE     kernel ELF; default $OSPREY_KERNEL, else " OSPREY_DEFAULT_KERNEL
	"\n"
	"      --timeout SEC     limit for each boot; default 60; 0 = none\n"
	"  -v, --verbose         show every boot's QEMU command line and console\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0 every test passed; 1 a test failed (or none matched);\n"
	"2 bad usage; 125 QEMU missing or could not start.\n";

const char osprey_trace_help[] =
	"usage: osprey trace list FILE\n"
	"       osprey trace summary FILE\n"
	"       osprey trace --bootchart FILE\n"
	"\n"
	"Read a trace file written by 'osprey run --trace=GLOB' (default " OSPREY_DEFAULT_TRACE
	").\n"
	"\n"
	"  list         every record as text, in time order across CPUs: microseconds\n"
	"               since boot, CPU, thread, tracepoint, its formatted arguments\n"
	"  summary      records and rate per tracepoint, records dropped, and for pairs\n"
	"               NAME_entry/NAME_exit or NAME_begin/NAME_end the latency\n"
	"               (p50, p99, max) with a histogram\n"
	"  --bootchart  the boot phases (tracepoint boot_phase) as a timeline\n"
	"\n"
	"Exit status: 0 success; 1 the file is missing, truncated or not a trace\n"
	"(one line on stderr says what and where); 2 bad usage.\n";

const char osprey_image_help[] =
	"usage: osprey image [--modules DIR] [-o FILE] MODULE...\n"
	"       osprey image [--modules DIR] --deps MODULE...\n"
	"\n"
	"Build an rofs image (the root file system, for --initrd) from MODULE and\n"
	"everything it requires, in dependency order; or, with --deps, print the\n"
	"resolved tree and the order.  A module is a folder DIR/NAME with a file\n"
	"'manifest' (docs/files.md gives its format).\n"
	"\n"
	"Options:\n"
	"  --modules DIR   where modules are (default: modules)\n"
	"  -o FILE         the image to write (default: the last MODULE + .img)\n"
	"  --deps          print the dependency tree instead of building\n";
