/*
 * Facts about EVFILT_PROC that shape the simulation's process filter (numbered with the others,
 * listed in SimulatedKqueue.java).
 *
 * 4. EVFILT_PROC with NOTE_EXIT: pidfd_open (Linux 5.3), watched for readability in the epoll set;
 *    nothing is ever reaped. At registration a process that exited already is a zombie (its pidfd
 *    is readable at once): macOS and OpenBSD semantics answer ESRCH, FreeBSD semantics attach and
 *    fire at once; a pid with no process answers ESRCH everywhere. The wait status comes from
 *    waitid(P_PIDFD, WEXITED|WNOHANG|WNOWAIT) (children not yet reaped) or from the exit_code field
 *    of /proc/PID/stat while the process is a zombie (checked against its start time). macOS
 *    semantics grant NOTE_EXITSTATUS to the parent only (EACCES otherwise).
 */
package io.kwait.kqueue.sim;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.kqueue.KqueueConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** EVFILT_PROC with NOTE_EXIT of one simulated kqueue: a pidfd per watched process (fact 4). */
final class ProcFilter {
    /** The pidfd of one watched process. */
    static final class ProcWatch {
        final long pid;
        final int pidfd;
        final long startTime;
        long tag;
        /** The exit was seen (or the process was a zombie already): status below. */
        boolean exited;
        boolean statusKnown;
        int status;

        final Knote knote;

        ProcWatch(long pid, int pidfd, long startTime, Knote knote) {
            this.pid = pid;
            this.pidfd = pidfd;
            this.startTime = startTime;
            this.knote = knote;
        }
    }

    private final SimulatedQueue q;

    ProcFilter(SimulatedQueue q) {
        this.q = q;
    }

    int attachProc(Knote kn) {
        KqueueConstants.Notes notes = q.k.notes();
        int supported = notes.exit() | notes.exitStatus();
        if ((kn.sfflags & ~supported) != 0) return q.k.errnos().einval(); // NOT_MODELED: other notes
        long pid = kn.ident;
        if (pid <= 0 || pid > Integer.MAX_VALUE) return q.k.errnos().esrch();
        long rc = q.libc.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
        if (rc < 0) {
            int err = LibCRuntime.errno();
            if (err == Linux.ESRCH || err == Linux.EINVAL) return q.k.errnos().esrch(); // no such process
            return q.sim.osErrno(err == Linux.EPERM ? Linux.ENOSYS : err); // no pidfds here: cannot simulate
        }
        int pidfd = (int) rc;
        q.sim.ownFds.add(pidfd);
        ProcWatch w = new ProcWatch(pid, pidfd, startTime(pid), kn);
        boolean zombie = isReadable(pidfd);
        if (zombie && !q.sim.zombiesFire) {
            q.sim.closeOwn(pidfd);
            return q.k.errnos().esrch(); // macOS/OpenBSD: proc_find refuses zombies
        }
        boolean wantStatus = notes.exitStatus() != 0 && (kn.sfflags & notes.exitStatus()) != 0;
        if (wantStatus && !isOurChild(pid)) { // xnu before cansignal(): the parent only
            q.sim.closeOwn(pidfd);
            return q.k.errnos().eacces();
        }
        if (zombie) {
            exited(w);
            kn.proc = w;
            kn.active = true; // FreeBSD: "immediately activate" exit notes of a zombie
            kn.flags |= q.k.flags().clear();
            return 0;
        }
        w.tag = q.nextTag++;
        if (q.epollCtl(q.epfd, Linux.EPOLL_CTL_ADD, pidfd, Linux.EPOLLIN, w.tag) < 0) {
            int err = LibCRuntime.errno();
            q.sim.closeOwn(pidfd);
            return q.sim.osErrno(err);
        }
        q.byTag.put(w.tag, w);
        kn.proc = w;
        kn.flags |= q.k.flags().clear(); // EVFILT_PROC is EV_CLEAR on FreeBSD and macOS
        return 0;
    }

