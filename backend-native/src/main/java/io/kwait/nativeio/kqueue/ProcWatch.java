/*
 * Facts about kqueue that shape this file (process exit). The kqueue backend's facts are numbered
 * across its files; the index is at the top of KqueueBackend.java, and a fact cited here without
 * a file is one of this file's.
 *
 * 7. Processes: EVFILT_PROC with NOTE_EXIT, for any pid we may see, with no thread per process and
 *    nothing ever reaped (the JDK's reaper thread owns java.lang.Process children). On macOS
 *    NOTE_EXITSTATUS is asked for too; xnu grants it to the parent (current xnu: also to whoever may
 *    signal the process) and answers EACCES otherwise, and the registration is then retried without
 *    it. The exit event carries the wait status in data when fflags has NOTE_EXIT (BSDs) or
 *    NOTE_EXITSTATUS (macOS); it is decoded the JDK's way (exit code, or 128 + signal) and reported
 *    with ReadyFlags.EXIT_STATUS; the core prefers java.lang.Process's own status anyway. A process that
 *    already exited: FreeBSD attaches to the zombie and fires at once; macOS and OpenBSD answer
 *    ESRCH, as every OS does once the process was reaped. ESRCH is therefore "exited": the next
 *    poll reports EXIT without a status (and does not block before it). Process registrations are
 *    applied at once (EV_RECEIPT), not batched, because the core needs their failure as an
 *    IOException from register() to fall back to its onExit relay. The kernel removes the knote on
 *    exit (EV_ONESHOT), so a reported exit sends no EV_DELETE.
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.Owner;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;

/** The kqueue backend's process sources: one EVFILT_PROC knote per pid, applied at once, and its exit report (fact 7). */
final class ProcWatch {
    private final OpenKqueue kq;
    private final DescriptorTable<Knotes> table;
    private final Consumer<Owner> forget;
    private ChangeList changes;

    ProcWatch(OpenKqueue kq, DescriptorTable<Knotes> table, Consumer<Owner> forget) {
        this.kq = kq;
        this.table = table;
        this.forget = forget;
    }

    /** The change list that applies the registrations (set once, after both exist). */
    void use(ChangeList changes) {
        this.changes = changes;
    }

    void register(Source source, int interest) throws IOException {
        long pid = source.pid();
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("not a process id: " + pid);
        Knotes existing = table.atPid(pid);
        if (existing != null) { // one knote per pid and kqueue: a second source shares it
            table.attach(source, interest, existing);
            return;
        }
        Knotes e = new Knotes(-1, pid, true);
        table.add(e);
        int err = changes.applyNow(pid, kq.evfiltProc, kq.evAdd, kq.noteExit | kq.noteExitStatus, e.tag());
        if (err == kq.eacces && kq.noteExitStatus != 0) {
            // macOS grants NOTE_EXITSTATUS to the parent only (or whoever may signal it).
            err = changes.applyNow(pid, kq.evfiltProc, kq.evAdd, kq.noteExit, e.tag());
        }
        if (err == 0) {
            e.added = Interest.EXIT;
            table.attach(source, interest, e);
        } else {
            table.remove(e);
            if (err != kq.esrch) {
                throw new IOException("kevent(EVFILT_PROC, NOTE_EXIT) for process " + pid + " failed: " + kq.describe(err));
            }
            table.addPendingExit(source, interest); // gone already (or a zombie on macOS/OpenBSD)
        }
    }

    /** Reports a collected exit to every owner of {@code e}, forgetting each: an exit is reported once. */
    int reportExit(Knotes e, ReadySink sink) {
        if (!e.exited || table.atTag(e.tag()) != e) return 0;
        int flags = 0;
        long data = 0;
        if (e.statusKnown) {
            long code = exitCode(e.exitData);
            if (code >= 0) {
                flags = ReadyFlags.EXIT_STATUS;
                data = code;
            }
        }
        Owner[] owners = Arrays.copyOf(e.snapshot(), e.ownerCount());
        e.added = 0; // the kernel dropped the knote with the exit (EV_ONESHOT): nothing to delete
        int reported = 0;
        for (Owner owner : owners) {
            if (owner.descriptor() != e) continue;
            forget.accept(owner);
            if ((owner.interest() & Interest.EXIT) == 0) continue;
            reported++;
            sink.ready(owner.source(), Interest.EXIT, flags, data, null);
        }
        return reported;
    }

    /**
     * The JDK's exit value for a wait status: the exit code, 128 + the signal for a process killed
     * by one (what {@code Process.exitValue()} reports), or -1 for anything else.
     */
    static long exitCode(long status) {
        int s = (int) status;
        int sig = s & 0x7f;
        if (sig == 0) return (s >> 8) & 0xff;
        if (sig != 0x7f) return 128 + sig;
        return -1; // stopped: not an exit
    }
}
