/*
 * Facts about kqueue (macOS, FreeBSD, OpenBSD) that shape the kqueue backend. Sources: the kqueue(2)
 * man pages of FreeBSD and macOS, sys/event.h and kern/kern_event.c of FreeBSD, xnu and OpenBSD;
 * the JDK's sun.nio.ch sources. The bookkeeping shared with the epoll backend has its own facts at
 * the top of DescriptorTable.java ("table fact N").
 *
 * The facts are numbered across the backend's files and each stands with the code it shapes; a
 * fact cited without a file is one of the file's own. Here: 5, 8, 10, 11, 13. OpenKqueue.java (the
 * kqueue and its per-OS numbers): 1. ChangeList.java (batched and immediate changes): 3, 4.
 * KeventWait.java (the blocking kevent() and its event list): 9, 12. KqueueReports.java (what the
 * kevents say, reported per source): 2, 6. ProcWatch.java (EVFILT_PROC): 7.
 *
 * 5. close(fd) removes every knote of that fd, silently, on every OS. A closed JDK channel thus
 *    stops reporting; the core notices closed channels itself (isOpen() on every wait), and this
 *    backend reports ReadyFlags.ERROR with a ClosedChannelException for any event of a channel that is no
 *    longer open, and sends no EV_DELETE for it (nothing is left to delete, and its number may
 *    belong to another file by now). A registration on a number that still has an entry first
 *    forgets owners whose channel is closed; a new owner of a live entry re-sends EV_ADD, which
 *    creates the knote if the number names a new file and updates it otherwise. Raw-fd owners are
 *    kept: a raw fd source means "fd number N", whatever it is now (as in the epoll backend).
 *    Registrations are batched (fact 3 in ChangeList), and a wait may return before any kevent()
 *    applied them (a task or channel event fires first, so no poll runs); the program may then
 *    close the channel, and its number go to the next file it opens. So an EV_ADD whose every
 *    owner's channel is closed (or whose entry was forgotten) is taken out of the list before the
 *    kevent() that carries it (ChangeList.dropClosed): sent, it would put a knote nobody owns on
 *    that other file (on the simulation, whose pidfds are numbers too, it took a process's exit
 *    away: LeakConformance.processExitsAmidRandomMixesAreSeen, wait 19206).
 *
 * 8. Wakeup: EVFILT_USER with EV_CLEAR, triggered by kevent(NOTE_TRIGGER) from any thread
 *    (UserFilterWaker). Where the headers lack it, or the kernel refuses the EV_ADD probe at open
 *    (OpenBSD before EVFILT_USER, or kwait.kqueue.wakeup=pipe for tests), a non-blocking pipe in the
 *    kqueue takes its place (PipeWaker).
 *    A flag set by CAS makes repeated wakeups cost one system call; it is cleared when a poll
 *    returns. Clearing it early is safe because the triggered event (or the pipe's bytes) stays in
 *    the kernel until a poll takes it, so a later poll returns at once. The trigger runs under a
 *    lock that close() also takes, so it never reaches a closed, possibly reused, kqueue number.
 *
 * 10. Signals and timers stay in the core (its sun.misc.Signal relay and timer heap), as with every
 *     backend. EVFILT_SIGNAL records a signal but does not stop the process's own handling (a
 *     SIGTERM still runs the JVM's shutdown; FreeBSD and macOS kqueue(2)), and making it the only
 *     handler would mean replacing HotSpot's handlers; EVFILT_TIMER's units and absolute-time flag
 *     differ per OS and its absolute times use the wall clock, while the core's one poll timeout
 *     from a monotonic heap costs nothing per timer.
 *
 * 11. Close releases the kqueue (and with it every knote), ends the platform thread virtual
 *     threads' blocking kevent() ran on (KeventWait fact 9), and releases the wakeup pipe, if
 *     any. Channels and raw fds stay the caller's; no process is touched.
 *
 * 13. Regular files and directories: kqueue accepts them (EVFILT_READ reports the bytes up to end
 *     of file, EVFILT_WRITE is always ready), epoll refuses them. One behaviour for kwait: a raw fd
 *     that names one is refused by register() with IllegalArgumentException, as on epoll, found
 *     out through /dev/fd (SourceChecks.refuseFiles); channels never are files.
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.NioInternals;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.SourceChecks;
import io.kwait.nativeio.TableBackend;
import io.kwait.nativeio.Waker;
import io.kwait.nativeio.spawn.PosixSpawner;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import static io.kwait.nativeio.kqueue.Knotes.NO_ENTRY;

/**
 * The kwait backend for macOS and the BSDs: {@code kqueue}/{@code kevent} through a
 * {@link KqueueBinding}, with {@code EVFILT_PROC} for process exit and {@code EVFILT_USER} (or a
 * pipe) for wakeups. It serves every {@link Source.Kind} and has every
 * {@linkplain Capability capability}: raw fds, process exit with no thread per process, the bytes
 * readable in {@code data}, and {@link ReadyFlags#EOF} on hang-up; native spawn
 * ({@code io.kwait.nativeio.spawn}) where the C library has it (Linux's only so far, i.e. under
 * the simulation), the children's pipes watched like any fd and their exit by {@code EVFILT_PROC}.
 *
 * <p>The binding decides the OS: {@link LibCKqueueBinding} (libc through JNR) on macOS/FreeBSD/
 * OpenBSD, chosen by {@link KqueueBackendProvider}; or, on Linux and for tests only, the
 * {@code SimulatedKqueue} (module {@code kqueue-sim}), which follows kqueue(2) on top of epoll and
 * pidfds and reads and writes the same raw structs. Needs the JVM flag
 * {@value NioInternals#ADD_EXPORTS_FLAG} for the fd numbers of JDK channels.
 *
 * <p>Threading follows {@link Backend}: one polling thread at a time; {@link #wakeup()} from any
 * thread, also after {@link #close()}. A blocking {@link #poll} returns when the polling thread is
 * interrupted. Why each odd branch is there: the facts at the top of the source files.
 */
