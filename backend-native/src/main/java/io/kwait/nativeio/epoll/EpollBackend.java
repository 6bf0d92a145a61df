/*
 * Facts about epoll (and the JDK around it) that shape this file. Sources: the Linux man pages
 * epoll_ctl(2), epoll_wait(2), epoll(7), pidfd_open(2), eventfd(2); fs/eventpoll.c; the JDK's
 * sun.nio.ch sources. The bookkeeping shared with the kqueue backend has its own facts at the top
 * of DescriptorTable.java ("table fact N").
 *
 * 1. One fd per kernel object, level-triggered. Each watched fd is one epoll item whose 64-bit data
 *    is its descriptor's tag in the DescriptorTable (generation << 32 | slot; table fact 1). A new
 *    generation is taken whenever an item is ADDed, so an event still queued for an fd that was
 *    closed and whose number was reused by a new registration carries an old generation and is
 *    dropped instead of being delivered to the new owner (the Go netpoller's sequence tag).
 *    The eventfd's data is 0, which no descriptor's tag is.
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
 *    READ and WRITE ready together with different flags (EPOLLRDHUP is READ's only) or a byte
 *    count (READ's only) are reported in two calls, so each Fired carries its own (Owner.report).
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
 * 9. Wakeup is an eventfd (EFD_CLOEXEC|EFD_NONBLOCK) in the epoll set (EventfdWaker). A flag set
 *    by CAS makes repeated wakeups before the poll returns cost one write; the poll drains the
 *    eventfd and only then clears the flag (a wakeup in between finds the flag still set, and the
 *    core reads its inbox after the poll returns, so nothing is lost). The write happens under a
 *    lock that close() also takes, so a late wakeup never writes to a closed, possibly reused, fd
 *    number (Waker).
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
 *
 * 12. Every ready event in one poll (the contract is one report per fired event, not per buffer).
 *     The event buffer is sized from the registrations before each poll: the kernel cannot have
 *     more ready items than our descriptors plus the eventfd, so one epoll_wait returns them all.
 *     Items the table no longer knows (fact 2: a file alive in another fd) can still fill it; a
 *     full buffer is therefore followed by another epoll_wait(0) in a buffer twice as large, and
 *     since epoll hands level-triggered items out round-robin, a descriptor already reported in
 *     this poll is skipped the second time.
 */
package io.kwait.nativeio.epoll;

