package io.kwait.core;

/** One event of one wait call, subscribed to one watch of a {@link Home}; undone when the call ends. */
final class Subscription {
    final WaitCall call;
    /** The event's index in the call, or -1 for the call's own timeout. */
    final int index;
    final Home home;
    /** The home's record: its watch of the resource, a timer, a callback. */
    final Object watch;
    /** Interest bits, for fd subscriptions. */
    final int ops;

    Subscription(WaitCall call, int index, Home home, Object watch, int ops) {
        this.call = call;
        this.index = index;
        this.home = home;
        this.watch = watch;
        this.ops = ops;
    }

    /** Fires this subscription's event with {@code fired}. */
    void fire(io.kwait.Fired fired) { call.fire(index, fired); }

    io.kwait.Event event() { return call.events[index]; }

    /** Whether this event has its result in the call already (a later fire would be merged away). */
    boolean hasFired() { return index >= 0 && call.slots[index] != null; }
}
