package io.kwait.nativeio;

import java.util.Arrays;

/**
 * One kernel object a native backend watches for its sources: an fd number (a channel's, a raw
 * fd, or the epoll backend's pidfd for a process) or a pid (kqueue's {@code EVFILT_PROC}), with the
 * slot and generation tag it has in its {@link DescriptorTable} and the {@link Owner}s that share it.
 * Each backend extends it with what its kernel keeps per object (an epoll item's mask, the knotes'
 * per-poll findings).
 */
public abstract class Descriptor {
    /** The fd number watched, or -1 for a process watched by pid. */
    public final int fd;
    /** The pid watched by pid (kqueue), or -1. */
    public final long pid;
    /** Whether this stands for a process (its exit), not for readiness of an fd. */
    public final boolean process;
    /** The fd answers no byte count (a listening socket, an eventfd ...): reports carry 0. */
    public boolean noByteCount;

    int slot;
    long tag;
    Owner[] owners = new Owner[1];
    int ownerCount;
    private final Owner[] single = new Owner[1];

    /**
     * @param fd      the fd number, or -1
     * @param pid     the pid when the kernel watches the process by pid, or -1
     * @param process whether this watches a process's exit
     */
    protected Descriptor(int fd, long pid, boolean process) {
        this.fd = fd;
        this.pid = pid;
        this.process = process;
    }

    /** What the kernel names this object by: the pid for a process watched by pid, else the fd. */
    public final long ident() {
        return fd >= 0 ? fd : pid;
    }

    /**
     * The 64-bit value the kernel hands back with every event of this descriptor
     * ({@code generation << 32 | slot}); never 0, which is the wakeup's.
     */
    public final long tag() {
        return tag;
    }

    /** How many sources share this descriptor. */
    public final int ownerCount() {
        return ownerCount;
    }

    /** The {@code i}th owner, {@code 0 <= i < ownerCount()}. */
    public final Owner owner(int i) {
        return owners[i];
    }

    /** The union of the owners' interest bits. */
    public final int interest() {
        int interest = 0;
        for (int i = 0; i < ownerCount; i++) interest |= owners[i].interest;
        return interest;
    }

    /**
     * The owners as they are now, for a report loop during which the sink may register and
     * deregister (check {@code owner.descriptor() == this} before each). With one owner (the common
     * case) no array is allocated; the array is valid until the next call.
     */
    public final Owner[] snapshot() {
        if (ownerCount == 1) {
            single[0] = owners[0];
            return single;
        }
        return Arrays.copyOf(owners, ownerCount);
    }

    void attach(Owner o) {
        if (ownerCount == owners.length) owners = Arrays.copyOf(owners, ownerCount * 2);
        owners[ownerCount++] = o;
        o.descriptor = this;
    }

    void detach(Owner o) {
        for (int i = 0; i < ownerCount; i++) {
            if (owners[i] == o) {
                owners[i] = owners[--ownerCount];
                owners[ownerCount] = null;
                break;
            }
        }
        if (o.descriptor == this) o.descriptor = null;
    }
}
