/*
 * Facts about epoll (and the JDK around it) that shape the epoll backend. Sources: the Linux man
 * pages epoll_ctl(2), epoll_wait(2), epoll(7), pidfd_open(2), eventfd(2); fs/eventpoll.c; the
 * JDK's sun.nio.ch sources. The bookkeeping shared with the kqueue backend has its own facts at the
 * top of DescriptorTable.java ("table fact N").
 *
 * The facts are numbered across the backend's files and each stands with the code it shapes; a
 * fact cited without a file is one of the file's own. Here: 2, 3, 9, 11. EpollCtl.java (the
 * epoll_ctl calls): 1, 4, 7. EpollWait.java (epoll_wait, the event buffer, the reports): 5, 6, 8,
 * 12, 13. PidfdWatch.java (process exit): 10.
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
 * 9. Wakeup is an eventfd (EFD_CLOEXEC|EFD_NONBLOCK) in the epoll set (EventfdWaker). A flag set
 *    by CAS makes repeated wakeups before the poll returns cost one write; the poll drains the
 *    eventfd and only then clears the flag (a wakeup in between finds the flag still set, and the
 *    core reads its inbox after the poll returns, so nothing is lost). The write happens under a
 *    lock that close() also takes, so a late wakeup never writes to a closed, possibly reused, fd
 *    number (Waker).
 *
 * 11. Close releases the epoll fd (and with it every item of the caller's fds), the eventfd,
 *     every pidfd and the bridge's Selector. Channels and raw fds stay the caller's.
 */
package io.kwait.nativeio.epoll;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.NioInternals;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.SelectorBridge;
import io.kwait.nativeio.SourceChecks;
import io.kwait.nativeio.TableBackend;
import io.kwait.nativeio.Waker;
import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.spawn.PosixSpawner;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

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
 * virtual thread unmount (see the notes at the top of EpollWait.java).
 */
public final class EpollBackend extends TableBackend<EpollItem> {

    /** Backend name used with {@code -Dkwait.backend} and {@code Kernel.open(name)}. */
    public static final String NAME = "epoll";

    /** System property: {@code false} makes process sources fail over to the core's relay. */
    public static final String PIDFD_PROPERTY = "kwait.epoll.pidfd";

    /** System property: {@code false} drops byte counts (no FIONREAD per READ report, no BYTES_AVAILABLE). */
    public static final String BYTES_PROPERTY = "kwait.epoll.bytes";

    private final LibC libc;
    private final int epfd;
    private final SelectorBridge bridge;
    private final PidfdWatch pidfds;
    private final EpollCtl ctl;
    private final EpollWait wait;
    private final Set<Capability> capabilities;

