/*
 * Facts about kqueue (macOS, FreeBSD, OpenBSD) that shape this file. Sources: the kqueue(2) man
 * pages of FreeBSD and macOS, sys/event.h and kern/kern_event.c of FreeBSD, xnu and OpenBSD; the
 * JDK's sun.nio.ch sources; native-facts.md §1, §4, §5 in the project's research notes.
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
 *    watched object is an Entry in a slot table, and udata is (generation << 32 | slot). A slot
 *    gets a new generation whenever it is reused, so an event or a change error still in flight
 *    for an entry that was forgotten (fd closed and its number reused, process deregistered) finds
 *    another generation in the slot and is dropped instead of reaching the new owner (the Go
 *    netpoller's sequence tag). udata 0 (generation 0, never an entry's) marks our own wakeup
 *    event and every EV_DELETE.
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
 *    separate kevents; they are merged into one report per source and poll. EV_EOF is ReadyFlags.EOF on
 *    the filter it came with; EV_EOF with a non-zero fflags is a socket error (fflags = its errno):
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
 * 8. Wakeup: EVFILT_USER with EV_CLEAR, triggered by kevent(NOTE_TRIGGER) from any thread. Where
 *    the headers lack it, or the kernel refuses the EV_ADD probe at open (OpenBSD before EVFILT_USER,
 *    or kwait.kqueue.wakeup=pipe for tests), a non-blocking pipe in the kqueue takes its place.
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
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.NativeSources;
import io.kwait.nativeio.NativeBuffer;
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
import java.util.HashMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The kwait backend for macOS and the BSDs: {@code kqueue}/{@code kevent} through a
 * {@link KqueueBinding}, with {@code EVFILT_PROC} for process exit and {@code EVFILT_USER} (or a
 * pipe) for wakeups. It serves every {@link Source.Kind} and has every
 * {@linkplain Capability capability}: raw fds, process exit with no thread per process, the bytes
 * readable in {@code data}, and {@link ReadyFlags#EOF} on hang-up.
 *
 * <p>The binding decides the OS: {@link NativeKqueueBinding} (libc through JNR) on macOS/FreeBSD/
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
    private static final int MAX_EVENTS = 4096;
    /** A virtual thread's blocking kevent() lasts at most this long before it yields its carrier (fact 9). */
    static final long VIRTUAL_SLICE_NANOS = 20_000_000L;
    /** udata of our wakeup event and of every EV_DELETE: generation 0 is never an entry's (fact 2). */
    private static final long NO_ENTRY = 0L;
    /** ident of the EVFILT_USER wakeup event (idents of EVFILT_USER are ours to choose). */
    private static final long WAKE_IDENT = 1L;

    private final String name;
    private final KqueueBinding sys;
    private final KeventLayout layout;
    private final KqueueConstants k;
    // The constants used on every event, read once.
    private final int evfiltRead, evfiltWrite, evfiltProc, evfiltUser;
    private final int evAdd, evDelete, evClear, evReceipt, evError, evEof;
    private final int noteExit, noteExitStatus, statusNote;
    private final int eintr, esrch, eacces, epipe, ebadf;

    private final int kq;
    /** Whether wakeups are EVFILT_USER triggers; otherwise bytes in {@link #wakeRead}'s pipe. */
    private final boolean userWakeup;
    private final int wakeRead, wakeWrite;
    /** Why the pipe is used, for toString; null with EVFILT_USER. */
    private final String pipeReason;

    private NativeBuffer changes;
    private int changeCapacity;
    private int nChanges;
    private NativeBuffer events;
    private int capacity;
    private final NativeBuffer receipts;
    /** Two kevents: a change applied at once (index 0) and its receipt (index 1). */
    private final NativeBuffer single;
    private final NativeBuffer timespec = new NativeBuffer(KeventLayout.TIMESPEC_SIZE);
    private final NativeBuffer zeroTimespec = new NativeBuffer(KeventLayout.TIMESPEC_SIZE);
    /** The NOTE_TRIGGER kevent, or the byte written to the pipe; written once, read by any thread. */
    private final NativeBuffer trigger;
    /** Poll thread only: draining the wakeup pipe. */
    private final NativeBuffer drain = new NativeBuffer(64);

    /** Entries by slot; udata = generation << 32 | slot. */
    private Entry[] slots = new Entry[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int usedSlots = 1; // slot 0 stays empty: udata 0 is NO_ENTRY
    private int nextGeneration = 1;
    /** fd entries by fd number. */
    private Entry[] byFd = new Entry[64];
    /** Process entries by pid. */
    private final HashMap<Long, Entry> byPid = new HashMap<>();
    private int registrations;
    /** Process sources that answered ESRCH: exited, reported by the next poll (fact 7). */
    private final ArrayList<Registration> pendingExits = new ArrayList<>();
    /** Entries with something to report, in the order first touched; reported by the next poll. */
    private final ArrayList<Entry> touched = new ArrayList<>();
    /** Incremented when a poll's report starts; an entry's accumulators belong to {@link Entry#seq}. */
    private int pollSeq = 1;
    private boolean reporting;

    private InterruptHook hook = new InterruptHook();
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Object wakeLock = new Object();
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
        KqueuePlatform platform = binding.platform();
        this.layout = platform.layout();
        this.k = platform.constants();
        KqueueConstants.Filters f = k.filters();
        KqueueConstants.Flags fl = k.flags();
        this.evfiltRead = f.read();
        this.evfiltWrite = f.write();
        this.evfiltProc = f.proc();
        this.evfiltUser = f.user();
        this.evAdd = fl.add();
        this.evDelete = fl.delete();
        this.evClear = fl.clear();
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
        this.changes = new NativeBuffer(changeCapacity * layout.size());
        this.capacity = Math.max(INITIAL_EVENTS, CHANGE_CAPACITY);
        this.events = new NativeBuffer(capacity * layout.size());
        this.receipts = new NativeBuffer(CHANGE_CAPACITY * layout.size());
        this.single = new NativeBuffer(2 * layout.size());

        int q = binding.kqueue();
        if (q < 0) throw new IOException("kqueue() failed: " + describe(binding.errno()));
        this.kq = q;
        String reason = null;
        int rd = -1, wr = -1;
        try {
            if (forcePipe) {
                reason = "-D" + WAKEUP_PROPERTY + "=pipe";
            } else if (!f.userDefined()) {
                reason = k.os() + " has no EVFILT_USER";
            } else {
                int err = applyNow(WAKE_IDENT, evfiltUser, evAdd | evClear, 0, NO_ENTRY);
                if (err != 0) reason = "the kernel refused EVFILT_USER: " + describe(err);
            }
            if (reason == null) {
                this.trigger = new NativeBuffer(layout.size());
                layout.put(trigger.bytes, 0, WAKE_IDENT, evfiltUser, 0, k.notes().trigger(), 0, NO_ENTRY);
            } else {
                int[] fds = openWakeupPipe();
                rd = fds[0];
                wr = fds[1];
                int err = applyNow(rd, evfiltRead, evAdd, 0, NO_ENTRY);
                if (err != 0) throw new IOException("adding the wakeup pipe to the kqueue failed: " + describe(err));
                this.trigger = new NativeBuffer(1);
                trigger.bytes.put(0, (byte) 1);
            }
        } catch (IOException | RuntimeException ex) {
            if (rd >= 0) binding.close(rd);
            if (wr >= 0) binding.close(wr);
            binding.close(q);
            throw ex;
        }
        this.userWakeup = reason == null;
        this.pipeReason = reason;
        this.wakeRead = rd;
        this.wakeWrite = wr;
    }

    /** A pipe, both ends non-blocking and close-on-exec (pipe2 is not on macOS: pipe, then fcntl). */
    private int[] openWakeupPipe() throws IOException {
        int[] fds = new int[2];
        if (sys.pipe(fds) < 0) throw new IOException("pipe() for the wakeup failed: " + describe(sys.errno()));
        KqueueConstants.Fcntl c = k.fcntl();
        for (int fd : fds) {
            int fl = sys.fcntl(fd, c.getfl(), 0);
            if (fl < 0 || sys.fcntl(fd, c.setfl(), fl | c.oNonblock()) < 0 || sys.fcntl(fd, c.setfd(), c.fdCloexec()) < 0) {
                int err = sys.errno();
                sys.close(fds[0]);
                sys.close(fds[1]);
                throw new IOException("setting up the wakeup pipe failed (fcntl): " + describe(err));
            }
        }
        return fds;
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
        if (s == null) throw new UnsupportedOperationException("no native spawn here: " + PosixSpawner.problem());
        return s;
    }

    /** The OS whose {@code struct kevent} layout and numbers this backend speaks (through its binding). */
    public KqueuePlatform platform() {
        return sys.platform();
    }

    /** Whether wakeups use {@code EVFILT_USER} (false: the pipe). For tests and diagnostics. */
    public boolean wakesThroughUserFilter() {
        return userWakeup;
    }

    // ================================================================ register

    @Override
    public void register(Source source, int interest) throws IOException {
        Objects.requireNonNull(source, "source");
        ensureOpen();
        NativeSources.checkInterest(source, interest);
        Registration reg = registrationOf(source);
        if (reg == null) {
            if (source.kind() == Source.Kind.PROCESS) registerProcess(source, interest);
            else registerFd(source, interest);
            return;
        }
        if (reg.interest == interest) return; // no change, no work
        if (reg.pendingExit || (reg.entry != null && reg.entry.process)) {
            reg.interest = interest; // the knote stays; reports are filtered by interest
            return;
        }
        SelectableChannel channel = source.channel();
        if (channel != null && !channel.isOpen()) {
            forget(reg); // fact 5: its knotes went with the fd
            throw new ClosedChannelException();
        }
        if (reg.entry == null) { // cannot happen while the state is ours; start over rather than guess
            forget(reg);
            register(source, interest);
            return;
        }
        reg.interest = interest;
        sync(reg.entry, false);
    }

    private Registration registrationOf(Source source) {
        Object state = source.backendState();
        if (state == null) return null;
        if (!(state instanceof Registration reg) || reg.backend != this) {
            throw new IllegalStateException(source + " carries state of another backend (" + state
                    + "); the core must use one Source per object and kernel");
        }
        return reg;
    }

    private void registerFd(Source source, int interest) throws IOException {
        int fd = NativeSources.fdToWatch(source, interest);
        if (fd == kq || fd == wakeRead || fd == wakeWrite) {
            throw new IllegalArgumentException("fd " + fd + " is this kqueue backend's own "
                    + (fd == kq ? "kqueue fd" : "wakeup pipe") + "; it cannot be waited on");
        }
        Entry e = fd < byFd.length ? byFd[fd] : null;
        if (e != null) {
            forgetClosedChannels(e); // fact 5; forgetting the last owner removes the entry
            e = fd < byFd.length ? byFd[fd] : null;
        }
        Registration reg = new Registration(this, source, interest);
        boolean fresh = e == null;
        if (fresh) {
            e = newEntry(false, fd);
            e.noByteCount = source.channel() instanceof ServerSocketChannel; // fact 6: data is the backlog there
            if (fd >= byFd.length) byFd = Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length * 2));
            byFd[fd] = e;
        }
        e.attach(reg);
        source.setBackendState(reg);
        registrations++;
        // A new owner of a live entry re-sends EV_ADD: the number may name a new file by now (fact 5).
        sync(e, !fresh);
    }

    private void forgetClosedChannels(Entry e) {
        for (int i = e.ownerCount - 1; i >= 0; i--) {
            SelectableChannel ch = e.owners[i].source.channel();
            if (ch != null && !ch.isOpen()) forget(e.owners[i]);
        }
    }

    private void registerProcess(Source source, int interest) throws IOException {
        long pid = source.pid();
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("not a process id: " + pid);
        Registration reg = new Registration(this, source, interest);
        Entry existing = byPid.get(pid);
        if (existing != null) { // one knote per pid and kqueue: a second source shares it
            existing.attach(reg);
            source.setBackendState(reg);
            registrations++;
            return;
        }
        Entry e = newEntry(true, pid);
        int err = applyNow(pid, evfiltProc, evAdd, noteExit | noteExitStatus, e.tag);
        if (err == eacces && noteExitStatus != 0) {
            // Fact 7: macOS grants NOTE_EXITSTATUS to the parent only (or whoever may signal it).
            err = applyNow(pid, evfiltProc, evAdd, noteExit, e.tag);
        }
        if (err == 0) {
            e.added = Interest.EXIT;
            byPid.put(pid, e);
            e.attach(reg);
        } else {
            freeEntry(e);
            if (err != esrch) {
                throw new IOException("kevent(EVFILT_PROC, NOTE_EXIT) for process " + pid + " failed: " + describe(err));
            }
            reg.pendingExit = true; // fact 7: gone already (or a zombie on macOS/OpenBSD)
            pendingExits.add(reg);
        }
        source.setBackendState(reg);
        registrations++;
    }

    // ================================================================ deregister

    @Override
    public void deregister(Source source) {
        if (source == null || closed) return;
        if (!(source.backendState() instanceof Registration reg) || reg.backend != this) return;
        forget(reg);
    }

    /** Drops every trace of a registration, and the entry's knotes when it was the last owner. */
    private void forget(Registration reg) {
        if (reg.source.backendState() == reg) reg.source.setBackendState(null);
        registrations--;
        if (reg.pendingExit) {
            pendingExits.remove(reg);
            reg.pendingExit = false;
            return;
        }
        Entry e = reg.entry;
        if (e == null) return;
        e.detach(reg);
        if (e.ownerCount > 0) {
            if (!e.process) syncQuietly(e);
            return;
        }
        SelectableChannel ch = reg.source.channel();
        boolean fdGone = ch != null && !ch.isOpen(); // fact 5: nothing left to delete
        if (!fdGone) {
            for (int bit = Interest.READ; bit <= Interest.EXIT; bit <<= 1) {
                if ((e.added & bit) != 0) queueQuietly(e.ident, filterOf(bit), evDelete, 0, NO_ENTRY);
            }
        }
        e.added = 0;
        removeEntry(e);
    }

    // ================================================================ changes

    /** Brings the entry's knotes in line with its owners' interest; {@code force} re-sends EV_ADD for every wanted filter. */
    private void sync(Entry e, boolean force) throws IOException {
        int want = e.interest() & (Interest.READ | Interest.WRITE);
        for (int bit = Interest.READ; bit <= Interest.WRITE; bit <<= 1) {
            boolean on = (want & bit) != 0;
            boolean was = (e.added & bit) != 0;
            if (on && (force || !was)) queue(e.ident, filterOf(bit), evAdd, 0, e.tag);
            else if (!on && was) queue(e.ident, filterOf(bit), evDelete, 0, NO_ENTRY);
        }
        e.added = (e.added & ~(Interest.READ | Interest.WRITE)) | want;
    }

    private void syncQuietly(Entry e) {
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
                NativeBuffer bigger = new NativeBuffer(changeCapacity * layout.size());
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
            boolean mayBlock = timeoutNanos != 0 && touched.isEmpty() && !hasPendingExitToReport() && !wakePending.get();
            int n = keventWait(mayBlock ? timeoutNanos : 0);
            collect(events.bytes, n);
            int reported = report(sink);
            if (n == capacity && capacity < MAX_EVENTS) {
                // More may be ready than fit; level-triggered, they come with the next poll, in a bigger list.
                capacity = Math.min(MAX_EVENTS, capacity * 2);
                events = new NativeBuffer(capacity * layout.size());
            }
            return reported;
        } finally {
            // getAndSet, not set: orders this poll after the wakeup() whose flag it clears (fact 8).
            wakePending.getAndSet(false);
        }
    }

    /** One kevent() with the batched changes and a wait of at most {@code timeoutNanos} (fact 9). */
    private int keventWait(long timeoutNanos) throws IOException {
        int nch = nChanges;
        if (capacity < nch) { // fact 4: room for an error per change (the list grew during a report)
            capacity = Math.max(nch, Math.min(capacity * 2, MAX_EVENTS));
            events = new NativeBuffer(capacity * layout.size());
        }
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

    private long timespecFor(long timeoutNanos) {
        if (timeoutNanos < 0) return 0L; // NULL: no limit
        if (timeoutNanos == 0) return zeroTimespec.address;
        KeventLayout.putTimespec(timespec.bytes, 0, timeoutNanos);
        return timespec.address;
    }

    private boolean hasPendingExitToReport() {
        for (int i = 0; i < pendingExits.size(); i++) {
            if ((pendingExits.get(i).interest & Interest.EXIT) != 0) return true;
        }
        return false;
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
                if (!userWakeup) drainWakeupPipe();
                continue;
            }
            Entry e = entryOf(udata);
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
                        e.error = new IOException("fd " + e.ident + ": socket error " + describe(fflags)
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
        Entry e = entryOf(udata);
        if (e == null) return; // stale: the entry was forgotten since the change was queued
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

    private void touch(Entry e) {
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

    private void drainWakeupPipe() {
        while (sys.read(wakeRead, drain.address, drain.size()) > 0) {
            // empty it: a wakeup is a wakeup, however many bytes it took
        }
    }

    /** Reports what {@link #collect} gathered, one call per source; the sink may register and deregister meanwhile. */
    private int report(ReadySink sink) {
        int reported = 0;
        Entry[] list = touched.toArray(new Entry[0]);
        touched.clear();
        pollSeq++; // what the sink's own changes produce belongs to the next poll
        reporting = true;
        try {
            if (!pendingExits.isEmpty()) reported += reportPendingExits(sink);
            for (Entry e : list) {
                reported += e.process ? reportExit(e, sink) : reportFd(e, sink);
            }
        } finally {
            reporting = false;
        }
        return reported;
    }

    private int reportPendingExits(ReadySink sink) {
        int reported = 0;
        for (Registration reg : new ArrayList<>(pendingExits)) {
            if ((reg.interest & Interest.EXIT) == 0 || !reg.pendingExit) continue;
            forget(reg);
            reported++;
            sink.ready(reg.source, Interest.EXIT, 0, 0, null);
        }
        return reported;
    }

    private int reportExit(Entry e, ReadySink sink) {
        if (!e.exited || slots[e.slot] != e) return 0;
        int flags = 0;
        long data = 0;
        if (e.statusKnown) {
            long code = exitCode(e.exitData);
            if (code >= 0) {
                flags = ReadyFlags.EXIT_STATUS;
                data = code;
            }
        }
        Registration[] owners = Arrays.copyOf(e.owners, e.ownerCount);
        e.added = 0; // the kernel dropped the knote with the exit (EV_ONESHOT): nothing to delete
        int reported = 0;
        for (Registration reg : owners) {
            if (reg.entry != e) continue;
            forget(reg);
            if ((reg.interest & Interest.EXIT) == 0) continue;
            reported++;
            sink.ready(reg.source, Interest.EXIT, flags, data, null);
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

    private int reportFd(Entry e, ReadySink sink) {
        int reported = 0;
        // With one owner (the common case) no copy is made; the sink may change the owners meanwhile.
        Registration only = e.ownerCount == 1 ? e.owners[0] : null;
        Registration[] owners = only != null || e.ownerCount == 0 ? null : Arrays.copyOf(e.owners, e.ownerCount);
        int count = only != null ? 1 : owners == null ? 0 : owners.length;
        for (int i = 0; i < count; i++) {
            Registration reg = only != null ? only : owners[i];
            if (reg.entry != e) continue;
            Source source = reg.source;
            SelectableChannel channel = source.channel();
            if (channel != null && !channel.isOpen()) {
                forget(reg);
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
            int ready = e.ready & reg.interest;
            if (ready == 0) continue;
            int flags = (e.eofBits & ready) != 0 ? ReadyFlags.EOF : 0;
            long data = (ready & Interest.READ) != 0 && !e.noByteCount ? e.bytes : 0;
            reported++;
            sink.ready(source, ready, flags, data, null);
        }
        return reported;
    }

    // ================================================================ wakeup, lifecycle

    @Override
    public void wakeup() {
        if (closed || !wakePending.compareAndSet(false, true)) return;
        synchronized (wakeLock) {
            if (closed) return;
            if (userWakeup) sys.kevent(kq, trigger.address, 1, 0L, 0, 0L);
            else sys.write(wakeWrite, trigger.address, 1); // EAGAIN: full, so a wakeup is pending anyway
        }
    }

    @Override
    public int registrationCount() {
        return closed ? 0 : registrations;
    }

    @Override
    public void close() {
        if (closed) return;
        synchronized (wakeLock) {
            closed = true;
        }
        for (Entry e : slots) {
            if (e == null) continue;
            for (int i = 0; i < e.ownerCount; i++) {
                Registration r = e.owners[i];
                r.entry = null;
                if (r.source.backendState() == r) r.source.setBackendState(null);
            }
        }
        for (Registration r : pendingExits) {
            if (r.source.backendState() == r) r.source.setBackendState(null);
        }
        pendingExits.clear();
        touched.clear();
        slots = new Entry[0];
        byFd = new Entry[0];
        byPid.clear();
        registrations = 0;
        nChanges = 0;
        sys.close(kq); // removes every knote
        if (wakeRead >= 0) sys.close(wakeRead);
        if (wakeWrite >= 0) sys.close(wakeWrite);
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
                + (closed ? "closed" : "kq " + kq + ", " + registrations + " registered, wakeup by "
                + (userWakeup ? "EVFILT_USER" : "pipe (" + pipeReason + ")")) + "]";
    }

    // ================================================================ bookkeeping

    private Entry newEntry(boolean process, long ident) {
        int slot;
        if (freeCount > 0) {
            slot = freeSlots[--freeCount];
        } else {
            if (usedSlots == slots.length) slots = Arrays.copyOf(slots, slots.length * 2);
            slot = usedSlots++;
        }
        int gen = nextGeneration++;
        if (nextGeneration == 0) nextGeneration = 1; // 0 belongs to NO_ENTRY
        Entry e = new Entry(process, ident, slot, ((long) gen << 32) | slot);
        slots[slot] = e;
        return e;
    }

    /** Frees an entry's slot; its tag matches nothing from now on. */
    private void freeEntry(Entry e) {
        if (e.slot < slots.length && slots[e.slot] == e) {
            slots[e.slot] = null;
            if (freeCount == freeSlots.length) freeSlots = Arrays.copyOf(freeSlots, freeSlots.length * 2);
            freeSlots[freeCount++] = e.slot;
        }
    }

    private void removeEntry(Entry e) {
        freeEntry(e);
        if (e.process) {
            byPid.remove(e.ident, e);
        } else {
            int fd = (int) e.ident;
            if (fd < byFd.length && byFd[fd] == e) byFd[fd] = null;
        }
    }

    private Entry entryOf(long udata) {
        int slot = (int) udata;
        if (slot <= 0 || slot >= slots.length) return null;
        Entry e = slots[slot];
        return e != null && e.tag == udata ? e : null;
    }

    /** One watched object: an fd number or a pid, with its slot, generation and owners. */
    private static final class Entry {
        final boolean process;
        final long ident;
        final int slot;
        final long tag;
        /** Interest bits whose knote the kernel holds, as far as we know. */
        int added;
        boolean noByteCount;
        Registration[] owners = new Registration[1];
        int ownerCount;

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

        Entry(boolean process, long ident, int slot, long tag) {
            this.process = process;
            this.ident = ident;
            this.slot = slot;
            this.tag = tag;
        }

        int interest() {
            int interest = 0;
            for (int i = 0; i < ownerCount; i++) interest |= owners[i].interest;
            return interest;
        }

        void attach(Registration r) {
            if (ownerCount == owners.length) owners = Arrays.copyOf(owners, ownerCount * 2);
            owners[ownerCount++] = r;
            r.entry = this;
        }

        void detach(Registration r) {
            for (int i = 0; i < ownerCount; i++) {
                if (owners[i] == r) {
                    owners[i] = owners[--ownerCount];
                    owners[ownerCount] = null;
                    break;
                }
            }
            if (r.entry == this) r.entry = null;
        }
    }

    /** What a source's {@link Source#backendState()} holds: its interest and its entry. */
    private static final class Registration {
        final KqueueBackend backend;
        final Source source;
        int interest;
        Entry entry;
        boolean pendingExit;

        Registration(KqueueBackend backend, Source source, int interest) {
            this.backend = backend;
            this.source = source;
            this.interest = interest;
        }

        @Override
        public String toString() {
            return "kqueue registration of " + source + " for " + Interest.toString(interest);
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
