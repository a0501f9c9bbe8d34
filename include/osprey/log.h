/*
 * The kernel log: printf-style, format strings checked by the compiler.
 * Levels follow Linux: a message is printed when its level is at most the
 * console level (--loglevel=N, default 4: errors and warnings only, so the
 * application's output is all a user sees).
 */
#ifndef OSPREY_LOG_H
#define OSPREY_LOG_H

#include <stdarg.h>

#include <osprey/kernel.h>

enum log_level {
	LOG_EMERG,
	LOG_ALERT,
	LOG_CRIT,
	LOG_ERR,
	LOG_WARNING,
	LOG_NOTICE,
	LOG_INFO,
	LOG_DEBUG,
};

#define LOG_DEFAULT_LEVEL LOG_WARNING

extern int log_level;

void klog(int level, const char *fmt, ...) __printf(2, 3);
/* Unconditional output on the console (what a built-in command prints). */
void kprintf(const char *fmt, ...) __printf(1, 2);
void kvprintf(const char *fmt, va_list ap);

#define pr_err(...) klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) klog(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) klog(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...) klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/* The console device: the 16550 UART. */
void serial_init(void);
void serial_write(const char *s, size_t n);
/* Up to n received bytes, whatever the UART holds now; never waits. */
size_t serial_read(char *buf, size_t n);
/* Whether a received byte waits to be read. */
bool serial_rx_ready(void);
/* Loopback mode (for tests): what is written comes back as input, not out on the line. */
void serial_set_loopback(bool on);

#endif