    /**
     * Opens an epoll instance, its wakeup eventfd and the selector that blocking polls sleep in.
     *
     * @throws IOException           the OS refused one of them (the message says which and why)
     * @throws IllegalStateException JNR or the JDK internals are missing ({@link EpollBackendProvider#availability()})
     */
    public EpollBackend() throws IOException {
        super(NAME);
        String reason = EpollBackendProvider.reason();
        if (reason != null) throw new IllegalStateException("the epoll backend is not available here: " + reason);
        this.libc = LibCRuntime.libc();
        this.pidfds = new PidfdWatch(libc);
        boolean countBytes = !"false".equalsIgnoreCase(System.getProperty(BYTES_PROPERTY));
        EnumSet<Capability> caps = EnumSet.of(Capability.RAW_FD, Capability.EOF_FLAG);
        if (PidfdWatch.usable()) caps.add(Capability.PROCESS_EXIT);
        if (countBytes) caps.add(Capability.BYTES_AVAILABLE);
        if (PosixSpawner.instanceOrNull() != null) caps.add(Capability.SPAWN);
        this.capabilities = Collections.unmodifiableSet(caps);
        EpollEventLayout layout = EpollEventLayout.current();
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
        useWaker(w);
        this.bridge = b;
        this.ctl = new EpollCtl(libc, ep, layout, table);
        this.wait = new EpollWait(this, libc, ep, layout, table, w, b, countBytes);
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

    // ================================================================ register

    @Override
    public void register(Source source, int interest) throws IOException {
        Owner owner = checkRegistration(source, interest);
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
                ctl.sync((EpollItem) owner.descriptor());
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
        if (fd == epfd || waker().owns(fd)) {
            throw new IllegalArgumentException("fd " + fd + " is this epoll backend's own "
                    + (fd == epfd ? "epoll fd" : "wakeup eventfd") + "; it cannot be waited on");
        }
        EpollItem e = liveAtFd(fd); // fact 3: owners whose channel is closed are forgotten first
        if (e != null && e.process) {
            throw new IllegalArgumentException("fd " + fd + " is the pidfd kwait opened to watch process "
                    + e.owner(0).source().pid() + ", not a file of the caller; was the fd closed while still waited on?");
        }
        if (e == null) {
            e = new EpollItem(fd, false);
            e.noByteCount = source.channel() instanceof ServerSocketChannel;
            addItem(e, source, interest);
        } else {
            Owner owner = table.attach(source, interest, e);
            try {
                if (e.events == 0) ctl.sync(e);
                else ctl.verifyAndSync(e); // fact 3
            } catch (IOException | RuntimeException ex) {
                table.release(owner);
                if (e.ownerCount() == 0) {
                    if (e.events != 0) ctl.delQuietly(e);
                    table.remove(e);
                }
                throw ex;
            }
        }
    }

    private void registerProcess(Source source, int interest) throws IOException {
        int pidfd = pidfds.open(source.pid()); // fact 10 in PidfdWatch
        if (pidfd < 0) {
            // Gone already (exited and reaped): the next poll reports it (table fact 4).
            table.addPendingExit(source, interest);
            return;
        }
        EpollItem stale = table.atFd(pidfd);
        if (stale != null) table.orphan(stale); // fact 3: a raw fd the caller closed; its number is our pidfd now
        try {
            addItem(new EpollItem(pidfd, true), source, interest);
        } catch (IOException | RuntimeException ex) {
            libc.close(pidfd);
            throw ex;
        }
    }

    /** Adds a new item with its first owner and the kernel's item for it; a failure leaves nothing behind. */
    private void addItem(EpollItem e, Source source, int interest) throws IOException {
        table.add(e);
        Owner owner = table.attach(source, interest, e);
        try {
            ctl.sync(e);
        } catch (IOException | RuntimeException ex) {
            table.release(owner);
            table.remove(e);
            throw ex;
        }
    }

    /** Drops every trace of an owner, and its epoll item or pidfd when it was the last owner. */
    @Override
    protected void forget(Owner owner) {
        EpollItem e = table.release(owner);
        if (e == null) return;
        if (e.process) {
            table.remove(e);
            libc.close(e.fd); // removes its epoll item too: the pidfd was only ever ours
        } else if (e.ownerCount() == 0) {
            if (e.events != 0) ctl.delQuietly(e);
            table.remove(e);
        } else {
            try {
                ctl.sync(e);
            } catch (IOException | RuntimeException ignored) {
                // The remaining owners meet the problem at their next register or poll.
            }
        }
    }

    // ================================================================ poll, lifecycle

    @Override
    protected int pollOpen(long timeoutNanos, ReadySink sink) throws IOException {
        return wait.poll(timeoutNanos, sink);
    }

    /** Fact 11: the epoll fd (and with it every item of the caller's fds), every pidfd and the bridge's Selector. */
    @Override
    protected void release() {
        IOException failure = null;
        try {
            bridge.close();
        } catch (IOException e) {
            failure = e;
        }
        for (EpollItem e : table.descriptors()) {
            if (e.process) libc.close(e.fd);
        }
        table.clear();
        libc.close(epfd);
        if (failure != null) throw new UncheckedIOException("closing the epoll backend's selector failed", failure);
    }

    @Override
    public String toString() {
        return "EpollBackend[" + (isClosed() ? "closed" : "epfd " + epfd + ", " + table.size() + " registered") + "]";
    }
}
