/*
 * Facts about per-object bookkeeping that shape this file (shared by the epoll and kqueue backends;
 * each backend's own essay cites these as "table fact N").
 *
 * 1. The kernel hands back 64 bits of our choosing with every event (epoll_event.data, kevent
 *    udata). They are (generation << 32 | slot): the slot finds the descriptor without a map, and
 *    the generation, new whenever a slot is (re)used or a backend re-adds the object, makes an
 *    event still queued for a descriptor that was forgotten since (its fd closed and the number
 *    reused, a process deregistered) find another tag in the slot and be dropped instead of
 *    reaching the new owner (the Go netpoller's sequence tag, runtime/netpoll.go). Slot 0 is never
 *    used, so tag 0 is free for each backend's wakeup.
 *
 * 2. One descriptor per kernel object and backend: sources on the same fd number (a raw fd and the
 *    channel that owns it) or, on kqueue, the same pid share it; its owners' interests are unioned
 *    for the kernel and filtered again per owner in reports.
 *
 * 3. Closing a channel removes its kernel state silently on every OS, and the number may be reused
 *    at once. Owners whose channel is closed are therefore forgotten whenever their number is
 *    registered again and whenever the registration count is asked for (Kernel.stats() is "what
 *    is held now"), and each backend reports an event that still reaches one as an ERROR.
 *
 * 4. A process that had exited before it could be watched has no kernel object: it is a pending
 *    exit, an owner without descriptor that the next poll reports (and that keeps the poll from
 *    blocking).
 */
package io.kwait.nativeio;

import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.nio.channels.ClosedChannelException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.function.Consumer;

/**
 * The descriptor table of a native backend: its {@link Descriptor}s by slot (for events), by fd
 * number and by pid (for registrations), the {@link Owner}s that hold them, and the pending exits.
 * Bookkeeping only: the backend makes the system calls and calls this on the polling thread.
 *
 * @param <D> the backend's descriptor type
 */
