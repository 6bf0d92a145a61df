/*
 * Facts about epoll (and the JDK around it) that shape this file. Sources: the Linux man pages
 * epoll_ctl(2), epoll_wait(2), epoll(7), pidfd_open(2), eventfd(2); fs/eventpoll.c; the JDK's
 * sun.nio.ch sources. See also native-facts.md §2, §4, §5 in the project's research notes.
 *
 * 1. One fd per kernel object, level-triggered. Each watched fd is one epoll item whose 64-bit data
 *    is (generation << 32 | fd). Entries are kept in a table indexed by fd number. A new
 *    generation is taken whenever an item is ADDed, so an event still queued for an fd that was
 *    closed and whose number was reused by a new registration carries an old generation and is
 *    dropped instead of being delivered to the new owner (the Go netpoller's sequence tag).
 *    The eventfd's data is (0 << 32 | eventfd); generations start at 1.
 *
 * 2. epoll watches the open file description, not the number. Closing the last fd of a file
 *    removes its item silently; a closed JDK channel therefore simply stops reporting. The core
 *    notices closed channels itself (Channel.isOpen() on every wait), and this backend reports
 *    ReadyFlags.ERROR with a ClosedChannelException for any event of a channel that is no longer open.
 *    The other side of the same fact: if a file lives on in another fd (dup, fork), its item
 *    stays and cannot be removed through the reused number. Such an item's events carry an old
 *    generation and are dropped; if it stays ready it makes epoll_wait return early - a wasted
 *    wakeup, never a wrong report. The JDK's "preClose" (dup2 of a dead socket over the fd of a
 *    channel closed while another thread is blocked in it) applies to blocking-mode channels
 *    only, and kwait refuses those.
 *
 * 3. Reused numbers. A number may come back as a different file while our entry for it lives:
 *    a channel closed and a new channel opened, or a raw fd the caller closed. Registering a new
 *    source on a number with an entry first forgets owners whose channel is closed, then, if
 *    other owners remain, checks with EPOLL_CTL_MOD: ENOENT means the number names a file our
 *    item is not for, so the item is re-ADDed for it under a new generation. Raw-fd owners are
 *    kept either way: a raw fd source means "fd number N", whatever it is now. Two sources on the
 *    same open file (a raw fd and the channel that owns it) share one item and both hear of it.
 *    A raw fd that the caller closes while kwait keeps it registered is not noticed until the
 *    interest of that fd changes; close it after the last wait on it, as with any poller.
 *
 * 4. "Silent" is not EPOLL_CTL_MOD with 0 events: the kernel always adds EPOLLERR|EPOLLHUP to an
 *    item's mask, so a hung-up socket with "no interest" still makes every epoll_wait return at
 *    once (a busy loop while the program waits on something else; a unit test shows the kernel
 *    doing it). Interest 0 therefore removes the item (EPOLL_CTL_DEL) and keeps our bookkeeping;
 *    the next non-zero interest ADDs it again. Both cost one syscall; an unchanged interest none.
 *
 * 5. Readiness: READ asks for EPOLLIN|EPOLLRDHUP, WRITE for EPOLLOUT. EPOLLHUP (both directions
 *    closed, or a pipe whose writers are gone) reports every interested bit with ReadyFlags.EOF;
 *    EPOLLRDHUP (the peer shut down its writing half) reports READ with ReadyFlags.EOF. EPOLLERR is
 *    ReadyFlags.ERROR. Its cause is not read with getsockopt(SO_ERROR), because that *clears* the
 *    socket error: a refused connect would then look successful to finishConnect(). The message
 *    says that the next read, write or finishConnect() reports the cause. On a pipe, EPOLLERR
 *    means the reading end is closed (pipe_poll); it is reported the same way. A TCP socket that
 *    was never connected reports EPOLLOUT|EPOLLHUP, as it does to the JDK's own selector.
 *
 * 6. Bytes available: epoll has no byte count, so READ reports carry ioctl(FIONREAD): one more
 *    syscall per READ report (not per poll), about 0.2 us here, which is what separates epoll from
 *    the select backend in a busy one-thread ping-pong. -Dkwait.epoll.bytes=false drops it (and
 *    Capability.BYTES_AVAILABLE). JNR's variadic call path costs 340 ns against 210 ns for a
 *    fixed-arity binding, and on every Linux ABI a trailing pointer argument travels the same
 *    either way, so the hot path uses LibC.ioctlFixedArity. Listening sockets answer EINVAL and
 *    other files (eventfd, pidfd, ...) ENOTTY: such an fd is marked and reports 0 from then on;
 *    a ServerSocketChannel is never asked.
 *
 * 7. Regular files and directories are refused by epoll_ctl with EPERM (they are always "ready").
 *    That is a misuse of the call, not a failure of a resource, so register() throws
 *    IllegalArgumentException saying so, and the core rejects the wait. A closed fd (EBADF) is a
 *    resource error: IOException (ClosedChannelException for a channel).
 *
 * 8. Blocking. A thread inside epoll_wait (a native call through JNR) cannot be interrupted, and
 *    a virtual thread inside it pins its carrier. kwait tasks may be virtual threads, and a task
 *    that finds nothing runnable polls. So a blocking poll first calls epoll_wait with timeout 0;
 *    only if that finds nothing does it block in a JDK Selector that watches the epoll fd itself
 *    (SelectorBridge: an epoll fd is readable while it has events), which is interruptible and
 *    on JDK 22+ unmounts a virtual thread; then epoll_wait(0) collects. The detour costs about
 *    0.8 us per blocking wait over a bare epoll_wait(-1) (measured: a two-thread pipe ping-pong,
 *    7.4 against 5.8 us a round trip), paid only on the path that is about to sleep. Timeouts go
 *    to the Selector rounded up to whole milliseconds (1 ns waits 1 ms, never 0) and clamped to
 *    Integer.MAX_VALUE ms; epoll_wait retries EINTR with the remaining time recomputed.
 *
 * 9. Wakeup is an eventfd (EFD_CLOEXEC|EFD_NONBLOCK) in the epoll set. A flag set by CAS makes
 *    repeated wakeups before the poll returns cost one write; the poll drains the eventfd and
 *    only then clears the flag (a wakeup in between finds the flag still set, and the core reads
 *    its inbox after the poll returns, so nothing is lost). The write happens under a lock that
 *    close() also takes, so a late wakeup never writes to a closed, possibly reused, fd number.
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
 *
 * 11. Close releases the epoll fd (and with it every item of the caller's fds), the eventfd,
 *     every pidfd and the bridge's Selector. Channels and raw fds stay the caller's.
 */