    boolean isReadable(int fd) {
        q.pollfd.bytes.putInt(0, fd);
        q.pollfd.bytes.putShort(4, (short) 1); // POLLIN
        q.pollfd.bytes.putShort(6, (short) 0);
        return q.libc.poll(q.pollfd.address, 1, 0) == 1 && (q.pollfd.bytes.getShort(6) & 1) != 0;
    }

    /** Records the exit and, where it can still be learned without reaping, the wait status (fact 4). */
    void exited(ProcWatch w) {
        w.exited = true;
        ByteBuffer si = q.scratch.bytes;
        for (int i = 0; i < Linux.SIGINFO_SIZE; i += 8) si.putLong(i, 0L);
        int rc = q.libc.waitid(Linux.P_PIDFD, w.pidfd, q.scratch.address, Linux.WEXITED | Linux.WNOHANG | Linux.WNOWAIT);
        if (rc == 0 && si.getInt(Linux.SIGINFO_PID_OFFSET) == (int) w.pid) {
            int code = si.getInt(Linux.SIGINFO_CODE_OFFSET);
            int st = si.getInt(Linux.SIGINFO_STATUS_OFFSET);
            if (code == Linux.CLD_EXITED) w.status = (st & 0xff) << 8;
            else if (code == Linux.CLD_KILLED) w.status = st & 0x7f;
            else if (code == Linux.CLD_DUMPED) w.status = (st & 0x7f) | 0x80;
            else return;
            w.statusKnown = true;
            return;
        }
        long[] zombie = procStat(w.pid);
        if (zombie != null && zombie[0] == 'Z' && w.startTime >= 0 && zombie[1] == w.startTime && zombie[2] >= 0) {
            w.status = (int) zombie[2];
            w.statusKnown = true;
        }
    }

    int deliverExit(Knote kn, ByteBuffer out, int n) {
        KqueueConstants.Notes notes = q.k.notes();
        ProcWatch w = kn.proc;
        int fflags = 0;
        long data = 0;
        if (w.statusKnown) {
            if ((kn.sfflags & notes.exit()) != 0) fflags |= notes.exit();
            if (notes.exitStatus() != 0 && (kn.sfflags & notes.exitStatus()) != 0) {
                fflags |= notes.exitStatus();
                data = w.status;
            } else if (notes.exitStatus() == 0) {
                data = w.status; // the BSDs store the status with every NOTE_EXIT
            }
        } else if (notes.exitStatus() != 0) {
            fflags = kn.sfflags & notes.exit(); // macOS without the status: data 0, as without NOTE_EXITSTATUS
        }
        // else (BSD semantics, status unknown): NOT_MODELED, delivered without NOTE_EXIT
        KqueueConstants.Flags f = q.k.flags();
        q.layout.put(out, n, kn.ident, kn.filter, kn.flags | f.eof() | f.oneshot(), fflags, data, kn.udata);
        q.drop(kn); // EV_ONESHOT: the kernel removes the knote with the exit
        return n + 1;
    }

    // ------------------------------------------------------------ /proc

    /** Whether {@code pid}'s parent is this JVM. */
    private static boolean isOurChild(long pid) {
        long me = ProcessHandle.current().pid();
        return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L) == me;
    }

    private static long startTime(long pid) {
        long[] s = procStat(pid);
        return s == null ? -1 : s[1];
    }

    /**
     * From /proc/PID/stat: {state, starttime (field 22), exit_code (field 52, a wait status; -1 when
     * the kernel hides it)}, or null when there is no such process.
     */
    private static long[] procStat(long pid) {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException gone) {
            return null;
        }
        int close = s.lastIndexOf(')'); // the command name may hold spaces and parentheses
        if (close < 0 || close + 2 >= s.length()) return null;
        String[] f = s.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); field n is f[n - 3]
        try {
            long state = f[0].charAt(0);
            long start = f.length > 19 ? Long.parseLong(f[19]) : -1;
            long exit = f.length > 49 ? Long.parseLong(f[49]) : -1;
            return new long[] {state, start, exit};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
