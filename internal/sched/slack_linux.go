//go:build linux && cgo

package sched

/*
#include <sys/prctl.h>

#define MCU_TIMER_SLACK_NS 1000000

// Set on the main thread before the Go runtime starts any other: every
// thread inherits it from the thread that creates it, the runtime's own
// monitor thread included, which Go gives no way to reach later.
__attribute__((constructor)) static void mcu_timer_slack(void) {
	prctl(PR_SET_TIMERSLACK, (unsigned long)MCU_TIMER_SLACK_NS, 0, 0, 0);
}
*/
import "C"

// TimerSlack is how late, at most, the kernel may wake any of the process's
// threads from a timed sleep (1 ms; Linux's default is 50 µs), so that it can
// serve several wake-ups at once. mcu's deadlines are 20 ms audio frames and
// 33 ms video ticks, which 1 ms does not threaten; what it saves is the Go
// runtime's monitor thread (sysmon) waking every 20 µs for a millisecond
// whenever the process leaves idle, which a real-time server does thousands
// of times a second: about 2,900 of its 6,500 context switches a second with
// nine participants, 9 % of a core.
const TimerSlack = C.MCU_TIMER_SLACK_NS // nanoseconds
