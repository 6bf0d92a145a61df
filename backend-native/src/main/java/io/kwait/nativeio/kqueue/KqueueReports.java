/*
 * Facts about kqueue that shape this file (the reports). The kqueue backend's facts are numbered
 * across its files; the index is at the top of KqueueBackend.java, and a fact cited here without
 * a file is one of this file's.
 *
 * 2. A kevent is keyed by (ident, filter) per kqueue; udata comes back with every event. Each
 *    watched object is a descriptor of the DescriptorTable, and udata is its tag (generation << 32
 *    | slot; table fact 1). A slot gets a new generation whenever it is reused, so an event or a
 *    change error still in flight for a descriptor that was forgotten (fd closed and its number
 *    reused, process deregistered) finds another generation in the slot and is dropped instead of
 *    reaching the new owner (the Go netpoller's sequence tag). udata 0 (never a descriptor's)
 *    marks our own wakeup event and every EV_DELETE.
 *
 * 6. Readiness. EVFILT_READ/EVFILT_WRITE are level-triggered without EV_CLEAR, as the core wants.
 *    EVFILT_READ's data is the number of bytes readable (for a listening socket: the backlog, so
 *    ServerSocketChannel sources report 0); EVFILT_WRITE's data is the room in the send buffer,
 *    which the SPI has no place for (data is the READ byte count or 0). READ and WRITE of one fd are
 *    separate kevents; they are merged into one report per source and poll, except that READ and
 *    WRITE go in two reports when their flags differ or READ has a byte count (each Fired carries
 *    its own filter's data and flags: Owner.report). EV_EOF is ReadyFlags.EOF on the filter it came with; EV_EOF with a non-zero fflags is a socket error (fflags = its errno):
 *    ReadyFlags.ERROR with an IOException naming it.
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.Waker;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.function.Consumer;

import static io.kwait.nativeio.kqueue.Knotes.NO_ENTRY;

/**
 * The kqueue backend's findings: decodes returned kevents into their descriptors ({@link #collect}),
 * then reports them, one call per source ({@link #report}).
 */
final class KqueueReports {
    private final OpenKqueue kq;
    private final DescriptorTable<Knotes> table;
    private final Waker waker;
    private final Consumer<Owner> forget;
    private final ProcWatch procs;
    /** Descriptors with something to report, in the order first touched; reported by the next poll. */
    private final ArrayList<Knotes> touched = new ArrayList<>();
    /** Incremented when a poll's report starts; a descriptor's findings belong to {@link Knotes#seq}. */
    private int pollSeq = 1;

    KqueueReports(OpenKqueue kq, DescriptorTable<Knotes> table, Waker waker, Consumer<Owner> forget, ProcWatch procs) {
        this.kq = kq;
        this.table = table;
        this.waker = waker;
        this.forget = forget;
        this.procs = procs;
    }

    /** Whether findings wait to be reported: a poll must not block then. */
    boolean pending() {
        return !touched.isEmpty();
    }

    /** Forgets every finding (the backend's close). */
    void clear() {
        touched.clear();
    }