package io.kwait.nativeio.epoll;

import io.kwait.nativeio.NativeSources;
import io.kwait.nativeio.EpollEventLayout;
import io.kwait.nativeio.LibC;
import io.kwait.nativeio.Linux;
import io.kwait.nativeio.NativeBuffer;
import io.kwait.nativeio.NativeLibC;
import io.kwait.nativeio.PollTimeouts;
import io.kwait.nativeio.SelectorBridge;
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
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.kwait.nativeio.Linux.EBADF;
import static io.kwait.nativeio.Linux.EEXIST;
import static io.kwait.nativeio.Linux.EINTR;
import static io.kwait.nativeio.Linux.ENOENT;
import static io.kwait.nativeio.Linux.EPOLLERR;
import static io.kwait.nativeio.Linux.EPOLLHUP;
import static io.kwait.nativeio.Linux.EPOLLIN;
import static io.kwait.nativeio.Linux.EPOLLOUT;
import static io.kwait.nativeio.Linux.EPOLLRDHUP;
import static io.kwait.nativeio.Linux.EPOLL_CTL_ADD;
import static io.kwait.nativeio.Linux.EPOLL_CTL_DEL;
import static io.kwait.nativeio.Linux.EPOLL_CTL_MOD;

/**
 * The Linux kwait backend: {@code epoll} through JNR, with a pidfd per watched process and an
 * eventfd for wakeups. It serves every {@link Source.Kind}: non-blocking JDK channels (by their fd
 * number), raw fds the caller owns, and processes (children or not), and it has every
 * {@linkplain Capability capability} (see {@link #capabilities()} for the exceptions): readiness
 * reports carry {@link ReadyFlags#EOF} on hang-up and the bytes readable in {@code data};
 * process exit needs no thread per process.
 *
 * <p>Needs Linux, JNR (jnr-ffi) and the JVM flag {@value NioInternals#ADD_EXPORTS_FLAG};
 * {@link EpollBackendProvider#availability()} says what is missing. Opened through
 * {@code Kernel.open()} (chosen automatically on Linux) or {@code Kernel.open("epoll")}.
 *
 * <p>Threading follows {@link Backend}: one polling thread at a time; {@link #wakeup()} from any
 * thread, also after {@link #close()}. A blocking {@link #poll} is interruptible and lets a
 * virtual thread unmount (see the notes at the top of the source file).
 */