public final class DescriptorTable<D extends Descriptor> {
    private final String name;
    private Descriptor[] slots = new Descriptor[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int usedSlots = 1; // slot 0 stays empty: tag 0 is the wakeup's (fact 1)
    private int nextGeneration = 1;
    private Descriptor[] byFd = new Descriptor[64];
    private final HashMap<Long, Descriptor> byPid = new HashMap<>();
    private final ArrayList<Owner> pendingExits = new ArrayList<>();
    private int owners;

    /** @param name the backend's name, for messages */
    public DescriptorTable(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    // ---------------------------------------------------------------- lookup

    /**
     * The owner a source holds in this table, or null if it has none.
     *
     * @throws IllegalStateException the source carries another backend's state
     */
    public Owner ownerOf(Source source) {
        Object state = source.backendState();
        if (state == null) return null;
        if (!(state instanceof Owner o) || o.table != this) {
            throw new IllegalStateException(source + " carries state of another backend (" + state
                    + "); the core must use one Source per object and kernel");
        }
        return o;
    }

    /** Like {@link #ownerOf} but null, not an exception, for another backend's state. */
    public Owner ownerOrNull(Source source) {
        return source.backendState() instanceof Owner o && o.table == this ? o : null;
    }

    /** The descriptor for an fd number, or null. */
    @SuppressWarnings("unchecked")
    public D atFd(int fd) {
        return fd >= 0 && fd < byFd.length ? (D) byFd[fd] : null;
    }

    /** The descriptor watching a pid, or null. */
    @SuppressWarnings("unchecked")
    public D atPid(long pid) {
        return (D) byPid.get(pid);
    }

    /** The descriptor an event's tag names, or null when the tag is stale or 0 (fact 1). */
    @SuppressWarnings("unchecked")
    public D atTag(long tag) {
        int slot = (int) tag;
        if (slot <= 0 || slot >= usedSlots) return null;
        Descriptor d = slots[slot];
        return d != null && d.tag == tag ? (D) d : null;
    }

    // ---------------------------------------------------------------- descriptors

    /** Gives {@code d} a slot and a tag and indexes it by its fd number or pid. */
    public void add(D d) {
        int slot;
        if (freeCount > 0) {
            slot = freeSlots[--freeCount];
        } else {
            if (usedSlots == slots.length) slots = Arrays.copyOf(slots, slots.length * 2);
            slot = usedSlots++;
        }
        d.slot = slot;
        slots[slot] = d;
        retag(d);
        if (d.fd >= 0) {
            if (d.fd >= byFd.length) byFd = Arrays.copyOf(byFd, Math.max(d.fd + 1, byFd.length * 2));
            byFd[d.fd] = d;
        } else if (d.pid > 0) {
            byPid.put(d.pid, d);
        }
    }

    /** A new generation for {@code d}: events tagged before no longer find it (fact 1). */
    public void retag(D d) {
        int gen = nextGeneration++;
        if (nextGeneration == 0) nextGeneration = 1;
        d.tag = ((long) gen << 32) | d.slot;
    }

    /** Frees {@code d}'s slot and index entries; its tag matches nothing from now on. */
    public void remove(D d) {
        if (d.slot > 0 && d.slot < slots.length && slots[d.slot] == d) {
            slots[d.slot] = null;
            if (freeCount == freeSlots.length) freeSlots = Arrays.copyOf(freeSlots, freeSlots.length * 2);
            freeSlots[freeCount++] = d.slot;
            d.slot = 0;
        }
        if (d.fd >= 0 && d.fd < byFd.length && byFd[d.fd] == d) byFd[d.fd] = null;
        if (d.pid > 0) byPid.remove(d.pid, d);
    }

    /**
     * Removes {@code d} and detaches its owners without forgetting them (they stay registered,
     * with no descriptor, and start over on their next registration): for a number the backend
     * had to take for itself.
     */
    public void orphan(D d) {
        for (int i = 0; i < d.ownerCount; i++) d.owners[i].descriptor = null;
        Arrays.fill(d.owners, null);
        d.ownerCount = 0;
        remove(d);
    }

    // ---------------------------------------------------------------- owners

    /** Makes {@code source} an owner of {@code d} with {@code interest}; the source's state is set. */
    public Owner attach(Source source, int interest, D d) {
        Owner o = new Owner(this, source, interest);
        d.attach(o);
        source.setBackendState(o);
        owners++;
        return o;
    }

    /** Registers {@code source} as a process that had exited before it could be watched (fact 4). */
    public Owner addPendingExit(Source source, int interest) {
        Owner o = new Owner(this, source, interest);
        o.pendingExit = true;
        pendingExits.add(o);
        source.setBackendState(o);
        owners++;
        return o;
    }

    /**
     * Forgets an owner: clears the source's state and detaches it. Returns the descriptor it
     * held (now without it; the backend removes it or updates the kernel), or null when it held
     * none.
     */
    @SuppressWarnings("unchecked")
    public D release(Owner o) {
        if (o.source().backendState() == o) o.source().setBackendState(null);
        owners--;
        if (o.pendingExit) {
            pendingExits.remove(o);
            o.pendingExit = false;
            return null;
        }
        Descriptor d = o.descriptor;
        if (d == null) return null;
        d.detach(o);
        return (D) d;
    }

    /** Hands every owner of {@code d} whose channel is closed to {@code forget} (fact 3). */
    public void forgetClosedChannels(D d, Consumer<Owner> forget) {
        for (int i = d.ownerCount - 1; i >= 0; i--) {
            if (i < d.ownerCount && d.owners[i].isClosedChannel()) forget.accept(d.owners[i]);
        }
    }

    /**
     * The number of owners, after handing every owner whose channel is closed to {@code forget}
     * (fact 3: what a closed channel had is not held any more). Linear in the descriptors; it is
     * for {@code Kernel.stats()} and leak checks, not for every poll.
     */
    public int count(Consumer<Owner> forget) {
        if (owners == 0) return 0;
        ArrayList<Owner> closed = null;
        for (int s = 1; s < usedSlots; s++) {
            Descriptor d = slots[s];
            if (d == null || d.process) continue;
            for (int i = 0; i < d.ownerCount; i++) {
                if (d.owners[i].isClosedChannel()) {
                    if (closed == null) closed = new ArrayList<>();
                    closed.add(d.owners[i]);
                }
            }
        }
        if (closed != null) closed.forEach(forget);
        return owners;
    }

    /** Whether a pending exit waits to be reported (fact 4): a poll must not block then. */
    public boolean hasPendingExitToReport() {
        for (int i = 0; i < pendingExits.size(); i++) {
            if ((pendingExits.get(i).interest & Interest.EXIT) != 0) return true;
        }
        return false;
    }

    /** Whether any pending exit is registered. */
    public boolean hasPendingExits() {
        return !pendingExits.isEmpty();
    }

    /** The pending exits whose interest includes EXIT, as a copy (the caller forgets them while reporting). */
    private List<Owner> pendingExitsToReport() {
        ArrayList<Owner> due = new ArrayList<>(pendingExits.size());
        for (Owner o : pendingExits) {
            if ((o.interest & Interest.EXIT) != 0 && o.pendingExit) due.add(o);
        }
        return due;
    }

    /**
     * Reports every pending exit whose interest includes EXIT (fact 4), forgetting each first: a
     * pending exit is reported once.
     *
     * @return the number of sink calls made
     */
    public int reportPendingExits(ReadySink sink, Consumer<Owner> forget) {
        int reported = 0;
        for (Owner owner : pendingExitsToReport()) {
            if (!owner.isPendingExit()) continue; // forgotten by the sink meanwhile
            forget.accept(owner);
            reported++;
            sink.ready(owner.source(), Interest.EXIT, 0, 0, null);
        }
        return reported;
    }

    /**
     * If {@code owner}'s channel is closed (fact 3), forgets it and reports ERROR with a
     * {@link ClosedChannelException} for an event that still reached it.
     *
     * @return whether it was reported (one sink call)
     */
    public boolean reportIfClosedChannel(Owner owner, ReadySink sink, Consumer<Owner> forget) {
        if (!owner.isClosedChannel()) return false;
        forget.accept(owner);
        sink.ready(owner.source(), Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0, new ClosedChannelException());
        return true;
    }

    /** Every descriptor in the table, for a backend's close. */
    @SuppressWarnings("unchecked")
    public List<D> descriptors() {
        ArrayList<D> all = new ArrayList<>();
        for (int s = 1; s < usedSlots; s++) {
            if (slots[s] != null) all.add((D) slots[s]);
        }
        return all;
    }

    /** Forgets everything (the backend's close): every source's state is cleared, the count is 0. */
    public void clear() {
        for (int s = 1; s < usedSlots; s++) {
            Descriptor d = slots[s];
            if (d == null) continue;
            for (int i = 0; i < d.ownerCount; i++) {
                Owner o = d.owners[i];
                o.descriptor = null;
                if (o.source().backendState() == o) o.source().setBackendState(null);
            }
        }
        for (Owner o : pendingExits) {
            if (o.source().backendState() == o) o.source().setBackendState(null);
        }
        pendingExits.clear();
        slots = new Descriptor[1];
        usedSlots = 1;
        freeCount = 0;
        byFd = new Descriptor[0];
        byPid.clear();
        owners = 0;
    }

    /** The number of owners. */
    public int size() {
        return owners;
    }
}
