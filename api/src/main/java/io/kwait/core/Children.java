package io.kwait.core;

import java.util.ArrayList;

/**
 * The children a kernel started and has not yet forgotten: alive, or reaped with a pipe end still
 * open. Holding them here is what reaps a child whose {@link Child} the program dropped. Guarded
 * by its own lock: {@link Child#start} may run on any thread.
 */
final class Children {
    private final ArrayList<ChildCore> list = new ArrayList<>();
    private boolean closed;
    private int sweepAt = 64;

    /** Adds a child; false when the kernel closed meanwhile. */
    synchronized boolean add(ChildCore c) {
        if (closed) return false;
        if (list.size() >= sweepAt) {
            list.removeIf(ChildCore::isSpent);
            sweepAt = Math.max(64, list.size() * 2);
        }
        list.add(c);
        return true;
    }

    /** Children not yet forgotten. */
    synchronized int size() {
        list.removeIf(ChildCore::isSpent);
        return list.size();
    }

    /** For {@code Kernel.stats()}: children not yet forgotten, and the platform threads they cost now. */
    synchronized int[] counts() {
        list.removeIf(ChildCore::isSpent);
        int threads = 0;
        for (ChildCore c : list) threads += c.relayThreads();
        return new int[] {list.size(), threads};
    }

    /** Kernel close: every child's owner (the kernel, or a task of it) is gone. */
    void closeAll() {
        ArrayList<ChildCore> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(list);
            list.clear();
        }
        for (ChildCore c : all) c.killIfOwned(); // all at once: they die in parallel, then each is reaped
        for (ChildCore c : all) {
            try {
                c.kernelClosed();
            } catch (RuntimeException e) {
                Loop.LOG.log(System.Logger.Level.WARNING, "kwait: cleaning up " + c + " failed", e);
            }
        }
    }
}