public final class EpollBackend implements Backend {

    /** Backend name used with {@code -Dkwait.backend} and {@code Kernel.open(name)}. */
    public static final String NAME = "epoll";

    /** System property: {@code false} makes process sources fail over to the core's relay. */
    public static final String PIDFD_PROPERTY = "kwait.epoll.pidfd";

    /** System property: {@code false} drops byte counts (no FIONREAD per READ report, no BYTES_AVAILABLE). */
    public static final String BYTES_PROPERTY = "kwait.epoll.bytes";

    private static final int INITIAL_EVENTS = 64;
    private static final int MAX_EVENTS = 4096;

    /** Why pidfds cannot work in this JVM (ENOSYS, EPERM, EINVAL seen once), or null. */
    private static volatile String pidfdUnavailable;
    private static volatile boolean pidfdProbed;

    private final LibC libc;
    private final EpollEventLayout layout = EpollEventLayout.current();
    private final int epfd;
    private final int eventfd;
    private final long wakeTag;
    private final SelectorBridge bridge;
    private final String pidfdDisabled;
    private final boolean countBytes;
    private final Set<Capability> capabilities;

    private NativeBuffer events;
    private int capacity;
    private final NativeBuffer ctlEvent = new NativeBuffer(16);
    /** 8 bytes for the poll thread: eventfd drain, FIONREAD result. */
    private final NativeBuffer scratch = new NativeBuffer(8);
    /** The value 1, written by wakeup() from any thread; never changed. */
    private final NativeBuffer one = new NativeBuffer(8);

    /** Entries by fd number; an entry is one epoll item (or none, while its interest is 0). */
    private Entry[] entries = new Entry[64];
    private int registrations;
    private int nextGeneration = 1;
    /** Process sources whose pidfd_open said ESRCH: reported by the next poll. */
    private final ArrayList<Registration> pendingExits = new ArrayList<>();

    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Object wakeLock = new Object();
    private volatile boolean closed;

