package io.kwait.kqueue.sim;

import io.kwait.kqueue.sim.FdFilter.FdWatch;
import io.kwait.kqueue.sim.ProcFilter.ProcWatch;

/** One registered event of a simulated kqueue, keyed by (ident, filter). */
final class Knote {
    final long ident;
    final int filter;
    /** Flags as registered, without the action bits (kern_event.c keeps them that way). */
    int flags;
    int sfflags;
    long sdata;
    long udata;
    boolean enabled = true;
    /** Active outside epoll, waiting in {@link SimulatedQueue#pending}: a triggered user event, an exit, an edge. */
    boolean active;
    FdWatch fd;
    ProcWatch proc;
    /** Edge-triggered fd knotes: the epoll events of the edge not yet delivered. */
    int edgeEvents;
    // EVFILT_USER state
    int userFflags;
    long userData;

    Knote(long ident, int filter) {
        this.ident = ident;
        this.filter = filter;
    }

    /** (ident, filter): what a knote is keyed by in one kqueue. */
    record Key(long ident, int filter) {}
}
