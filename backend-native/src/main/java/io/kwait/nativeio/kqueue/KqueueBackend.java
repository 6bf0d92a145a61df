/*
 * Facts about kqueue (macOS, FreeBSD, OpenBSD) that shape this file. Sources: the kqueue(2) man
 * pages of FreeBSD and macOS, sys/event.h and kern/kern_event.c of FreeBSD, xnu and OpenBSD; the
 * JDK's sun.nio.ch sources. The bookkeeping shared with the epoll backend has its own facts at the
 * top of DescriptorTable.java ("table fact N").
 *
 * 1. The struct differs per OS and the numbers differ per OS. struct kevent is 32 bytes on macOS,
 *    FreeBSD <= 11 and OpenBSD, 64 bytes on FreeBSD >= 12 (int64 data, ext[4]); EVFILT_USER is -10
 *    on macOS and OpenBSD, -11 on FreeBSD; 0x100/0x200 are EV_UDATA_SPECIFIC/EV_VANISHED on macOS
 *    and EV_FORCEONESHOT/EV_KEEPUDATA on FreeBSD. So nothing here is a literal: every kevent is
 *    written and read through a KeventLayout and every number comes from KqueueConstants, chosen
 *    at run time (KqueuePlatform). The same code then runs on the simulated kqueue, which reads and
 *    writes the lists as raw memory in the layout it simulates.
 *
 * 2. A kevent is keyed by (ident, filter) per kqueue; udata comes back with every event. Each
 *    watched object is a descriptor of the DescriptorTable, and udata is its tag (generation << 32
 *    | slot; table fact 1). A slot gets a new generation whenever it is reused, so an event or a
 *    change error still in flight for a descriptor that was forgotten (fd closed and its number
 *    reused, process deregistered) finds another generation in the slot and is dropped instead of
 *    reaching the new owner (the Go netpoller's sequence tag). udata 0 (never a descriptor's)
 *    marks our own wakeup event and every EV_DELETE.
 *
 * 3. Changes are batched. register() only appends to a change list; the list rides along with the
 *    next kevent() call of poll(), so a wait that arms five fds costs one system call, not six. A
 *    full list is flushed on its own (with EV_RECEIPT, below), except while poll() reports, when
 *    the list grows instead (a report must not start another kevent() whose errors would interleave).
 *
 * 4. Change errors. EV_RECEIPT forces one EV_ERROR entry per change (data = errno, 0 on success),
 *    so every change's result comes back next to its own ident, filter and udata. But a kevent()
 *    call that returns any receipt or error does not wait (FreeBSD kern_event.c: "if (nerrors)
 *    return"; xnu scans only when nothing was output), so EV_RECEIPT is used where each result is
 *    needed at once: the standalone flush, the EVFILT_USER probe and process registration. The
 *    changes that ride along with a wait carry no EV_RECEIPT: successes then produce no output and
 *    the call waits; a failure still comes back as an EV_ERROR entry for its own udata (the call
 *    then returns at once). The event list always has room for one entry per change, so no error
 *    is ever lost to "-1 and errno" (and FreeBSD never stops processing the rest of the list).
 *    Every returned kevent is checked for EV_ERROR. An error for an entry's EV_ADD becomes one
 *    ReadyFlags.ERROR report for that entry's sources only, with an IOException naming the errno; the
 *    other sources of the same poll are reported as usual. Errors of EV_DELETE (udata 0) are
 *    ignored: ENOENT and EBADF only mean the kernel dropped the knote already. EPIPE on EV_ADD is
 *    ignored too: old macOS (10.10/10.11) returns it for a pipe whose other end is gone and still
 *    reports events (as mio observed).
 *
 * 5. close(fd) removes every knote of that fd, silently, on every OS. A closed JDK channel thus
 *    stops reporting; the core notices closed channels itself (isOpen() on every wait), and this
 *    backend reports ReadyFlags.ERROR with a ClosedChannelException for any event of a channel that is no
 *    longer open, and sends no EV_DELETE for it (nothing is left to delete, and its number may
 *    belong to another file by now). A registration on a number that still has an entry first
 *    forgets owners whose channel is closed; a new owner of a live entry re-sends EV_ADD, which
 *    creates the knote if the number names a new file and updates it otherwise. Raw-fd owners are
 *    kept: a raw fd source means "fd number N", whatever it is now (as in the epoll backend).
 *
 * 6. Readiness. EVFILT_READ/EVFILT_WRITE are level-triggered without EV_CLEAR, as the core wants.
 *    EVFILT_READ's data is the number of bytes readable (for a listening socket: the backlog, so
 *    ServerSocketChannel sources report 0); EVFILT_WRITE's data is the room in the send buffer,
 *    which the SPI has no place for (data is the READ byte count or 0). READ and WRITE of one fd are
 *    separate kevents; they are merged into one report per source and poll, except that READ and
 *    WRITE go in two reports when their flags differ or READ has a byte count (each Fired carries
 *    its own filter's data and flags: Owner.report). EV_EOF is ReadyFlags.EOF on the filter it came with; EV_EOF with a non-zero fflags is a socket error (fflags = its errno):
 *    ReadyFlags.ERROR with an IOException naming it.
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
 * 9. Blocking and interruption. A blocking poll sleeps in kevent() with the timeout (a timespec:
 *    nanoseconds, no rounding; FreeBSD silently caps it at 24 hours, the core polls again). A thread
 *    inside a native call does not notice Thread.interrupt(), so the wait runs between begin() and
 *    end() of a java.nio AbstractInterruptibleChannel whose close hook calls wakeup(): the JDK runs
 *    it when the thread is interrupted (also at once if it already is), and kevent() returns. (The
 *    JDK keeps one such hook per thread: nothing inside the wait may use another, which is why the
 *    simulated kevent() sleeps in poll(2), not in a Selector.) EINTR is retried with the remaining
 *    time; the changes were applied before the call slept (FreeBSD kqueue(2)).
 *    The epoll backend's trick of sleeping in a JDK Selector that watches the epoll fd does not
 *    carry over: a JDK Selector needs the fd in non-blocking mode, and fcntl(F_SETFL, O_NONBLOCK)
 *    on a kqueue fd fails (kqueue_ioctl answers ENOTTY to FIONBIO on FreeBSD and xnu). A virtual
 *    thread inside kevent() therefore holds its carrier thread. To keep other virtual threads from
 *    starving, a virtual thread sleeps in slices of at most 20 ms and yields its carrier between
 *    them (an event still ends a slice at once; an idle waiting task costs 50 wakeups a second).
 *
 * 10. Signals and timers stay in the core (its sun.misc.Signal relay and timer heap), as with every
 *     backend. EVFILT_SIGNAL records a signal but does not stop the process's own handling (a
 *     SIGTERM still runs the JVM's shutdown; FreeBSD and macOS kqueue(2)), and making it the only
 *     handler would mean replacing HotSpot's handlers; EVFILT_TIMER's units and absolute-time flag
 *     differ per OS and its absolute times use the wall clock, while the core's one poll timeout
 *     from a monotonic heap costs nothing per timer.
 *
 * 11. Close releases the kqueue (and with it every knote) and the wakeup pipe, if any. Channels and
 *     raw fds stay the caller's; no process is touched.
 *
 * 12. Every ready event in one poll. The event list is sized from the registrations before each
 *     poll (two filters per fd descriptor, one per process, the wakeup, one error per queued
 *     change), so one kevent() returns everything ready. Should it still come back full, kevent(0)
 *     runs again with a list twice as large before anything is reported; the findings of both
 *     merge in the descriptors (collect), so an event handed out twice is reported once.
 *
 * 13. Regular files and directories: kqueue accepts them (EVFILT_READ reports the bytes up to end
 *     of file, EVFILT_WRITE is always ready), epoll refuses them. One behaviour for kwait: a raw fd
 *     that names one is refused by register() with IllegalArgumentException, as on epoll, found
 *     out through /dev/fd (SourceChecks.refuseFiles); channels never are files.
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Descriptor;
import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.SourceChecks;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.Waker;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.NioInternals;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;
import io.kwait.spi.Spawner;
import io.kwait.nativeio.spawn.PosixSpawner;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The kwait backend for macOS and the BSDs: {@code kqueue}/{@code kevent} through a
 * {@link KqueueBinding}, with {@code EVFILT_PROC} for process exit and {@code EVFILT_USER} (or a
 * pipe) for wakeups. It serves every {@link Source.Kind} and has every
 * {@linkplain Capability capability}: raw fds, process exit with no thread per process, the bytes
 * readable in {@code data}, and {@link ReadyFlags#EOF} on hang-up.
 *
 * <p>The binding decides the OS: {@link LibCKqueueBinding} (libc through JNR) on macOS/FreeBSD/
 * OpenBSD, chosen by {@link KqueueBackendProvider}; or, on Linux and for tests only, the
 * {@code SimulatedKqueue} (module {@code kqueue-sim}), which follows kqueue(2) on top of epoll and
 * pidfds and reads and writes the same raw structs. Needs the JVM flag
 * {@value NioInternals#ADD_EXPORTS_FLAG} for the fd numbers of JDK channels.
 *
 * <p>Threading follows {@link Backend}: one polling thread at a time; {@link #wakeup()} from any
 * thread, also after {@link #close()}. A blocking {@link #poll} returns when the polling thread is
 * interrupted. Why each odd branch is there: the facts at the top of the source file.
 */