    /**
     * Opens an epoll instance, its wakeup eventfd and the selector that blocking polls sleep in.
     *
     * @throws IOException           the OS refused one of them (the message says which and why)
     * @throws IllegalStateException JNR or the JDK internals are missing ({@link EpollBackendProvider#availability()})
     */
    public EpollBackend() throws IOException {
        String problem = EpollBackendProvider.probeProblem();
        if (problem != null) throw new IllegalStateException("the epoll backend is not available here: " + problem);
        this.libc = NativeLibC.libc();
        this.pidfdDisabled = "false".equalsIgnoreCase(System.getProperty(PIDFD_PROPERTY))
                ? "pidfds are disabled by -D" + PIDFD_PROPERTY + "=false; process exit is watched by the core's relay"
                : null;
        this.countBytes = !"false".equalsIgnoreCase(System.getProperty(BYTES_PROPERTY));
        if (!pidfdProbed) probePidfd(libc);
        EnumSet<Capability> caps = EnumSet.of(Capability.RAW_FD, Capability.EOF_FLAG);
        if (pidfdUnavailable == null) caps.add(Capability.PROCESS_EXIT);
        if (countBytes) caps.add(Capability.BYTES_AVAILABLE);
        if (PosixSpawner.instanceOrNull() != null) caps.add(Capability.SPAWN);
        this.capabilities = Collections.unmodifiableSet(caps);
        int ep = libc.epoll_create1(Linux.EPOLL_CLOEXEC);
        if (ep < 0) throw new IOException("epoll_create1 failed: " + NativeLibC.describe(NativeLibC.errno()));
        int efd = -1;
        SelectorBridge b = null;
        try {
            efd = libc.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
            if (efd < 0) throw new IOException("eventfd failed: " + NativeLibC.describe(NativeLibC.errno()));
            long tag = efd & 0xFFFF_FFFFL; // generation 0: never used by an entry
            ctlEvent.bytes.putInt(EpollEventLayout.EVENTS_OFFSET, EPOLLIN);
            ctlEvent.bytes.putLong(layout.dataOffset(), tag);
            if (libc.epoll_ctl(ep, EPOLL_CTL_ADD, efd, ctlEvent.address) < 0) {
                throw new IOException("adding the wakeup eventfd to epoll failed: " + NativeLibC.describe(NativeLibC.errno()));
            }
            b = new SelectorBridge(ep);
            this.wakeTag = tag;
        } catch (IOException | RuntimeException e) {
            if (efd >= 0) libc.close(efd);
            libc.close(ep);
            throw e;
        }
        this.epfd = ep;
        this.eventfd = efd;
        this.bridge = b;
        this.capacity = INITIAL_EVENTS;
        this.events = new NativeBuffer(capacity * layout.size());
        one.bytes.putLong(0, 1L);
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Every capability, except {@link Capability#PROCESS_EXIT} where {@code pidfd_open} does not
     * work at all here, and {@link Capability#BYTES_AVAILABLE} with {@code -Dkwait.epoll.bytes=false}.
     * With {@code -Dkwait.epoll.pidfd=false} the capability stays and each process registration
     * fails over to the core's relay, which is what that switch is for: testing that path.
     */
    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    /** Children by posix_spawn, their pipes watched here like any fd (io.kwait.nativeio.spawn). */
    @Override
    public Spawner spawner() {
        PosixSpawner s = PosixSpawner.instanceOrNull();
        if (s == null) throw new UnsupportedOperationException("no native spawn here: " + PosixSpawner.problem());
        return s;
    }

    /** Once per JVM, as Go does: open a pidfd for ourselves. A refusal now is a refusal for every process. */
    private static void probePidfd(LibC libc) {
        long fd = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) ProcessHandle.current().pid(), 0);
        if (fd >= 0) {
            libc.close((int) fd);
        } else {
            int err = NativeLibC.errno();
            if (err == Linux.ENOSYS || err == Linux.EPERM || err == Linux.EINVAL) pidfdUnavailable = pidfdUnusable(err);
        }
        pidfdProbed = true;
    }

    private static String pidfdUnusable(int err) {
        return "pidfd_open is not usable here (" + NativeLibC.describe(err) + "; it needs Linux 5.3+ and no seccomp"
                + " filter refusing it); process exit is watched by the core's relay instead";
    }

    // ================================================================ register

    @Override
    public void register(Source source, int interest) throws IOException {
        Objects.requireNonNull(source, "source");
        ensureOpen();
        NativeSources.checkInterest(source, interest);
        Registration reg = registrationOf(source);
        if (reg != null) {
            if (reg.interest == interest) return; // no syscall for no change
            if (reg.pendingExit) {
                reg.interest = interest;
                return;
            }
            if (reg.entry == null) {
                // Orphaned (fact 3: its number now belongs to one of our pidfds): start over.
                forget(reg);
                register(source, interest);
                return;
            }
            SelectableChannel channel = source.channel();
            if (channel != null && !channel.isOpen()) {
                // Its item went with the fd; an ADD now could land on whatever file reuses the number.
                forget(reg);
                throw new ClosedChannelException();
            }
            int old = reg.interest;
            reg.interest = interest;
            try {
                sync(reg.entry);
            } catch (IOException | RuntimeException e) {
                reg.interest = old;
                if (e instanceof ClosedChannelException) forget(reg);
                throw e;
            }
            return;
        }
        if (source.kind() == Source.Kind.PROCESS) registerProcess(source, interest);
        else registerFd(source, interest);
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
        if (fd == epfd || fd == eventfd) {
            throw new IllegalArgumentException("fd " + fd + " is this epoll backend's own "
                    + (fd == epfd ? "epoll fd" : "wakeup eventfd") + "; it cannot be waited on");
        }
        Entry e = entryAt(fd);
        if (e != null && e.process) {
            throw new IllegalArgumentException("fd " + fd + " is the pidfd kwait opened to watch process "
                    + e.owners[0].source.pid() + ", not a file of the caller; was the fd closed while still waited on?");
        }
        if (e != null) {
            forgetClosedChannels(e); // fact 3; forgetting the last owner removes the entry
            e = entryAt(fd);
        }
        Registration reg = new Registration(this, source, interest);
        if (e == null) {
            e = new Entry(fd, false);
            e.noByteCount = source.channel() instanceof ServerSocketChannel;
            e.attach(reg);
            sync(e); // nothing to undo on failure: the entry is not in the table yet
            putEntry(e);
        } else {
            e.attach(reg);
            try {
                if (e.events == 0) sync(e);
                else verifyAndSync(e);
            } catch (IOException | RuntimeException ex) {
                e.detach(reg);
                if (e.ownerCount == 0) {
                    if (e.events != 0) ctlDelQuietly(e);
                    removeEntry(e);
                }
                throw ex;
            }
        }
        source.setBackendState(reg);
        registrations++;
    }

    /** Fact 3: MOD tells whether the number still names the file our item is for; ENOENT: re-ADD. */
    private void verifyAndSync(Entry e) throws IOException {
        int mask = e.mask();
        if (mask == 0) {
            ctlDelQuietly(e);
            e.events = 0;
            return;
        }
        if (ctl(EPOLL_CTL_MOD, e, mask) == 0) {
            e.events = mask;
            return;
        }
        int err = NativeLibC.errno();
        if (err != ENOENT) throw ctlFailure("MOD", e, err);
        e.events = 0; // no item for what the number names now: sync ADDs one, under a new generation
        sync(e);
    }

    /** Forgets owners of {@code e} whose channel was closed (their item went with their fd). */
    private void forgetClosedChannels(Entry e) {
        for (int i = e.ownerCount - 1; i >= 0; i--) {
            Registration r = e.owners[i];
            SelectableChannel ch = r.source.channel();
            if (ch != null && !ch.isOpen()) forget(r);
        }
    }

    private void registerProcess(Source source, int interest) throws IOException {
        String off = pidfdDisabled != null ? pidfdDisabled : pidfdUnavailable;
        if (off != null) throw new IOException(off);
        long pid = source.pid();
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("not a process id: " + pid);
        long rc = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
        Registration reg = new Registration(this, source, interest);
        if (rc < 0) {
            int err = NativeLibC.errno();
            switch (err) {
                case Linux.ESRCH -> {
                    // Gone already (exited and reaped): the next poll reports it.
                    reg.pendingExit = true;
                    pendingExits.add(reg);
                    source.setBackendState(reg);
                    registrations++;
                    return;
                }
                case Linux.ENOSYS, Linux.EPERM, Linux.EINVAL -> {
                    String why = pidfdUnusable(err);
                    pidfdUnavailable = why; // later registers fail fast, and later backends lack the capability
                    throw new IOException(why);
                }
                default -> throw new IOException("pidfd_open(" + pid + ") failed: " + NativeLibC.describe(err));
            }
        }
        int pidfd = (int) rc;
        Entry stale = entryAt(pidfd);
        if (stale != null) orphan(stale); // fact 3: a raw fd the caller closed; its number is our pidfd now
        Entry e = new Entry(pidfd, true);
        e.attach(reg);
        try {
            sync(e);
        } catch (IOException | RuntimeException ex) {
            libc.close(pidfd);
            throw ex;
        }
        putEntry(e);
        source.setBackendState(reg);
        registrations++;
    }

    /** Detaches every owner of a stale entry whose number we now use; they re-register on their next change. */
    private void orphan(Entry e) {
        for (int i = 0; i < e.ownerCount; i++) e.owners[i].entry = null;
        e.ownerCount = 0;
        removeEntry(e);
    }

    // ================================================================ deregister

    @Override
    public void deregister(Source source) {
        if (source == null || closed) return;
        Object state = source.backendState();
        if (!(state instanceof Registration reg) || reg.backend != this) return;
        forget(reg);
    }

    /** Drops every trace of a registration, and its epoll item or pidfd when it was the last owner. */
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
        if (e.process) {
            removeEntry(e);
            libc.close(e.fd); // removes its epoll item too: the pidfd was only ever ours
        } else if (e.ownerCount == 0) {
            if (e.events != 0) ctlDelQuietly(e);
            removeEntry(e);
        } else {
            try {
                sync(e);
            } catch (IOException | RuntimeException ignored) {
                // The remaining owners meet the problem at their next register or poll.
            }
        }
    }

