/*
 * Facts about pidfds that shape this file: the epoll backend's process exit. The epoll backend's
 * facts are numbered across its files; the index is at the top of EpollBackend.java.
 *
 * 10. Process exit: pidfd_open(pid, 0) (syscall 434, Linux 5.3) gives an fd that becomes readable
 *     when the process exits (is a zombie), for any process we may see, child or not: no thread
 *     per process. The exit is reported once (EXIT, no status) and the pidfd closed. Nothing here
 *     ever reaps (no wait without WNOWAIT): the JDK's reaper thread owns java.lang.Process
 *     children, and reaping first would make Process.exitValue() report 0. The core takes the
 *     status from the Process, waits for the JDK's reaper when the zombie is its own child, and
 *     guards against pid reuse (it re-checks the handle after register). ESRCH means the process
 *     is gone already: its exit is reported by the next poll, which then does not block. Whether
 *     pidfds work at all is probed once per JVM (pidfd_open of our own pid, as Go does): ENOSYS,
 *     EPERM (seccomp) or EINVAL drop Capability.PROCESS_EXIT, and the core relays every process;
 *     the same errors from a later register throw IOException, and the core relays that one.
 *     -Dkwait.epoll.pidfd=false keeps the capability but refuses every process registration, so
 *     that per-process fallback of the core can be tested.
 */
package io.kwait.nativeio.epoll;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.binding.LibC;

import java.io.IOException;

/** Opens the pidfds of the epoll backend's process sources, and knows whether pidfds work here (fact 10). */
final class PidfdWatch {
    /** Why pidfds cannot work in this JVM (ENOSYS, EPERM, EINVAL seen once), or null. */
    private static volatile String reason;
    private static volatile boolean probed;

    private final LibC libc;
    /** Why this backend refuses process sources ({@value EpollBackend#PIDFD_PROPERTY}), or null. */
    private final String disabled;

    PidfdWatch(LibC libc) {
        this.libc = libc;
        this.disabled = "false".equalsIgnoreCase(System.getProperty(EpollBackend.PIDFD_PROPERTY))
                ? "pidfds are disabled by -D" + EpollBackend.PIDFD_PROPERTY + "=false; process exit is watched by the core's relay"
                : null;
        if (!probed) probe(libc);
    }

    /** Whether pidfds work in this JVM, as far as the probe and every register since have seen. */
    static boolean usable() {
        return reason == null;
    }

    /**
     * A new pidfd for {@code pid}, or -1 when the process is gone already (ESRCH: the next poll
     * reports its exit).
     *
     * @throws IOException pidfds are disabled or do not work here (the core relays the process instead)
     */
    int open(long pid) throws IOException {
        String off = disabled != null ? disabled : reason;
        if (off != null) throw new IOException(off);
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("not a process id: " + pid);
        long rc = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
        if (rc >= 0) return (int) rc;
        int err = LibCRuntime.errno();
        switch (err) {
            case Linux.ESRCH -> {
                return -1;
            }
            case Linux.ENOSYS, Linux.EPERM, Linux.EINVAL -> {
                String why = reasonFor(err);
                reason = why; // later registers fail fast, and later backends lack the capability
                throw new IOException(why);
            }
            default -> throw new IOException("pidfd_open(" + pid + ") failed: " + LibCRuntime.describe(err));
        }
    }

    /** Once per JVM, as Go does: open a pidfd for ourselves. A refusal now is a refusal for every process. */
    private static void probe(LibC libc) {
        long fd = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) ProcessHandle.current().pid(), 0);
        if (fd >= 0) {
            libc.close((int) fd);
        } else {
            int err = LibCRuntime.errno();
            if (err == Linux.ENOSYS || err == Linux.EPERM || err == Linux.EINVAL) reason = reasonFor(err);
        }
        probed = true;
    }

    private static String reasonFor(int err) {
        return "pidfd_open is not usable here (" + LibCRuntime.describe(err) + "; it needs Linux 5.3+ and no seccomp"
                + " filter refusing it); process exit is watched by the core's relay instead";
    }
}
