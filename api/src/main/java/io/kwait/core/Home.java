package io.kwait.core;

import io.kwait.Event;

/**
 * The home of one resource kind in a kernel (fds, processes, timers, signals, tasks, channels,
 * stages): it validates the kind's events, keeps one <em>watch</em> per watched resource, and
 * fires the wait calls subscribed to it. Every home has the same small shape; all of it runs on
 * the kernel's owner thread.
 */
interface Home {
    /** Checks at wait time what the event's factory could not (nothing is subscribed yet). */
    default void check(Event e) {}

    /**
     * Subscribes event {@code index} of {@code call}: fires it at once when the resource is in its
     * fired state, else adds a {@link Subscription} to the call's undo list.
     */
    void subscribe(WaitCall call, int index, Event e);

    /**
     * Ends one subscription. {@code abandoned}: the wait threw (cancelled, interrupted, a bad
     * event further down the list), so an idle watch goes at once; after a normal return an idle
     * watch may stay for the next wait.
     */
    void release(Subscription s, boolean abandoned);

    /** Watches held now (for {@code Kernel.stats()}). */
    int count();

    /** Releases every watch (the kernel closes). */
    void close();
}