    // ================================================================ epoll_ctl

    /** Brings the kernel's item for {@code e} in line with its owners' interest; no syscall if it is. */
    private void sync(Entry e) throws IOException {
        int mask = e.mask();
        if (mask == e.events) return;
        if (mask == 0) { // fact 4
            ctlDelQuietly(e);
            e.events = 0;
            return;
        }
        int op = e.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (op == EPOLL_CTL_ADD) e.tag = newTag(e.fd); // fact 1: a new generation for every item added
        if (ctl(op, e, mask) < 0) {
            int err = NativeLibC.errno();
            if (op == EPOLL_CTL_ADD && err == EEXIST) {
                if (ctl(EPOLL_CTL_MOD, e, mask) < 0) throw ctlFailure("MOD", e, NativeLibC.errno());
            } else if (op == EPOLL_CTL_MOD && err == ENOENT) {
                // The item went with its file (closed, number reused): add it for what the number names now.
                e.tag = newTag(e.fd);
                if (ctl(EPOLL_CTL_ADD, e, mask) < 0) throw ctlFailure("ADD", e, NativeLibC.errno());
            } else {
                throw ctlFailure(op == EPOLL_CTL_ADD ? "ADD" : "MOD", e, err);
            }
        }
        e.events = mask;
    }

    private int ctl(int op, Entry e, int mask) {
        ctlEvent.bytes.putInt(EpollEventLayout.EVENTS_OFFSET, mask);
        ctlEvent.bytes.putLong(layout.dataOffset(), e.tag);
        return libc.epoll_ctl(epfd, op, e.fd, ctlEvent.address);
    }

