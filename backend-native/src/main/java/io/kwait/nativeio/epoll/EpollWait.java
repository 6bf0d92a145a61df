/*
 * Facts about epoll that shape this file: the wait and the reports. The epoll backend's facts are
 * numbered across its files; the index is at the top of EpollBackend.java, and a fact cited here
 * without a file is one of this file's.
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
 * 8. Blocking. A virtual thread inside epoll_wait (a native call through JNR) pins its carrier,
 *    and no thread inside it notices Thread.interrupt(). kwait tasks may be virtual threads, and a
 *    task that finds nothing runnable polls. So on a virtual thread a blocking poll first calls
 *    epoll_wait with timeout 0; only if that finds nothing does it block in a JDK Selector that
 *    watches the epoll fd itself (SelectorBridge: an epoll fd is readable while it has events),
 *    which is interruptible and on JDK 22+ unmounts a virtual thread; then epoll_wait(0) collects.
 *    A platform thread (a plain thread's wait, the continuation strand's runner) has no carrier
 *    to free: it blocks in one epoll_wait with the timeout, inside an InterruptHook whose close
 *    hook writes the eventfd (fact 9 in EpollBackend), so an interrupt still ends it. That is one
 *    syscall per blocking poll instead of three (the Selector's own epoll_wait between two
 *    epoll_wait(0)); cross-thread wakeups reach either through the eventfd in the epoll set.
 *    That one call is epoll_pwait2 (Linux 5.11) where the kernel has it: its timeout is a
 *    timespec, so a timer due in 300 us wakes the poll after 300 us (plus the kernel's timer
 *    slack, 50 us by default), not after a whole millisecond. ENOSYS (an older kernel) or EPERM
 *    (a seccomp filter) from it, seen once, switches the JVM to epoll_wait. Elsewhere (epoll_wait,
 *    the Selector) timeouts are rounded up to whole milliseconds (1 ns waits 1 ms, never 0) and
 *    clamped to Integer.MAX_VALUE ms. Both retry EINTR with the remaining time recomputed.
 *
 * 12. Every ready event in one poll (the contract is one report per fired event, not per buffer).
 *     The event buffer is sized from the registrations before each poll: the kernel cannot have
 *     more ready items than our descriptors plus the eventfd, so one epoll_wait returns them all.
 *     Items the table no longer knows (fact 2 in EpollBackend: a file alive in another fd) can
 *     still fill it; a full buffer is therefore followed by another epoll_wait(0) in a buffer twice
 *     as large, and since epoll hands level-triggered items out round-robin, a descriptor already
 *     reported in this poll is skipped the second time.
 *
 * 13. Fired bits (Source.fired()): bits whose every waiter has been woken are skipped before any
 *     work, so a socket whose task is queued but has not run costs no FIONREAD and no report
 *     however many polls pass (at 1,000 busy connections that was ~16 ioctl per request). The
 *     kernel still hands the level-triggered item back, which costs a tag lookup here; masking it
 *     in the kernel instead (EPOLL_CTL_MOD, EPOLLONESHOT) would cost a syscall per wait, the very
 *     thing this saves. The core never blocks while bits are fired, so the early return of a
 *     blocking epoll_wait on such an item cannot happen.
 */
package io.kwait.nativeio.epoll;

import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.InterruptHook;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.PollTimeouts;
import io.kwait.nativeio.SelectorBridge;
import io.kwait.nativeio.SourceChecks;
import io.kwait.nativeio.Waker;
import io.kwait.nativeio.binding.LibC;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.io.IOException;
import java.util.function.Consumer;

import static io.kwait.nativeio.epoll.Linux.EINTR;
import static io.kwait.nativeio.epoll.Linux.EPOLLERR;
import static io.kwait.nativeio.epoll.Linux.EPOLLHUP;
import static io.kwait.nativeio.epoll.Linux.EPOLLIN;
import static io.kwait.nativeio.epoll.Linux.EPOLLOUT;
import static io.kwait.nativeio.epoll.Linux.EPOLLRDHUP;

/** The epoll backend's poll: epoll_wait into an event buffer, the blocking detour, and the reports. */
final class EpollWait {
    private static final int INITIAL_EVENTS = 64;
    /** Whether epoll_pwait2 may be tried (fact 8); false once the kernel or a filter refused it. */
    private static volatile boolean pwait2 = true;

    /** The backend's forget (a report forgets what is reported once, and closed channels). */
    private final Consumer<Owner> forget;
    private final LibC libc;
    private final int epfd;
    private final EpollEventLayout layout;
    private final DescriptorTable<EpollItem> table;
    private final Waker waker;
    private final SelectorBridge bridge;
    private final boolean countBytes;
    private InterruptHook hook;

    private Memory events;
    private int capacity;
    /** Counts polls; a descriptor reported by this poll carries it (fact 12). */
    private int pollSeq;
    /** 8 bytes for the poll thread: the FIONREAD result. */
    private final Memory scratch = new Memory(8);
    /** A struct timespec for epoll_pwait2. */
    private final Memory timespec = new Memory(16);
    /** The bridge's non-blocking collect (made once: polls allocate nothing). */
    private final SelectorBridge.Collect collectNow = () -> epollWait(0);