import io.kwait.nativeio.Descriptor;
import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.SourceChecks;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.PollTimeouts;
import io.kwait.nativeio.SelectorBridge;
import io.kwait.nativeio.Waker;
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
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import static io.kwait.nativeio.epoll.Linux.EBADF;
import static io.kwait.nativeio.epoll.Linux.EEXIST;
import static io.kwait.nativeio.epoll.Linux.EINTR;
import static io.kwait.nativeio.epoll.Linux.ENOENT;
import static io.kwait.nativeio.epoll.Linux.EPOLLERR;
import static io.kwait.nativeio.epoll.Linux.EPOLLHUP;
import static io.kwait.nativeio.epoll.Linux.EPOLLIN;
import static io.kwait.nativeio.epoll.Linux.EPOLLOUT;
import static io.kwait.nativeio.epoll.Linux.EPOLLRDHUP;
import static io.kwait.nativeio.epoll.Linux.EPOLL_CTL_ADD;
import static io.kwait.nativeio.epoll.Linux.EPOLL_CTL_DEL;
import static io.kwait.nativeio.epoll.Linux.EPOLL_CTL_MOD;

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

    /** Why pidfds cannot work in this JVM (ENOSYS, EPERM, EINVAL seen once), or null. */
    private static volatile String pidfdReason;
    private static volatile boolean pidfdProbed;

    private final LibC libc;
    private final EpollEventLayout layout = EpollEventLayout.current();
    private final int epfd;
    private final Waker waker;
    private final SelectorBridge bridge;
    private final String pidfdDisabled;
    private final boolean countBytes;
    private final Set<Capability> capabilities;

    private Memory events;
    private int capacity;
    /** Counts polls; a descriptor reported by this poll carries it (fact 12). */
    private int pollSeq;
    private final Memory ctlEvent = new Memory(16);
    /** 8 bytes for the poll thread: the FIONREAD result. */
    private final Memory scratch = new Memory(8);

    /** Descriptors by fd number (pidfds included) and tag; each is one epoll item (or none, while its interest is 0). */
    private final DescriptorTable<Item> table = new DescriptorTable<>(NAME);

    private volatile boolean closed;

    /**
     * Opens an epoll instance, its wakeup eventfd and the selector that blocking polls sleep in.
     *
     * @throws IOException           the OS refused one of them (the message says which and why)
     * @throws IllegalStateException JNR or the JDK internals are missing ({@link EpollBackendProvider#availability()})
     */
    public EpollBackend() throws IOException {
        String reason = EpollBackendProvider.reason();
        if (reason != null) throw new IllegalStateException("the epoll backend is not available here: " + reason);
        this.libc = LibCRuntime.libc();
        this.pidfdDisabled = "false".equalsIgnoreCase(System.getProperty(PIDFD_PROPERTY))
                ? "pidfds are disabled by -D" + PIDFD_PROPERTY + "=false; process exit is watched by the core's relay"
                : null;
        this.countBytes = !"false".equalsIgnoreCase(System.getProperty(BYTES_PROPERTY));
        if (!pidfdProbed) probePidfd(libc);
        EnumSet<Capability> caps = EnumSet.of(Capability.RAW_FD, Capability.EOF_FLAG);
        if (pidfdReason == null) caps.add(Capability.PROCESS_EXIT);
        if (countBytes) caps.add(Capability.BYTES_AVAILABLE);
        if (PosixSpawner.instanceOrNull() != null) caps.add(Capability.SPAWN);
        this.capabilities = Collections.unmodifiableSet(caps);
        int ep = libc.epoll_create1(Linux.EPOLL_CLOEXEC);
        if (ep < 0) throw new IOException("epoll_create1 failed: " + LibCRuntime.describe(LibCRuntime.errno()));
        Waker w = null;
        SelectorBridge b;
        try {
            w = new EventfdWaker(libc, ep, layout);
            b = new SelectorBridge(ep);
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            libc.close(ep);
            throw e;
        }
        this.epfd = ep;
        this.waker = w;
        this.bridge = b;
        this.capacity = INITIAL_EVENTS;
        this.events = new Memory(capacity * layout.size());
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
        if (s == null) throw new UnsupportedOperationException("no native spawn here: " + PosixSpawner.reason());
        return s;
    }

    /** Once per JVM, as Go does: open a pidfd for ourselves. A refusal now is a refusal for every process. */
    private static void probePidfd(LibC libc) {
        long fd = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) ProcessHandle.current().pid(), 0);
        if (fd >= 0) {
            libc.close((int) fd);
        } else {
            int err = LibCRuntime.errno();
            if (err == Linux.ENOSYS || err == Linux.EPERM || err == Linux.EINVAL) pidfdReason = pidfdReasonFor(err);
        }
        pidfdProbed = true;
    }

    private static String pidfdReasonFor(int err) {
        return "pidfd_open is not usable here (" + LibCRuntime.describe(err) + "; it needs Linux 5.3+ and no seccomp"
                + " filter refusing it); process exit is watched by the core's relay instead";
    }

    // ================================================================ register

    @Override
    public void register(Source source, int interest) throws IOException {
        Objects.requireNonNull(source, "source");
        ensureOpen();
        SourceChecks.checkInterest(source, interest);
        Owner owner = table.ownerOf(source);
        if (owner != null) {
            if (owner.interest() == interest) return; // no syscall for no change
            if (owner.isPendingExit()) {
                owner.setInterest(interest);
                return;
            }
            if (owner.descriptor() == null) {
                // Orphaned (fact 3: its number now belongs to one of our pidfds): start over.
                forget(owner);
                register(source, interest);
                return;
            }
            if (owner.isClosedChannel()) {
                // Its item went with the fd; an ADD now could land on whatever file reuses the number.
                forget(owner);
                throw new ClosedChannelException();
            }
            int old = owner.interest();
            owner.setInterest(interest);
            try {
                sync((Item) owner.descriptor());
            } catch (IOException | RuntimeException e) {
                owner.setInterest(old);
                if (e instanceof ClosedChannelException) forget(owner);
                throw e;
            }
            return;
        }
        if (source.kind() == Source.Kind.PROCESS) registerProcess(source, interest);
        else registerFd(source, interest);
    }

    private void registerFd(Source source, int interest) throws IOException {
        int fd = SourceChecks.fdToWatch(source, interest);
        if (fd == epfd || waker.owns(fd)) {
            throw new IllegalArgumentException("fd " + fd + " is this epoll backend's own "
                    + (fd == epfd ? "epoll fd" : "wakeup eventfd") + "; it cannot be waited on");
        }
        Item e = table.atFd(fd);
        if (e != null && e.process) {
            throw new IllegalArgumentException("fd " + fd + " is the pidfd kwait opened to watch process "
                    + e.owner(0).source().pid() + ", not a file of the caller; was the fd closed while still waited on?");
        }
        if (e != null) {
            table.forgetClosedChannels(e, this::forget); // fact 3; forgetting the last owner removes the descriptor
            e = table.atFd(fd);
        }
        if (e == null) {
            e = new Item(fd, false);
            e.noByteCount = source.channel() instanceof ServerSocketChannel;
            table.add(e);
            Owner owner = table.attach(source, interest, e);
            try {
                sync(e);
            } catch (IOException | RuntimeException ex) {
                table.release(owner);
                table.remove(e);
                throw ex;
            }
        } else {
            Owner owner = table.attach(source, interest, e);
            try {
                if (e.events == 0) sync(e);
                else verifyAndSync(e);
            } catch (IOException | RuntimeException ex) {
                table.release(owner);
                if (e.ownerCount() == 0) {
                    if (e.events != 0) ctlDelQuietly(e);
                    table.remove(e);
                }
                throw ex;
            }
        }
    }

    /** Fact 3: MOD tells whether the number still names the file our item is for; ENOENT: re-ADD. */
    private void verifyAndSync(Item e) throws IOException {
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
        int err = LibCRuntime.errno();
        if (err != ENOENT) throw ctlFailure("MOD", e, err);
        e.events = 0; // no item for what the number names now: sync ADDs one, under a new generation
        sync(e);
    }

    private void registerProcess(Source source, int interest) throws IOException {
        String off = pidfdDisabled != null ? pidfdDisabled : pidfdReason;
        if (off != null) throw new IOException(off);
        long pid = source.pid();
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("not a process id: " + pid);
        long rc = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
        if (rc < 0) {
            int err = LibCRuntime.errno();
            switch (err) {
                case Linux.ESRCH -> {
                    // Gone already (exited and reaped): the next poll reports it (table fact 4).
                    table.addPendingExit(source, interest);
                    return;
                }
                case Linux.ENOSYS, Linux.EPERM, Linux.EINVAL -> {
                    String why = pidfdReasonFor(err);
                    pidfdReason = why; // later registers fail fast, and later backends lack the capability
                    throw new IOException(why);
                }
                default -> throw new IOException("pidfd_open(" + pid + ") failed: " + LibCRuntime.describe(err));
            }
        }
        int pidfd = (int) rc;
        Item stale = table.atFd(pidfd);
        if (stale != null) table.orphan(stale); // fact 3: a raw fd the caller closed; its number is our pidfd now
        Item e = new Item(pidfd, true);
        table.add(e);
        Owner owner = table.attach(source, interest, e);
        try {
            sync(e);
        } catch (IOException | RuntimeException ex) {
            table.release(owner);
            table.remove(e);
            libc.close(pidfd);
            throw ex;
        }
    }

    // ================================================================ deregister

    @Override
    public void deregister(Source source) {
        if (source == null || closed) return;
        Owner owner = table.ownerOrNull(source);
        if (owner != null) forget(owner);
    }

    /** Drops every trace of an owner, and its epoll item or pidfd when it was the last owner. */
    private void forget(Owner owner) {
        Item e = table.release(owner);
        if (e == null) return;
        if (e.process) {
            table.remove(e);
            libc.close(e.fd); // removes its epoll item too: the pidfd was only ever ours
        } else if (e.ownerCount() == 0) {
            if (e.events != 0) ctlDelQuietly(e);
            table.remove(e);
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
    private void sync(Item e) throws IOException {
        int mask = e.mask();
        if (mask == e.events) return;
        if (mask == 0) { // fact 4
            ctlDelQuietly(e);
            e.events = 0;
            return;
        }
        int op = e.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (op == EPOLL_CTL_ADD) table.retag(e); // fact 1: a new generation for every item added
        if (ctl(op, e, mask) < 0) {
            int err = LibCRuntime.errno();
            if (op == EPOLL_CTL_ADD && err == EEXIST) {
                if (ctl(EPOLL_CTL_MOD, e, mask) < 0) throw ctlFailure("MOD", e, LibCRuntime.errno());
            } else if (op == EPOLL_CTL_MOD && err == ENOENT) {
                // The item went with its file (closed, number reused): add it for what the number names now.
                table.retag(e);
                if (ctl(EPOLL_CTL_ADD, e, mask) < 0) throw ctlFailure("ADD", e, LibCRuntime.errno());
            } else {
                throw ctlFailure(op == EPOLL_CTL_ADD ? "ADD" : "MOD", e, err);
            }
        }
        e.events = mask;
    }

    private int ctl(int op, Item e, int mask) {
        ctlEvent.bytes.putInt(EpollEventLayout.EVENTS_OFFSET, mask);
        ctlEvent.bytes.putLong(layout.dataOffset(), e.tag());
        return libc.epoll_ctl(epfd, op, e.fd, ctlEvent.address);
    }

    /** EPOLL_CTL_DEL, ignoring ENOENT and EBADF: the fd may be closed already, taking its item along. */
    private void ctlDelQuietly(Item e) {
        libc.epoll_ctl(epfd, EPOLL_CTL_DEL, e.fd, ctlEvent.address);
    }

    private IOException ctlFailure(String op, Item e, int err) {
        Owner first = e.ownerCount() > 0 ? e.owner(e.ownerCount() - 1) : null;
        String what = first == null ? "fd " + e.fd : SourceChecks.describe(first.source(), e.fd);
        switch (err) {
            case Linux.EPERM -> throw SourceChecks.alwaysReady(what, "epoll refuses them: EPERM");
            case EBADF -> {
                if (first != null && first.source().channel() != null) {
                    ClosedChannelException c = new ClosedChannelException();
                    c.initCause(new IOException("epoll_ctl(" + op + ") on fd " + e.fd + ": " + LibCRuntime.describe(err)));
                    return c;
                }
                return new IOException(what + " is not an open file descriptor (EBADF); it was closed, or never opened");
            }
            case Linux.ENOMEM, Linux.ENOSPC -> {
                return new IOException("epoll_ctl(" + op + ") for " + what + " failed: " + LibCRuntime.describe(err)
                        + "; the per-user epoll watch limit (/proc/sys/fs/epoll/max_user_watches) or memory is exhausted");
            }
            default -> {
                return new IOException("epoll_ctl(" + op + ") for " + what + " failed: " + LibCRuntime.describe(err));
            }
        }
    }

    // ================================================================ poll

    @Override
    public int poll(long timeoutNanos, ReadySink sink) throws IOException {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        if (capacity <= table.size()) growEvents(table.size() + 1); // fact 12: room for every item
        int n = epollWait(0);
        if (n == 0 && timeoutNanos != 0 && !table.hasPendingExitToReport() && !waker.isPending()) {
            bridge.await(timeoutNanos); // fact 8: interruptible, and a virtual thread unmounts
            n = epollWait(0);
        }
        pollSeq++;
        int reported = report(n, sink);
        while (n == capacity) { // fact 12: items we do not know filled it; look again, in a bigger buffer
            growEvents(capacity * 2);
            n = epollWait(0);
            reported += report(n, sink);
        }
        return reported;
    }

    private void growEvents(int atLeast) {
        capacity = Math.max(atLeast, capacity * 2);
        events = new Memory(capacity * layout.size());
    }

    private int epollWait(int timeoutMillis) throws IOException {
        long start = timeoutMillis > 0 ? System.nanoTime() : 0;
        int timeout = timeoutMillis;
        while (true) {
            int n = libc.epoll_wait(epfd, events.address, capacity, timeout);
            if (n >= 0) return n;
            int err = LibCRuntime.errno();
            if (err != EINTR) throw new IOException("epoll_wait failed: " + LibCRuntime.describe(err));
            timeout = PollTimeouts.remainingMillis(timeoutMillis, start, System.nanoTime());
        }
    }

    private int report(int n, ReadySink sink) {
        int reported = 0;
        if (table.hasPendingExits()) reported += reportPendingExits(sink);
        int size = layout.size();
        int dataOffset = layout.dataOffset();
        for (int i = 0; i < n; i++) {
            int base = i * size;
            int ev = events.bytes.getInt(base + EpollEventLayout.EVENTS_OFFSET);
            long data = events.bytes.getLong(base + dataOffset);
            if (data == EventfdWaker.TAG) {
                waker.drain(); // fact 9: drain first, then clear the flag
                waker.clear();
                continue;
            }
            Item e = table.atTag(data);
            if (e == null) continue; // fact 1: stale, for an fd forgotten or re-added since
            if (e.reportedIn == pollSeq) continue; // fact 12: handed out again in a later round
            e.reportedIn = pollSeq;
            if (e.process) {
                Owner owner = e.owner(0);
                forget(owner); // reported once; closes the pidfd
                if ((owner.interest() & Interest.EXIT) != 0) {
                    reported++;
                    sink.ready(owner.source(), Interest.EXIT, 0, 0, null);
                }
            } else {
                reported += reportFd(e, ev, sink);
            }
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

    private int reportFd(Item e, int ev, ReadySink sink) {
        int reported = 0;
        long bytes = -1;
        for (Owner owner : e.snapshot()) { // the sink may register and deregister meanwhile
            if (owner.descriptor() != e) continue;
            Source source = owner.source();
            if (owner.isClosedChannel()) {
                forget(owner);
                reported++;
                sink.ready(source, Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0, new ClosedChannelException());
                continue;
            }
            int interest = owner.interest();
            if (interest == 0) continue;
            if ((ev & EPOLLERR) != 0) {
                reported++;
                sink.ready(source, interest, ReadyFlags.ERROR, 0, new IOException(SourceChecks.describe(source, e.fd)
                        + ": the OS reports an error condition (EPOLLERR): a pending socket error, which the next read,"
                        + " write or finishConnect() reports, or a pipe whose reading end is closed"));
                continue;
            }
            int ready = 0;
            int readFlags = 0, writeFlags = 0;
            if ((ev & EPOLLIN) != 0) ready |= Interest.READ;
            if ((ev & EPOLLOUT) != 0) ready |= Interest.WRITE;
            if ((ev & EPOLLHUP) != 0) {
                ready |= Interest.READ | Interest.WRITE;
                readFlags = writeFlags = ReadyFlags.EOF;
            }
            ready &= interest;
            if ((ev & EPOLLRDHUP) != 0 && (interest & Interest.READ) != 0) {
                ready |= Interest.READ;
                readFlags = ReadyFlags.EOF; // the peer stopped writing; our writing half is fine
            }
            if (ready == 0) continue;
            long data = 0;
            if ((ready & Interest.READ) != 0 && countBytes && !e.noByteCount) {
                if (bytes < 0) bytes = bytesAvailable(e);
                data = bytes;
            }
            reported += owner.report(sink, ready, readFlags, writeFlags, data); // fact 5: each filter its own data and flags
        }
        return reported;
    }

    /** Fact 6: ioctl(FIONREAD); an fd that cannot answer is marked and not asked again. */
    private long bytesAvailable(Item e) {
        if (libc.ioctlFixedArity(e.fd, Linux.FIONREAD, scratch.address) < 0) {
            int err = LibCRuntime.errno();
            if (err == Linux.EINVAL || err == Linux.ENOTTY) e.noByteCount = true;
            return 0;
        }
        return Math.max(0, scratch.bytes.getInt(0));
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
        IOException failure = null;
        try {
            bridge.close();
        } catch (IOException e) {
            failure = e;
        }
        for (Item e : table.descriptors()) {
            if (e.process) libc.close(e.fd);
        }
        table.clear();
        libc.close(epfd);
        if (failure != null) throw new UncheckedIOException("closing the epoll backend's selector failed", failure);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the epoll backend is closed");
    }

    @Override
    public String toString() {
        return "EpollBackend[" + (closed ? "closed" : "epfd " + epfd + ", " + table.size() + " registered") + "]";
    }

    // ================================================================ bookkeeping

    /** epoll mask for kwait interest. */
    static int epollMask(int interest) {
        int mask = 0;
        if ((interest & Interest.READ) != 0) mask |= EPOLLIN | EPOLLRDHUP;
        if ((interest & Interest.WRITE) != 0) mask |= EPOLLOUT;
        if ((interest & Interest.EXIT) != 0) mask |= EPOLLIN;
        return mask;
    }

    /** One epoll item: an fd number (a pidfd for a process) and the mask the kernel holds for it. */
    private static final class Item extends Descriptor {
        /** The mask the kernel holds; 0 when there is no item (interest 0, fact 4). */
        int events;
        /** The poll that last reported this item (fact 12). */
        int reportedIn;

        Item(int fd, boolean process) {
            super(fd, -1, process);
        }

        int mask() {
            return epollMask(interest());
        }
    }
}