    /** EPOLL_CTL_DEL, ignoring ENOENT and EBADF: the fd may be closed already, taking its item along. */
    private void ctlDelQuietly(Entry e) {
        libc.epoll_ctl(epfd, EPOLL_CTL_DEL, e.fd, ctlEvent.address);
    }

    private IOException ctlFailure(String op, Entry e, int err) {
        Registration first = e.ownerCount > 0 ? e.owners[e.ownerCount - 1] : null;
        String what = first == null ? "fd " + e.fd : first.source + " (fd " + e.fd + ")";
        switch (err) {
            case Linux.EPERM -> throw new IllegalArgumentException(what + " cannot be watched: epoll refuses regular files"
                    + " and directories (EPERM), which are always ready for reading and writing; read or write them"
                    + " directly, or wait on a pipe, socket or other pollable fd");
            case EBADF -> {
                if (first != null && first.source.channel() != null) {
                    ClosedChannelException c = new ClosedChannelException();
                    c.initCause(new IOException("epoll_ctl(" + op + ") on fd " + e.fd + ": " + NativeLibC.describe(err)));
                    return c;
                }
                return new IOException(what + " is not an open file descriptor (EBADF); it was closed, or never opened");
            }
            case Linux.ENOMEM, Linux.ENOSPC -> {
                return new IOException("epoll_ctl(" + op + ") for " + what + " failed: " + NativeLibC.describe(err)
                        + "; the per-user epoll watch limit (/proc/sys/fs/epoll/max_user_watches) or memory is exhausted");
            }
            default -> {
                return new IOException("epoll_ctl(" + op + ") for " + what + " failed: " + NativeLibC.describe(err));
            }
        }
    }

    // ================================================================ poll