    EpollWait(EpollBackend backend, LibC libc, int epfd, EpollEventLayout layout, DescriptorTable<EpollItem> table,
              Waker waker, SelectorBridge bridge, boolean countBytes) {
        this.forget = backend::forget;
        this.libc = libc;
        this.epfd = epfd;
        this.layout = layout;
        this.table = table;
        this.waker = waker;
        this.bridge = bridge;
        this.countBytes = countBytes;
        this.hook = new InterruptHook(waker);
        this.capacity = INITIAL_EVENTS;
        this.events = new Memory(capacity * layout.size());
    }

    /** {@link io.kwait.spi.Backend#poll}, on an open backend. */
    int poll(long timeoutNanos, ReadySink sink) throws IOException {
        if (capacity <= table.size()) growEvents(table.size() + 1); // fact 12: room for every item
        boolean mayBlock = timeoutNanos != 0 && !table.hasPendingExitToReport() && !waker.isPending();
        int n;
        if (!mayBlock) {
            n = epollWait(0);
        } else if (!Thread.currentThread().isVirtual()) {
            n = blockingWait(timeoutNanos); // fact 8: one epoll_wait, interruptible through the hook
        } else {
            n = bridge.collectOrAwait(timeoutNanos, collectNow); // fact 8: interruptible, and a virtual thread unmounts
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

    /** Fact 8: a platform thread blocks in epoll_wait itself; an interrupt wakes it through the hook. */
    private int blockingWait(long timeoutNanos) throws IOException {
        hook.enter();
        try {
            if (pwait2) {
                int n = epollPwait2(timeoutNanos);
                if (n >= 0) return n;
            }
            return epollWait(PollTimeouts.toMillisRoundingUp(timeoutNanos));
        } finally {
            if (hook.leave()) hook = new InterruptHook(waker); // an interrupt spends the hook
        }
    }

    /** Fact 8: epoll_pwait2 with a nanosecond timeout; -1 when it is not usable here (then never tried again). */
    private int epollPwait2(long timeoutNanos) throws IOException {
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        long left = timeoutNanos;
        while (true) {
            long ts = 0L; // NULL: no limit
            if (left >= 0) {
                timespec.bytes.putLong(0, left / 1_000_000_000L);
                timespec.bytes.putLong(8, left % 1_000_000_000L);
                ts = timespec.address;
            }
            long n = libc.syscall(Linux.SYS_EPOLL_PWAIT2, epfd, events.address, capacity, ts, 0L, 0L);
            if (n >= 0) return (int) n;
            int err = LibCRuntime.errno();
            if (err == Linux.ENOSYS || err == Linux.EPERM) {
                pwait2 = false;
                return -1;
            }
            if (err != EINTR) throw new IOException("epoll_pwait2 failed: " + LibCRuntime.describe(err));
            if (timeoutNanos > 0) left = Math.max(0, deadline - System.nanoTime());
        }
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
        if (table.hasPendingExits()) reported += table.reportPendingExits(sink, forget);
        int size = layout.size();
        int dataOffset = layout.dataOffset();
        for (int i = 0; i < n; i++) {
            int base = i * size;
            int ev = events.bytes.getInt(base + EpollEventLayout.EVENTS_OFFSET);
            long data = events.bytes.getLong(base + dataOffset);
            if (data == EventfdWaker.TAG) {
                waker.drain(); // fact 9 in EpollBackend: drain first, then clear the flag
                waker.clear();
                continue;
            }
            EpollItem e = table.atTag(data);
            if (e == null) continue; // fact 1 in EpollCtl: stale, for an fd forgotten or re-added since
            if (e.reportedIn == pollSeq) continue; // fact 12: handed out again in a later round
            e.reportedIn = pollSeq;
            if (e.process) {
                Owner owner = e.owner(0);
                forget.accept(owner); // reported once; closes the pidfd (fact 10 in PidfdWatch)
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

    private int reportFd(EpollItem e, int ev, ReadySink sink) {
        int reported = 0;
        long bytes = -1;
        for (Owner owner : e.snapshot()) { // the sink may register and deregister meanwhile
            if (owner.descriptor() != e) continue;
            Source source = owner.source();
            // Fired bits wait for their waiters to wait again: no report, no FIONREAD (fact 13).
            int interest = owner.interest() & ~source.fired();
            if (interest == 0) continue;
            if (table.reportIfClosedChannel(owner, sink, forget)) { // fact 2 in EpollBackend
                reported++;
                continue;
            }
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
    private long bytesAvailable(EpollItem e) {
        if (libc.ioctlFixedArity(e.fd, Linux.FIONREAD, scratch.address) < 0) {
            int err = LibCRuntime.errno();
            if (err == Linux.EINVAL || err == Linux.ENOTTY) e.noByteCount = true;
            return 0;
        }
        return Math.max(0, scratch.bytes.getInt(0));
    }
}