public final class KqueueBackend extends TableBackend<Knotes> {

    /** Backend name of the real kqueue, used with {@code -Dkwait.backend} and {@code Kernel.open(name)}. */
    public static final String NAME = "kqueue";

    /** System property: {@code pipe} makes every new backend wake through a pipe instead of {@code EVFILT_USER}. */
    public static final String WAKEUP_PROPERTY = "kwait.kqueue.wakeup";

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.RAW_FD, Capability.PROCESS_EXIT, Capability.BYTES_AVAILABLE, Capability.EOF_FLAG));
    private static final Set<Capability> CAPABILITIES_WITH_SPAWN = Collections.unmodifiableSet(EnumSet.of(
            Capability.RAW_FD, Capability.PROCESS_EXIT, Capability.BYTES_AVAILABLE, Capability.EOF_FLAG, Capability.SPAWN));

    private final String name;
    private final OpenKqueue kq;
    private final ChangeList changes;
    private final ProcWatch procs;
    private final KqueueReports reports;
    private final KeventWait wait;

    /**
     * Opens a kqueue through {@code binding} and sets up its wakeup: {@code EVFILT_USER} if the
     * platform defines it, the kernel accepts it and {@code -Dkwait.kqueue.wakeup=pipe} is not set;
     * otherwise a pipe.
     *
     * @param name    what {@link #name()} answers ({@value #NAME}, or a simulation's name)
     * @param binding the system calls
     * @throws IOException the OS refused the kqueue or the pipe (the message says which and why)
     */
    public KqueueBackend(String name, KqueueBinding binding) throws IOException {
        this(name, binding, "pipe".equalsIgnoreCase(System.getProperty(WAKEUP_PROPERTY)));
    }

    /**
     * Like {@link #KqueueBackend(String, KqueueBinding)}, choosing the wakeup explicitly.
     *
     * @param forcePipe wake through a pipe even where {@code EVFILT_USER} works
     */
    public KqueueBackend(String name, KqueueBinding binding, boolean forcePipe) throws IOException {
        super(Objects.requireNonNull(name, "name"));
        this.name = name;
        OpenKqueue q = new OpenKqueue(Objects.requireNonNull(binding, "binding"));
        this.kq = q;
        Waker w = null;
        try {
            String reason = null;
            if (forcePipe) {
                reason = "-D" + WAKEUP_PROPERTY + "=pipe";
            } else if (!q.k.filters().userDefined()) {
                reason = q.k.os() + " has no EVFILT_USER";
            } else {
                try {
                    w = new UserFilterWaker(binding, q.fd);
                } catch (IOException refused) {
                    reason = refused.getMessage();
                }
            }
            if (w == null) w = new PipeWaker(binding, q.fd, reason);
        } catch (IOException | RuntimeException ex) {
            q.close();
            throw ex;
        }
        useWaker(w); // EVFILT_USER or a pipe (fact 8)
        this.procs = new ProcWatch(q, table, this::forget);
        this.reports = new KqueueReports(q, table, w, this::forget, procs);
        this.changes = new ChangeList(q, reports, this::closedSinceQueued);
        procs.use(changes);
        this.wait = new KeventWait(q, changes, reports, table, w);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<Capability> capabilities() {
        return PosixSpawner.instanceOrNull() != null ? CAPABILITIES_WITH_SPAWN : CAPABILITIES;
    }

    /** The OS whose {@code struct kevent} layout and numbers this backend speaks (through its binding). */
    public KqueuePlatform platform() {
        return kq.sys.platform();
    }

    /** Whether wakeups use {@code EVFILT_USER} (false: the pipe). For tests and diagnostics. */
    public boolean wakesThroughUserFilter() {
        return waker() instanceof UserFilterWaker;
    }

    // ================================================================ register

    @Override
    public void register(Source source, int interest) throws IOException {
        Owner owner = checkRegistration(source, interest);
        if (owner == null) {
            if (source.kind() == Source.Kind.PROCESS) procs.register(source, interest);
            else registerFd(source, interest);
            return;
        }
        if (owner.interest() == interest) return; // no change, no work
        if (owner.isPendingExit() || (owner.descriptor() != null && owner.descriptor().process)) {
            owner.setInterest(interest); // the knote stays; reports are filtered by interest
            return;
        }
        if (owner.isClosedChannel()) {
            forget(owner); // fact 5: its knotes went with the fd
            throw new ClosedChannelException();
        }
        if (owner.descriptor() == null) { // cannot happen while the state is ours; start over rather than guess
            forget(owner);
            register(source, interest);
            return;
        }
        owner.setInterest(interest);
        sync((Knotes) owner.descriptor(), false);
    }

    private void registerFd(Source source, int interest) throws IOException {
        int fd = SourceChecks.fdToWatch(source, interest);
        if (fd == kq.fd || waker().owns(fd)) {
            throw new IllegalArgumentException("fd " + fd + " is this kqueue backend's own "
                    + (fd == kq.fd ? "kqueue fd" : "wakeup pipe") + "; it cannot be waited on");
        }
        SourceChecks.refuseFiles(source, fd); // fact 13: refused at the call, as on epoll
        Knotes e = liveAtFd(fd); // fact 5: owners whose channel is closed are forgotten first
        boolean fresh = e == null;
        if (fresh) {
            e = new Knotes(fd, -1, false);
            e.noByteCount = source.channel() instanceof ServerSocketChannel; // fact 6 in KqueueReports: data is the backlog there
            table.add(e);
        }
        table.attach(source, interest, e);
        // A new owner of a live descriptor re-sends EV_ADD: the number may name a new file by now (fact 5).
        sync(e, !fresh);
    }

    /** Drops every trace of an owner, and the descriptor's knotes when it was the last owner. */
    @Override
    protected void forget(Owner owner) {
        Knotes e = table.release(owner);
        if (e == null) return;
        if (e.ownerCount() > 0) {
            if (!e.process) syncQuietly(e);
            return;
        }
        if (!owner.isClosedChannel()) { // fact 5: a closed channel's knotes went with it, nothing left to delete
            for (int bit = Interest.READ; bit <= Interest.EXIT; bit <<= 1) {
                if ((e.added & bit) != 0) changes.queueQuietly(e.ident(), kq.filterOf(bit), kq.evDelete, 0, NO_ENTRY);
            }
        } else {
            changes.dropAddsOf(e.tag()); // fact 5: and its EV_ADDs still queued must not reach the number's next file
        }
        e.added = 0;
        table.remove(e);
    }

    /**
     * Fact 5: whether a queued EV_ADD with this udata must not be sent: every owner of its fd entry
     * is a channel that is closed now. (An entry forgotten since took its EV_ADDs along if its
     * channel was closed, see {@link #forget}; one forgotten while open may be followed by a new
     * EV_ADD for the number, whose EV_DELETE in between must find a knote.)
     */
    private boolean closedSinceQueued(long udata) {
        Knotes e = table.atTag(udata);
        if (e == null || e.process || e.ownerCount() == 0) return false;
        for (int i = 0; i < e.ownerCount(); i++) {
            if (!e.owner(i).isClosedChannel()) return false;
        }
        return true;
    }

    /** Brings the descriptor's knotes in line with its owners' interest; {@code force} re-sends EV_ADD for every wanted filter. */
    private void sync(Knotes e, boolean force) throws IOException {
        int want = e.interest() & (Interest.READ | Interest.WRITE);
        for (int bit = Interest.READ; bit <= Interest.WRITE; bit <<= 1) {
            boolean on = (want & bit) != 0;
            boolean was = (e.added & bit) != 0;
            if (on && (force || !was)) changes.queue(e.ident(), kq.filterOf(bit), kq.evAdd, 0, e.tag());
            else if (!on && was) changes.queue(e.ident(), kq.filterOf(bit), kq.evDelete, 0, NO_ENTRY);
        }
        e.added = (e.added & ~(Interest.READ | Interest.WRITE)) | want;
    }

    private void syncQuietly(Knotes e) {
        try {
            sync(e, false);
        } catch (IOException ignored) {
            // Only a failed standalone flush throws; the remaining owners meet the problem at their next poll.
        }
    }

    // ================================================================ poll, lifecycle

    @Override
    protected int pollOpen(long timeoutNanos, ReadySink sink) throws IOException {
        return wait.poll(timeoutNanos, sink);
    }

    /** Fact 11: the kqueue, and with it every knote (the waker released its pipe, if any). */
    @Override
    protected void release() {
        table.clear();
        reports.clear();
        changes.taken();
        wait.close(); // fact 9: its platform thread may use the kqueue fd
        kq.close();
    }

    @Override
    public String toString() {
        return "KqueueBackend[" + name + ", " + kq.sys.describe() + ", "
                + (isClosed() ? "closed" : "kq " + kq.fd + ", " + table.size() + " registered, wakeup by "
                + waker()) + "]";
    }
}