    @Override
    public int poll(long timeoutNanos, ReadySink sink) throws IOException {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        int n = epollWait(0);
        if (n == 0 && timeoutNanos != 0 && !hasPendingExitToReport() && !wakePending.get()) {
            bridge.await(timeoutNanos); // fact 8: interruptible, and a virtual thread unmounts
            n = epollWait(0);
        }
        int reported = report(n, sink);
        if (n == capacity && capacity < MAX_EVENTS) {
            // More may be ready than fit; level-triggered, they come with the next poll, in a bigger buffer.
            capacity = Math.min(MAX_EVENTS, capacity * 2);
            events = new NativeBuffer(capacity * layout.size());
        }
        return reported;
    }

    private int epollWait(int timeoutMillis) throws IOException {
        long start = timeoutMillis > 0 ? System.nanoTime() : 0;
        int timeout = timeoutMillis;
        while (true) {
            int n = libc.epoll_wait(epfd, events.address, capacity, timeout);
            if (n >= 0) return n;
            int err = NativeLibC.errno();
            if (err != EINTR) throw new IOException("epoll_wait failed: " + NativeLibC.describe(err));
            timeout = PollTimeouts.remainingMillis(timeoutMillis, start, System.nanoTime());
        }
    }

    private boolean hasPendingExitToReport() {
        for (int i = 0; i < pendingExits.size(); i++) {
            if ((pendingExits.get(i).interest & Interest.EXIT) != 0) return true;
        }
        return false;
    }