public final class KqueueBackend implements Backend {

    /** Backend name of the real kqueue, used with {@code -Dkwait.backend} and {@code Kernel.open(name)}. */
    public static final String NAME = "kqueue";

    /** System property: {@code pipe} makes every new backend wake through a pipe instead of {@code EVFILT_USER}. */
    public static final String WAKEUP_PROPERTY = "kwait.kqueue.wakeup";

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.RAW_FD, Capability.PROCESS_EXIT, Capability.BYTES_AVAILABLE, Capability.EOF_FLAG));

    /** Changes batched before a standalone flush (fact 3). */
    static final int CHANGE_CAPACITY = 64;
    /** Initial event list: never smaller than the change list, so every change's error has room (fact 4). */
    private static final int INITIAL_EVENTS = 64;
    /** A virtual thread's blocking kevent() lasts at most this long before it yields its carrier (fact 9). */
    static final long VIRTUAL_SLICE_NANOS = 20_000_000L;
    /** udata of our wakeup event and of every EV_DELETE: generation 0 is never an entry's (fact 2). */
    private static final long NO_ENTRY = 0L;

    private final String name;
    private final KqueueBinding sys;
    private final KeventLayout layout;
    private final KqueueConstants k;
    // The constants used on every event, read once.
    private final int evfiltRead, evfiltWrite, evfiltProc;
    private final int evDelete, evAdd, evReceipt, evError, evEof;
    private final int noteExit, noteExitStatus, statusNote;
    private final int eintr, esrch, eacces, epipe, ebadf;

    private final int kq;
    /** EVFILT_USER or a pipe (fact 8). */
    private final Waker waker;

    private Memory changes;
    private int changeCapacity;
    private int nChanges;
    private Memory events;
    private int capacity;
    private final Memory receipts;
    /** Two kevents: a change applied at once (index 0) and its receipt (index 1). */
    private final Memory single;
    private final Memory timespec = new Memory(KeventLayout.TIMESPEC_SIZE);
    private final Memory zeroTimespec = new Memory(KeventLayout.TIMESPEC_SIZE);

    /** Descriptors by tag (udata), fd number and pid; pending exits (fact 7). */
    private final DescriptorTable<Knotes> table;
    /** Descriptors with something to report, in the order first touched; reported by the next poll. */
    private final ArrayList<Knotes> touched = new ArrayList<>();
    /** Incremented when a poll's report starts; a descriptor's findings belong to {@link Knotes#seq}. */
    private int pollSeq = 1;
    private boolean reporting;

    private InterruptHook hook = new InterruptHook();
    private volatile boolean closed;

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
        this.name = Objects.requireNonNull(name, "name");
        this.sys = Objects.requireNonNull(binding, "binding");
        this.table = new DescriptorTable<>(name);
        KqueuePlatform platform = binding.platform();
        this.layout = platform.layout();
        this.k = platform.constants();
        KqueueConstants.Filters f = k.filters();
        KqueueConstants.Flags fl = k.flags();
        this.evfiltRead = f.read();
        this.evfiltWrite = f.write();
        this.evfiltProc = f.proc();
        this.evAdd = fl.add();
        this.evDelete = fl.delete();
        this.evReceipt = fl.receipt();
        this.evError = fl.error();
        this.evEof = fl.eof();
        this.noteExit = k.notes().exit();
        this.noteExitStatus = k.notes().exitStatus();
        this.statusNote = k.exitStatusNote();
        KqueueConstants.Errnos e = k.errnos();
        this.eintr = e.eintr();
        this.esrch = e.esrch();
        this.eacces = e.eacces();
        this.epipe = e.epipe();
        this.ebadf = e.ebadf();

        this.changeCapacity = CHANGE_CAPACITY;
        this.changes = new Memory(changeCapacity * layout.size());
        this.capacity = Math.max(INITIAL_EVENTS, CHANGE_CAPACITY);
        this.events = new Memory(capacity * layout.size());
        this.receipts = new Memory(CHANGE_CAPACITY * layout.size());
        this.single = new Memory(2 * layout.size());

        int q = binding.kqueue();
        if (q < 0) throw new IOException("kqueue() failed: " + describe(binding.errno()));
        this.kq = q;
        Waker w = null;
        try {
            String reason = null;
            if (forcePipe) {
                reason = "-D" + WAKEUP_PROPERTY + "=pipe";
            } else if (!f.userDefined()) {
                reason = k.os() + " has no EVFILT_USER";
            } else {
                try {
                    w = new UserFilterWaker(binding, q);
                } catch (IOException refused) {
                    reason = refused.getMessage();
                }
            }
            if (w == null) w = new PipeWaker(binding, q, reason);
        } catch (IOException | RuntimeException ex) {
            binding.close(q);
            throw ex;
        }
        this.waker = w;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<Capability> capabilities() {
        return PosixSpawner.instanceOrNull() != null ? CAPABILITIES_WITH_SPAWN : CAPABILITIES;
    }

    private static final Set<Capability> CAPABILITIES_WITH_SPAWN = Collections.unmodifiableSet(EnumSet.of(
            Capability.RAW_FD, Capability.PROCESS_EXIT, Capability.BYTES_AVAILABLE, Capability.EOF_FLAG, Capability.SPAWN));

    /**
     * Children by posix_spawn, their pipes watched here like any fd and their exit by EVFILT_PROC
     * (io.kwait.nativeio.spawn; Linux's C library only so far, i.e. under the simulation).
     */
    @Override
    public Spawner spawner() {
        PosixSpawner s = PosixSpawner.instanceOrNull();
        if (s == null) throw new UnsupportedOperationException("no native spawn here: " + PosixSpawner.reason());
        return s;
    }

    /** The OS whose {@code struct kevent} layout and numbers this backend speaks (through its binding). */
    public KqueuePlatform platform() {
        return sys.platform();
    }

    /** Whether wakeups use {@code EVFILT_USER} (false: the pipe). For tests and diagnostics. */
    public boolean wakesThroughUserFilter() {
        return waker instanceof UserFilterWaker;
    }

    // ================================================================ register

    @Override
    public void register(Source source, int interest) throws IOException {
        Objects.requireNonNull(source, "source");
        ensureOpen();
        SourceChecks.checkInterest(source, interest);
        Owner owner = table.ownerOf(source);
        if (owner == null) {
            if (source.kind() == Source.Kind.PROCESS) registerProcess(source, interest);
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
        if (fd == kq || waker.owns(fd)) {
            throw new IllegalArgumentException("fd " + fd + " is this kqueue backend's own "
                    + (fd == kq ? "kqueue fd" : "wakeup pipe") + "; it cannot be waited on");
        }
        SourceChecks.refuseFiles(source, fd); // fact 13: refused at the call, as on epoll
        Knotes e = table.atFd(fd);
        if (e != null) {
            table.forgetClosedChannels(e, this::forget); // fact 5; forgetting the last owner removes the descriptor
            e = table.atFd(fd);
        }
        boolean fresh = e == null;
        if (fresh) {
            e = new Knotes(fd, -1, false);
            e.noByteCount = source.channel() instanceof ServerSocketChannel; // fact 6: data is the backlog there
            table.add(e);
        }
        table.attach(source, interest, e);
        // A new owner of a live descriptor re-sends EV_ADD: the number may name a new file by now (fact 5).
        sync(e, !fresh);
    }

    private void registerProcess(Source source, int interest) throws IOException {
        long pid = source.pid();
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("not a process id: " + pid);
        Knotes existing = table.atPid(pid);
        if (existing != null) { // one knote per pid and kqueue: a second source shares it
            table.attach(source, interest, existing);
            return;
        }
        Knotes e = new Knotes(-1, pid, true);
        table.add(e);
        int err = applyNow(pid, evfiltProc, evAdd, noteExit | noteExitStatus, e.tag());
        if (err == eacces && noteExitStatus != 0) {
            // Fact 7: macOS grants NOTE_EXITSTATUS to the parent only (or whoever may signal it).
            err = applyNow(pid, evfiltProc, evAdd, noteExit, e.tag());
        }
        if (err == 0) {
            e.added = Interest.EXIT;
            table.attach(source, interest, e);
        } else {
            table.remove(e);
            if (err != esrch) {
                throw new IOException("kevent(EVFILT_PROC, NOTE_EXIT) for process " + pid + " failed: " + describe(err));
            }
            table.addPendingExit(source, interest); // fact 7: gone already (or a zombie on macOS/OpenBSD)
        }
    }

    // ================================================================ deregister

    @Override
    public void deregister(Source source) {
        if (source == null || closed) return;
        Owner owner = table.ownerOrNull(source);
        if (owner != null) forget(owner);
    }

    /** Drops every trace of an owner, and the descriptor's knotes when it was the last owner. */
    private void forget(Owner owner) {
        Knotes e = table.release(owner);
        if (e == null) return;
        if (e.ownerCount() > 0) {
            if (!e.process) syncQuietly(e);
            return;
        }
        if (!owner.isClosedChannel()) { // fact 5: a closed channel's knotes went with it, nothing left to delete
            for (int bit = Interest.READ; bit <= Interest.EXIT; bit <<= 1) {
                if ((e.added & bit) != 0) queueQuietly(e.ident(), filterOf(bit), evDelete, 0, NO_ENTRY);
            }
        }
        e.added = 0;
        table.remove(e);
    }

    // ================================================================ changes

    /** Brings the entry's knotes in line with its owners' interest; {@code force} re-sends EV_ADD for every wanted filter. */
    private void sync(Knotes e, boolean force) throws IOException {
        int want = e.interest() & (Interest.READ | Interest.WRITE);
        for (int bit = Interest.READ; bit <= Interest.WRITE; bit <<= 1) {
            boolean on = (want & bit) != 0;
            boolean was = (e.added & bit) != 0;
            if (on && (force || !was)) queue(e.ident(), filterOf(bit), evAdd, 0, e.tag());
            else if (!on && was) queue(e.ident(), filterOf(bit), evDelete, 0, NO_ENTRY);
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

    private int filterOf(int bit) {
        return switch (bit) {
            case Interest.READ -> evfiltRead;
            case Interest.WRITE -> evfiltWrite;
            default -> evfiltProc;
        };
    }

    private void queue(long ident, int filter, int flags, int fflags, long udata) throws IOException {
        if (nChanges == changeCapacity) {
            if (reporting) { // fact 3: grow instead of starting a kevent() in the middle of a report
                changeCapacity *= 2;
                Memory bigger = new Memory(changeCapacity * layout.size());
                bigger.bytes.put(0, changes.bytes, 0, nChanges * layout.size());
                changes = bigger;
            } else {
                flushChanges();
            }
        }
        layout.put(changes.bytes, nChanges++, ident, filter, flags, fflags, 0, udata);
    }

    private void queueQuietly(long ident, int filter, int flags, int fflags, long udata) {
        try {
            queue(ident, filter, flags, fflags, udata);
        } catch (IOException ignored) {
            // a failed standalone flush: the delete is lost, and with it nothing a poll could report
        }
    }

    /** Fact 3/4: applies the queued changes on their own, with EV_RECEIPT, and files their errors. */
    private void flushChanges() throws IOException {
        int n = nChanges;
        ByteBuffer b = changes.bytes;
        for (int i = 0; i < n; i++) layout.setFlags(b, i, layout.flags(b, i) | evReceipt);
        int m = sys.kevent(kq, changes.address, n, receipts.address, n, zeroTimespec.address);
        nChanges = 0;
        if (m < 0) {
            throw new IOException("kevent() applying " + n + " changes failed: " + describe(sys.errno()));
        }
        collect(receipts.bytes, m);
    }

    /**
     * Applies one change at once with EV_RECEIPT and returns its errno (0: done). The batched
     * changes are not involved: they concern other idents or filters, and order between different
     * knotes does not matter.
     */
    private int applyNow(long ident, int filter, int flags, int fflags, long udata) throws IOException {
        ByteBuffer b = single.bytes;
        layout.put(b, 0, ident, filter, flags | evReceipt, fflags, 0, udata);
        layout.put(b, 1, 0, 0, 0, 0, 0, 0);
        int n = sys.kevent(kq, single.address, 1, single.address + layout.size(), 1, zeroTimespec.address);
        if (n < 0) return sys.errno(); // no room cannot be the cause: the change itself failed
        if (n == 1 && (layout.flags(b, 1) & evError) != 0) return (int) layout.data(b, 1);
        return 0; // no receipt: an OS that ignores EV_RECEIPT reports only failures
    }

    // ================================================================ poll

    @Override
    public int poll(long timeoutNanos, ReadySink sink) throws IOException {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        try {
            boolean mayBlock = timeoutNanos != 0 && touched.isEmpty() && !table.hasPendingExitToReport() && !waker.isPending();
            int needed = 2 * table.size() + nChanges + 1; // fact 12
            if (capacity < needed) growEvents(needed);
            int n = keventWait(mayBlock ? timeoutNanos : 0);
            collect(events.bytes, n);
            while (n == capacity) { // fact 12: more than we expected; look again, in a bigger list
                growEvents(capacity * 2);
                n = keventWait(0);
                collect(events.bytes, n);
            }
            return report(sink);
        } finally {
            waker.clear(); // fact 8: the triggered event stays in the kernel until a poll takes it
        }
    }

    /** One kevent() with the batched changes and a wait of at most {@code timeoutNanos} (fact 9). */
    private int keventWait(long timeoutNanos) throws IOException {
        int nch = nChanges;
        if (capacity < nch) growEvents(nch); // fact 4: room for an error per change (the list grew during a report)
        boolean blocking = timeoutNanos != 0;
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        boolean sliced = blocking && Thread.currentThread().isVirtual()
                && (timeoutNanos < 0 || timeoutNanos > VIRTUAL_SLICE_NANOS);
        if (blocking) hook.enter();
        try {
            int n = sys.kevent(kq, changes.address, nch, events.address, capacity,
                    timespecFor(sliced ? VIRTUAL_SLICE_NANOS : timeoutNanos));
            nChanges = 0; // applied, also on EINTR (fact 9); on any other failure the message says they are lost
            while (true) {
                if (n < 0) {
                    int err = sys.errno();
                    if (err != eintr) {
                        throw new IOException("kevent() failed: " + describe(err)
                                + (nch > 0 ? "; " + nch + " queued registration changes are lost" : ""));
                    }
                } else if (n > 0 || !sliced) {
                    return n; // events, or the timeout passed
                }
                long left = timeoutNanos < 0 ? -1 : deadline - System.nanoTime();
                if (timeoutNanos >= 0 && left <= 0) return 0;
                if (n == 0) Thread.yield(); // a slice found nothing: let other virtual threads have the carrier
                long wait = !sliced ? left : left < 0 ? VIRTUAL_SLICE_NANOS : Math.min(left, VIRTUAL_SLICE_NANOS);
                n = sys.kevent(kq, 0L, 0, events.address, capacity, timespecFor(wait));
            }
        } finally {
            if (blocking && hook.leave()) hook = new InterruptHook(); // an interrupt spends the hook
        }
    }

    private void growEvents(int atLeast) {
        capacity = Math.max(atLeast, capacity * 2);
        events = new Memory(capacity * layout.size());
    }

    private long timespecFor(long timeoutNanos) {
        if (timeoutNanos < 0) return 0L; // NULL: no limit
        if (timeoutNanos == 0) return zeroTimespec.address;
        KeventLayout.putTimespec(timespec.bytes, 0, timeoutNanos);
        return timespec.address;
    }

    /** Decodes {@code n} returned kevents into their entries' accumulators (no sink calls here). */
    private void collect(ByteBuffer b, int n) {
        for (int i = 0; i < n; i++) {
            int filter = layout.filter(b, i);
            int flags = layout.flags(b, i);
            long udata = layout.udata(b, i);
            long data = layout.data(b, i);
            if ((flags & evError) != 0) {
                if (data != 0) onChangeError(filter, layout.ident(b, i), udata, (int) data);
                continue; // data 0: a receipt of a change that worked
            }
            if (udata == NO_ENTRY) { // our wakeup (fact 8)
                waker.drain();
                continue;
            }
            Knotes e = table.atTag(udata);
            if (e == null) continue; // fact 2: stale
            touch(e);
            int fflags = layout.fflags(b, i);
            if (filter == evfiltProc) {
                if ((fflags & noteExit) != 0 || (flags & evEof) != 0) {
                    e.exited = true;
                    e.statusKnown = (fflags & statusNote) != 0;
                    e.exitData = data;
                }
            } else {
                int bit = filter == evfiltRead ? Interest.READ : filter == evfiltWrite ? Interest.WRITE : 0;
                if (bit == 0) continue;
                e.ready |= bit;
                if ((flags & evEof) != 0) {
                    e.eofBits |= bit;
                    if (fflags != 0 && e.error == null) {
                        e.error = new IOException("fd " + e.fd + ": socket error " + describe(fflags)
                                + " (kevent EV_EOF); the next read, write or finishConnect() reports it too");
                    }
                }
                if (bit == Interest.READ) e.bytes = Math.max(0, data);
            }
        }
    }

    /** Fact 4: a failed change; only an entry's EV_ADD matters. */
    private void onChangeError(int filter, long ident, long udata, int errno) {
        if (udata == NO_ENTRY) return; // EV_DELETE: the knote is gone already
        Knotes e = table.atTag(udata);
        if (e == null) return; // stale: the descriptor was forgotten since the change was queued
        if (errno == epipe && !e.process) return; // old macOS, see fact 4
        int bit = filter == evfiltRead ? Interest.READ : filter == evfiltWrite ? Interest.WRITE : Interest.EXIT;
        e.added &= ~bit;
        touch(e);
        if (e.error == null) {
            String what = filter == evfiltRead ? "EVFILT_READ" : filter == evfiltWrite ? "EVFILT_WRITE" : "filter " + filter;
            e.error = new IOException("kevent(EV_ADD, " + what + ") for fd " + ident + " failed: " + describe(errno)
                    + (errno == ebadf ? "; the fd is not open (closed, or never opened)" : ""));
            e.errorIsBadFd = errno == ebadf;
        }
    }

    private void touch(Knotes e) {
        if (e.seq == pollSeq) return;
        e.seq = pollSeq;
        e.ready = 0;
        e.eofBits = 0;
        e.bytes = 0;
        e.error = null;
        e.errorIsBadFd = false;
        e.exited = false;
        touched.add(e);
    }

    /** Reports what {@link #collect} gathered, one call per source; the sink may register and deregister meanwhile. */
    private int report(ReadySink sink) {
        int reported = 0;
        Knotes[] list = touched.toArray(new Knotes[0]);
        touched.clear();
        pollSeq++; // what the sink's own changes produce belongs to the next poll
        reporting = true;
        try {
            if (table.hasPendingExits()) reported += reportPendingExits(sink);
            for (Knotes e : list) {
                reported += e.process ? reportExit(e, sink) : reportFd(e, sink);
            }
        } finally {
            reporting = false;
        }
        return reported;
    }

    private int reportPendingExits(ReadySink sink) {
        int reported = 0;
        for (Owner owner : table.pendingExitsToReport()) {
            if (!owner.isPendingExit()) continue; // forgotten by the sink meanwhile
            forget(owner);
            reported++;
            sink.ready(owner.source(), Interest.EXIT, 0, 0, null);
        }
        return reported;
    }

    private int reportExit(Knotes e, ReadySink sink) {
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
            forget(owner);
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

    private int reportFd(Knotes e, ReadySink sink) {
        int reported = 0;
        for (Owner owner : e.snapshot()) { // the sink may register and deregister meanwhile
            if (owner.descriptor() != e) continue;
            Source source = owner.source();
            SelectableChannel channel = source.channel();
            if (owner.isClosedChannel()) {
                forget(owner);
                reported++;
                sink.ready(source, Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0, new ClosedChannelException());
                continue;
            }
            if (e.error != null) {
                reported++;
                Throwable cause = e.error;
                if (e.errorIsBadFd && channel != null) {
                    ClosedChannelException c = new ClosedChannelException();
                    c.initCause(e.error);
                    cause = c;
                }
                int eof = e.eofBits != 0 ? ReadyFlags.EOF : 0;
                sink.ready(source, Interest.READ | Interest.WRITE, ReadyFlags.ERROR | eof, 0, cause);
                continue;
            }
            int ready = e.ready & owner.interest();
            if (ready == 0) continue;
            int readFlags = (e.eofBits & Interest.READ) != 0 ? ReadyFlags.EOF : 0;
            int writeFlags = (e.eofBits & Interest.WRITE) != 0 ? ReadyFlags.EOF : 0;
            long data = (ready & Interest.READ) != 0 && !e.noByteCount ? e.bytes : 0;
            reported += owner.report(sink, ready, readFlags, writeFlags, data); // fact 6: each filter its own data and flags
        }
        return reported;
    }

    // ================================================================ wakeup, lifecycle

    @Override
    public void wakeup() {
        waker.wake();
    }

    @Override
    public int registrationCount() {
        return closed ? 0 : table.count(this::forget); // table fact 3: closed channels are not held
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        waker.close();
        table.clear();
        touched.clear();
        nChanges = 0;
        sys.close(kq); // removes every knote
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the " + name + " backend is closed");
    }

    private String describe(int errno) {
        return sys.strerror(errno) + " (errno " + errno + ")";
    }

    @Override
    public String toString() {
        return "KqueueBackend[" + name + ", " + sys.describe() + ", "
                + (closed ? "closed" : "kq " + kq + ", " + table.size() + " registered, wakeup by "
                + waker) + "]";
    }

    // ================================================================ descriptors

    /** The knotes of one watched object (an fd number or a pid), and what the current poll learned of them. */
    private static final class Knotes extends Descriptor {
        /** Interest bits whose knote the kernel holds, as far as we know. */
        int added;

        // What the current poll learned (valid while seq == pollSeq).
        int seq;
        int ready;
        int eofBits;
        long bytes;
        Throwable error;
        boolean errorIsBadFd;
        boolean exited;
        boolean statusKnown;
        long exitData;

        Knotes(int fd, long pid, boolean process) {
            super(fd, pid, process);
        }
    }

    /**
     * Fact 9: turns {@link Thread#interrupt()} of the polling thread into {@link #wakeup()}. The JDK
     * calls {@link #implCloseChannel()} from the interrupting thread while the poller is between
     * {@link #enter()} and {@link #leave()}, or at once in {@code enter()} if the flag is already
     * set. A hook serves one interrupt (it counts as closed afterwards); the poll then makes a new one.
     */
    private final class InterruptHook extends AbstractInterruptibleChannel {
        void enter() {
            begin();
        }

        /** Whether an interrupt used this hook up; the interrupt flag stays set for the caller. */
        boolean leave() {
            try {
                end(true);
                return !isOpen();
            } catch (AsynchronousCloseException interrupted) { // ClosedByInterruptException
                return true;
            }
        }

        @Override
        protected void implCloseChannel() {
            wakeup();
        }
    }
}
