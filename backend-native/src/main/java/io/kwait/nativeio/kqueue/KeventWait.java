/*
 * Facts about kqueue that shape this file (the wait). The kqueue backend's facts are numbered
 * across its files; the index is at the top of KqueueBackend.java, and a fact cited here without
 * a file is one of this file's.
 *
 * 9. Blocking and interruption. A blocking poll sleeps in kevent() with the timeout (a timespec:
 *    nanoseconds, no rounding; FreeBSD silently caps it at 24 hours, the core polls again). A thread
 *    inside a native call does not notice Thread.interrupt(), so the wait runs inside an InterruptHook
 *    (begin() and end() of a java.nio AbstractInterruptibleChannel whose close hook calls wakeup()):
 *    the JDK runs it when the thread is interrupted (also at once if it already is), and kevent() returns. (The
 *    JDK keeps one such hook per thread: nothing inside the wait may use another, which is why the
 *    simulated kevent() sleeps in poll(2), not in a Selector.) EINTR is retried with the remaining
 *    time; the changes were applied before the call slept (FreeBSD kqueue(2)).
 *    A virtual thread inside kevent() holds its carrier thread for as long as it sleeps, so 200
 *    virtual threads blocked in waits starved every other one (issue 9 defect 11). The epoll
 *    backend parks a virtual thread in a JDK Selector watching its epoll fd; that cannot work here:
 *    a Selector needs its fd in non-blocking mode, and fcntl(F_SETFL, O_NONBLOCK) on a kqueue fd
 *    fails (kqueue_ioctl answers ENOTTY to FIONBIO on FreeBSD and xnu). So a virtual thread's
 *    blocking kevent() runs on a platform thread of the backend (KeventOffload, started by the
 *    first such poll, ended by close) while the virtual thread parks, unmounted; an interrupt of
 *    the virtual thread wakes that kevent() through the waker and leaves the flag set. This is
 *    what the JDK's own poller threads do for blocking sockets. Platform threads still block in
 *    kevent() themselves, under the hook above.
 *
 * 12. Every ready event in one poll. The event list is sized from the registrations before each
 *     poll (two filters per fd descriptor, one per process, the wakeup, one error per queued
 *     change), so one kevent() returns everything ready. Should it still come back full, kevent(0)
 *     runs again with a list twice as large before anything is reported; the findings of both
 *     merge in the descriptors (KqueueReports.collect), so an event handed out twice is reported once.
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.InterruptHook;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.Waker;
import io.kwait.spi.ReadySink;

import java.io.IOException;

/** The kqueue backend's poll: one kevent() with the batched changes into an event list, then the reports. */
final class KeventWait {
    /** Initial event list: never smaller than the change list, so every change's error has room (fact 4 in ChangeList). */
    private static final int INITIAL_EVENTS = 64;
    private final OpenKqueue kq;
    private final ChangeList changes;
    private final KqueueReports reports;
    private final DescriptorTable<Knotes> table;
    private final Waker waker;
    private Memory events;
    private int capacity;
    private final Memory timespec = new Memory(KeventLayout.TIMESPEC_SIZE);
    private InterruptHook hook;
    /** Where a virtual thread's blocking kevent() runs (fact 9). */
    private final KeventOffload offload;

    KeventWait(OpenKqueue kq, ChangeList changes, KqueueReports reports, DescriptorTable<Knotes> table, Waker waker) {
        this.kq = kq;
        this.changes = changes;
        this.reports = reports;
        this.table = table;
        this.waker = waker;
        this.hook = new InterruptHook(waker);
        this.capacity = Math.max(INITIAL_EVENTS, ChangeList.CAPACITY);
        this.events = new Memory(capacity * kq.layout.size());
        this.offload = new KeventOffload("kwait-kevent-" + kq.fd, this::keventWait, waker); // fact 9
    }

    /** {@link io.kwait.spi.Backend#poll}, on an open backend. */
    int poll(long timeoutNanos, ReadySink sink) throws IOException {
        try {
            boolean mayBlock = timeoutNanos != 0 && !reports.pending() && !table.hasPendingExitToReport() && !waker.isPending();
            int needed = 2 * table.size() + changes.count() + 1; // fact 12
            if (capacity < needed) growEvents(needed);
            int n;
            if (mayBlock && Thread.currentThread().isVirtual()) {
                n = offload.run(timeoutNanos); // fact 9: the virtual thread unmounts meanwhile
            } else {
                n = keventWait(mayBlock ? timeoutNanos : 0);
            }
            reports.collect(events.bytes, n);
            while (n == capacity) { // fact 12: more than we expected; look again, in a bigger list
                growEvents(capacity * 2);
                n = keventWait(0);
                reports.collect(events.bytes, n);
            }
            return reports.report(sink, changes);
        } finally {
            waker.clear(); // fact 8 in KqueueBackend: the triggered event stays in the kernel until a poll takes it
        }
    }

    /** One kevent() with the batched changes and a wait of at most {@code timeoutNanos} (fact 9). */
    private int keventWait(long timeoutNanos) throws IOException {
        changes.dropClosed(); // fact 5 in KqueueBackend
        int nch = changes.count();
        if (capacity < nch) growEvents(nch); // fact 4 in ChangeList: room for an error per change (the list grew during a report)
        boolean blocking = timeoutNanos != 0;
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        if (blocking) hook.enter();
        try {
            int n = kq.sys.kevent(kq.fd, changes.address(), nch, events.address, capacity, timespecFor(timeoutNanos));
            changes.taken(); // applied, also on EINTR (fact 9); on any other failure the message says they are lost
            while (n < 0) {
                int err = kq.sys.errno();
                if (err != kq.eintr) {
                    throw new IOException("kevent() failed: " + kq.describe(err)
                            + (nch > 0 ? "; " + nch + " queued registration changes are lost" : ""));
                }
                long left = timeoutNanos < 0 ? -1 : deadline - System.nanoTime();
                if (timeoutNanos >= 0 && left <= 0) return 0;
                n = kq.sys.kevent(kq.fd, 0L, 0, events.address, capacity, timespecFor(left));
            }
            return n;
        } finally {
            if (blocking && hook.leave()) hook = new InterruptHook(waker); // an interrupt spends the hook
        }
    }

    /** Ends the platform thread virtual threads' blocking kevent() ran on (fact 9), before the kqueue fd is closed. */
    void close() {
        offload.close();
    }

    private void growEvents(int atLeast) {
        capacity = Math.max(atLeast, capacity * 2);
        events = new Memory(capacity * kq.layout.size());
    }

    private long timespecFor(long timeoutNanos) {
        if (timeoutNanos < 0) return 0L; // NULL: no limit
        if (timeoutNanos == 0) return kq.zeroTimespec.address;
        KeventLayout.putTimespec(timespec.bytes, 0, timeoutNanos);
        return timespec.address;
    }
}
