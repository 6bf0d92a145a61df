/*
 * Facts about kqueue that shape this file (the change list). The kqueue backend's facts are numbered
 * across its files; the index is at the top of KqueueBackend.java, and a fact cited here without
 * a file is one of this file's.
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
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongPredicate;

/** The kqueue backend's batched changes (fact 3), and the changes applied at once with EV_RECEIPT (fact 4). */
final class ChangeList {
    /** Changes batched before a standalone flush (fact 3). */
    static final int CAPACITY = 64;

    private final OpenKqueue kq;
    private final KqueueReports reports;
    private Memory changes;
    private int capacity = CAPACITY;
    private int count;
    /** Set while poll() reports: a full list grows instead of being flushed (fact 3). */
    boolean reporting;
    private final Memory receipts;
    /** Two kevents: a change applied at once (index 0) and its receipt (index 1). */
    private final Memory single;
    /** Whether an EV_ADD's udata names a descriptor whose channels were all closed since it was queued (fact 5 in KqueueBackend). */
    private final LongPredicate closedSince;

    /**
     * @param reports where the errors of a standalone flush go
     * @param closedSince the test of {@link #dropClosed()}
     */
    ChangeList(OpenKqueue kq, KqueueReports reports, LongPredicate closedSince) {
        this.kq = kq;
        this.reports = reports;
        this.closedSince = closedSince;
        int size = kq.layout.size();
        this.changes = new Memory(CAPACITY * size);
        this.receipts = new Memory(CAPACITY * size);
        this.single = new Memory(2 * size);
    }

    /** The number of changes queued. */
    int count() {
        return count;
    }

    /**
     * Fact 5 in KqueueBackend: takes out every queued EV_ADD whose channel was closed since it was
     * queued, before a kevent() applies the list. Its number may name another file by now (one the
     * program opened since), which would get a knote nobody owns. Called right before each kevent()
     * that carries the list; a close by another thread after that is the same race as on epoll.
     */
    void dropClosed() {
        drop(closedSince);
    }

    /** Fact 5 in KqueueBackend: takes out the queued EV_ADDs of one descriptor (its closed channel was forgotten). */
    void dropAddsOf(long tag) {
        drop(udata -> udata == tag);
    }

    private void drop(LongPredicate addOf) {
        if (count == 0) return;
        KeventLayout layout = kq.layout;
        ByteBuffer b = changes.bytes;
        int size = layout.size();
        int kept = 0;
        for (int i = 0; i < count; i++) {
            long udata = layout.udata(b, i);
            if ((layout.flags(b, i) & kq.evAdd) != 0 && udata != Knotes.NO_ENTRY && addOf.test(udata)) continue;
            if (kept != i) b.put(kept * size, b, i * size, size);
            kept++;
        }
        count = kept;
    }

    /** The address of the queued changes, for a kevent() that applies them. */
    long address() {
        return changes.address;
    }

    /** Forgets the queued changes: a kevent() took them, or the backend closes. */
    void taken() {
        count = 0;
    }

    void queue(long ident, int filter, int flags, int fflags, long udata) throws IOException {
        KeventLayout layout = kq.layout;
        if (count == capacity) {
            if (reporting) { // fact 3: grow instead of starting a kevent() in the middle of a report
                capacity *= 2;
                Memory bigger = new Memory(capacity * layout.size());
                bigger.bytes.put(0, changes.bytes, 0, count * layout.size());
                changes = bigger;
            } else {
                flush();
            }
        }
        layout.put(changes.bytes, count++, ident, filter, flags, fflags, 0, udata);
    }

    void queueQuietly(long ident, int filter, int flags, int fflags, long udata) {
        try {
            queue(ident, filter, flags, fflags, udata);
        } catch (IOException ignored) {
            // a failed standalone flush: the delete is lost, and with it nothing a poll could report
        }
    }

    /** Fact 3/4: applies the queued changes on their own, with EV_RECEIPT, and files their errors. */
    private void flush() throws IOException {
        dropClosed();
        int n = count;
        if (n == 0) return;
        KeventLayout layout = kq.layout;
        ByteBuffer b = changes.bytes;
        for (int i = 0; i < n; i++) layout.setFlags(b, i, layout.flags(b, i) | kq.evReceipt);
        int m = kq.sys.kevent(kq.fd, changes.address, n, receipts.address, n, kq.zeroTimespec.address);
        count = 0;
        if (m < 0) {
            throw new IOException("kevent() applying " + n + " changes failed: " + kq.describe(kq.sys.errno()));
        }
        reports.collect(receipts.bytes, m);
    }

    /**
     * Applies one change at once with EV_RECEIPT and returns its errno (0: done). The batched
     * changes are not involved: they concern other idents or filters, and order between different
     * knotes does not matter.
     */
    int applyNow(long ident, int filter, int flags, int fflags, long udata) throws IOException {
        KeventLayout layout = kq.layout;
        ByteBuffer b = single.bytes;
        layout.put(b, 0, ident, filter, flags | kq.evReceipt, fflags, 0, udata);
        layout.put(b, 1, 0, 0, 0, 0, 0, 0);
        int n = kq.sys.kevent(kq.fd, single.address, 1, single.address + layout.size(), 1, kq.zeroTimespec.address);
        if (n < 0) return kq.sys.errno(); // no room cannot be the cause: the change itself failed
        if (n == 1 && (layout.flags(b, 1) & kq.evError) != 0) return (int) layout.data(b, 1);
        return 0; // no receipt: an OS that ignores EV_RECEIPT reports only failures
    }
}