    /** Decodes {@code n} returned kevents into their descriptors' findings (no sink calls here). */
    void collect(ByteBuffer b, int n) {
        KeventLayout layout = kq.layout;
        for (int i = 0; i < n; i++) {
            int filter = layout.filter(b, i);
            int flags = layout.flags(b, i);
            long udata = layout.udata(b, i);
            long data = layout.data(b, i);
            if ((flags & kq.evError) != 0) {
                if (data != 0) onChangeError(filter, layout.ident(b, i), udata, (int) data);
                continue; // data 0: a receipt of a change that worked
            }
            if (udata == NO_ENTRY) { // our wakeup (fact 8 in KqueueBackend)
                waker.drain();
                continue;
            }
            Knotes e = table.atTag(udata);
            if (e == null) continue; // fact 2: stale
            touch(e);
            int fflags = layout.fflags(b, i);
            if (filter == kq.evfiltProc) {
                if ((fflags & kq.noteExit) != 0 || (flags & kq.evEof) != 0) {
                    e.exited = true;
                    e.statusKnown = (fflags & kq.statusNote) != 0;
                    e.exitData = data;
                }
            } else {
                int bit = filter == kq.evfiltRead ? Interest.READ : filter == kq.evfiltWrite ? Interest.WRITE : 0;
                if (bit == 0) continue;
                e.ready |= bit;
                if ((flags & kq.evEof) != 0) {
                    e.eofBits |= bit;
                    if (fflags != 0 && e.error == null) {
                        e.error = new IOException("fd " + e.fd + ": socket error " + kq.describe(fflags)
                                + " (kevent EV_EOF); the next read, write or finishConnect() reports it too");
                    }
                }
                if (bit == Interest.READ) e.bytes = Math.max(0, data);
            }
        }
    }

    /** Fact 4 in ChangeList: a failed change; only a descriptor's EV_ADD matters. */
    private void onChangeError(int filter, long ident, long udata, int errno) {
        if (udata == NO_ENTRY) return; // EV_DELETE: the knote is gone already
        Knotes e = table.atTag(udata);
        if (e == null) return; // stale: the descriptor was forgotten since the change was queued
        if (errno == kq.epipe && !e.process) return; // old macOS, see fact 4 in ChangeList
        int bit = filter == kq.evfiltRead ? Interest.READ : filter == kq.evfiltWrite ? Interest.WRITE : Interest.EXIT;
        e.added &= ~bit;
        touch(e);
        if (e.error == null) {
            String what = filter == kq.evfiltRead ? "EVFILT_READ" : filter == kq.evfiltWrite ? "EVFILT_WRITE" : "filter " + filter;
            e.error = new IOException("kevent(EV_ADD, " + what + ") for fd " + ident + " failed: " + kq.describe(errno)
                    + (errno == kq.ebadf ? "; the fd is not open (closed, or never opened)" : ""));
            e.errorIsBadFd = errno == kq.ebadf;
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

    /**
     * Reports what {@link #collect} gathered, one call per source; the sink may register and
     * deregister meanwhile, and its changes are queued in {@code changes} (which grows meanwhile,
     * fact 3 in ChangeList).
     */
    int report(ReadySink sink, ChangeList changes) {
        int reported = 0;
        Knotes[] list = touched.toArray(new Knotes[0]);
        touched.clear();
        pollSeq++; // what the sink's own changes produce belongs to the next poll
        changes.reporting = true;
        try {
            if (table.hasPendingExits()) reported += table.reportPendingExits(sink, forget);
            for (Knotes e : list) {
                reported += e.process ? procs.reportExit(e, sink) : reportFd(e, sink);
            }
        } finally {
            changes.reporting = false;
        }
        return reported;
    }

    private int reportFd(Knotes e, ReadySink sink) {
        int reported = 0;
        for (Owner owner : e.snapshot()) { // the sink may register and deregister meanwhile
            if (owner.descriptor() != e) continue;
            Source source = owner.source();
            SelectableChannel channel = source.channel();
            if (table.reportIfClosedChannel(owner, sink, forget)) { // fact 5 in KqueueBackend
                reported++;
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
            int ready = e.ready & owner.interest() & ~source.fired(); // fired bits wait for their waiters
            if (ready == 0) continue;
            int readFlags = (e.eofBits & Interest.READ) != 0 ? ReadyFlags.EOF : 0;
            int writeFlags = (e.eofBits & Interest.WRITE) != 0 ? ReadyFlags.EOF : 0;
            long data = (ready & Interest.READ) != 0 && !e.noByteCount ? e.bytes : 0;
            reported += owner.report(sink, ready, readFlags, writeFlags, data); // fact 6: each filter its own data and flags
        }
        return reported;
    }
}