    private int report(int n, ReadySink sink) {
        int reported = 0;
        if (!pendingExits.isEmpty()) reported += reportPendingExits(sink);
        int size = layout.size();
        int dataOffset = layout.dataOffset();
        for (int i = 0; i < n; i++) {
            int base = i * size;
            int ev = events.bytes.getInt(base + EpollEventLayout.EVENTS_OFFSET);
            long data = events.bytes.getLong(base + dataOffset);
            if (data == wakeTag) {
                drainWakeup();
                continue;
            }
            Entry e = entryAt((int) data);
            if (e == null || e.tag != data) continue; // fact 1: stale, for an fd forgotten or re-added since
            if (e.process) {
                Registration reg = e.owners[0];
                forget(reg); // reported once; closes the pidfd
                if ((reg.interest & Interest.EXIT) != 0) {
                    reported++;
                    sink.ready(reg.source, Interest.EXIT, 0, 0, null);
                }
            } else {
                reported += reportFd(e, ev, sink);
            }
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

    private int reportFd(Entry e, int ev, ReadySink sink) {
        int reported = 0;
        long bytes = -1;
        // The sink may register and deregister meanwhile; with one owner (the common case) no copy is made.
        Registration only = e.ownerCount == 1 ? e.owners[0] : null;
        Registration[] owners = only != null ? null : Arrays.copyOf(e.owners, e.ownerCount);
        int count = only != null ? 1 : owners.length;
        for (int k = 0; k < count; k++) {
            Registration reg = only != null ? only : owners[k];
            if (reg.entry != e) continue;
            Source source = reg.source;
            SelectableChannel channel = source.channel();
            if (channel != null && !channel.isOpen()) {
                forget(reg);
                reported++;
                sink.ready(source, Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0, new ClosedChannelException());
                continue;
            }
            int interest = reg.interest;
            if (interest == 0) continue;
            if ((ev & EPOLLERR) != 0) {
                reported++;
                sink.ready(source, interest, ReadyFlags.ERROR, 0, new IOException("fd " + e.fd + " (" + source
                        + "): the OS reports an error condition (EPOLLERR): a pending socket error, which the next read,"
                        + " write or finishConnect() reports, or a pipe whose reading end is closed"));
                continue;
            }
            int ready = 0;
            int flags = 0;
            if ((ev & EPOLLIN) != 0) ready |= Interest.READ;
            if ((ev & EPOLLOUT) != 0) ready |= Interest.WRITE;
            if ((ev & EPOLLHUP) != 0) {
                ready |= Interest.READ | Interest.WRITE;
                flags = ReadyFlags.EOF;
            }
            ready &= interest;
            if ((ev & EPOLLRDHUP) != 0 && (interest & Interest.READ) != 0) {
                ready |= Interest.READ;
                flags = ReadyFlags.EOF;
            }
            if (ready == 0) continue;
            long data = 0;
            if ((ready & Interest.READ) != 0 && countBytes && !e.noByteCount) {
                if (bytes < 0) bytes = bytesAvailable(e);
                data = bytes;
            }
            reported++;
            sink.ready(source, ready, flags, data, null);
        }
        return reported;
    }

    /** Fact 6: ioctl(FIONREAD); an fd that cannot answer is marked and not asked again. */
    private long bytesAvailable(Entry e) {
        if (libc.ioctlFixedArity(e.fd, Linux.FIONREAD, scratch.address) < 0) {
            int err = NativeLibC.errno();
            if (err == Linux.EINVAL || err == Linux.ENOTTY) e.noByteCount = true;
            return 0;
        }
        return Math.max(0, scratch.bytes.getInt(0));
    }

    /** Fact 9: drain first, then clear the flag. */
    private void drainWakeup() {
        libc.read(eventfd, scratch.address, 8); // EAGAIN if already empty: fine
        wakePending.set(false);
    }

    // ================================================================ wakeup, lifecycle

    @Override
    public void wakeup() {
        if (closed || !wakePending.compareAndSet(false, true)) return;
        synchronized (wakeLock) {
            if (!closed) libc.write(eventfd, one.address, 8);
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
        IOException failure = null;
        try {
            bridge.close();
        } catch (IOException e) {
            failure = e;
        }
        for (Entry e : entries) {
            if (e == null) continue;
            for (int i = 0; i < e.ownerCount; i++) {
                Registration r = e.owners[i];
                r.entry = null;
                if (r.source.backendState() == r) r.source.setBackendState(null);
            }
            if (e.process) libc.close(e.fd);
        }
        for (Registration r : pendingExits) {
            if (r.source.backendState() == r) r.source.setBackendState(null);
        }
        pendingExits.clear();
        entries = new Entry[0];
        registrations = 0;
        libc.close(epfd);
        libc.close(eventfd);
        if (failure != null) throw new UncheckedIOException("closing the epoll backend's selector failed", failure);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the epoll backend is closed");
    }

    @Override
    public String toString() {
        return "EpollBackend[" + (closed ? "closed" : "epfd " + epfd + ", " + registrations + " registered") + "]";
    }

    // ================================================================ bookkeeping

    private long newTag(int fd) {
        int gen = nextGeneration++;
        if (nextGeneration == 0) nextGeneration = 1; // 0 is the eventfd's
        return ((long) gen << 32) | (fd & 0xFFFF_FFFFL);
    }

    private Entry entryAt(int fd) {
        return fd >= 0 && fd < entries.length ? entries[fd] : null;
    }

    private void putEntry(Entry e) {
        if (e.fd >= entries.length) entries = Arrays.copyOf(entries, Math.max(e.fd + 1, entries.length * 2));
        entries[e.fd] = e;
    }

    private void removeEntry(Entry e) {
        if (entryAt(e.fd) == e) entries[e.fd] = null;
    }

    /** epoll mask for kwait interest. */
    static int epollMask(int interest) {
        int mask = 0;
        if ((interest & Interest.READ) != 0) mask |= EPOLLIN | EPOLLRDHUP;
        if ((interest & Interest.WRITE) != 0) mask |= EPOLLOUT;
        if ((interest & Interest.EXIT) != 0) mask |= EPOLLIN;
        return mask;
    }

    /** One epoll item: an fd number, the generation it was added under, and the sources watching it. */
    private static final class Entry {
        final int fd;
        final boolean process;
        long tag;
        /** The mask the kernel holds; 0 when there is no item (interest 0, fact 4). */
        int events;
        boolean noByteCount;
        Registration[] owners = new Registration[1];
        int ownerCount;

        Entry(int fd, boolean process) {
            this.fd = fd;
            this.process = process;
        }

        int mask() {
            int interest = 0;
            for (int i = 0; i < ownerCount; i++) interest |= owners[i].interest;
            return epollMask(interest);
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
        final EpollBackend backend;
        final Source source;
        int interest;
        Entry entry;
        boolean pendingExit;

        Registration(EpollBackend backend, Source source, int interest) {
            this.backend = backend;
            this.source = source;
            this.interest = interest;
        }

        @Override
        public String toString() {
            return "epoll registration of " + source + " for " + Interest.toString(interest);
        }
    }
}
