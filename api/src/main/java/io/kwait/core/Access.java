package io.kwait.core;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Task;
import io.kwait.TimeSource;

/**
 * The bridge through which the core reaches what the public types keep package-private (the
 * JDK's {@code SharedSecrets} pattern): {@code io.kwait} implements {@link Api} once and installs
 * it when {@link Event} is initialized. So no public type carries a field the core pokes, and this
 * package stays out of {@code module-info}'s exports.
 */
public final class Access {
    /** Bits of a {@link Fired}'s flags. */
    public static final int EOF = 1, ERROR = 2;

    /** What the core needs from the public types, and nothing else. */
    public interface Api {
        /** The fd, the pid, or the delay/period in nanos an event was built with. */
        long number(Event e);

        /** The schedule of a periodic timer event ({@code Event.every}), else null. */
        TimerHome.Schedule schedule(Event e);

        Fired fired(Event e, int flags, long data, Object result, Throwable error, boolean statusKnown);

        void addClockListener(TimeSource.Manual clock, Runnable listener);

        void removeClockListener(TimeSource.Manual clock, Runnable listener);

        /** The wall-clock time of a manual clock when its monotonic value is {@code nanos}. */
        java.time.Instant instantAt(TimeSource.Manual clock, long nanos);

        /** Whether a channel event commits ({@code Event.receive}, {@code Event.send(chan, message)}). */
        boolean commits(Event e);

        /** The message of a committing send event, else null. */
        Object message(Event e);

        /**
         * {@link ChanHome#NOT_READY}, {@link ChanHome#READY} or {@link ChanHome#READY_CLOSED};
         * the offers of wait {@code self} do not count.
         */
        int readiness(Chan<?> chan, boolean recv, Object self);

        /** The committing events of one wait: commits one, or leaves their offers (returns whether it did). */
        boolean commitOrOffer(ChanHome.Offer[] offers, boolean leave);

        /** Takes an offer out of its channel's queue. */
        void withdraw(ChanHome.Offer offer);

        /** Adds {@code w} unless the channel is ready already, atomically; returns the readiness found. */
        int watchUnlessReady(Chan<?> chan, ChanHome.Watcher w);

        void removeWatcher(Chan<?> chan, ChanHome.Watcher w);

        /** The internal state behind a public task. */
        TaskCore core(Task<?> task);

        /** The internal state behind a public child. */
        ChildCore core(io.kwait.Child child);

        /** The public handle of a new task. */
        Task<?> newTask(TaskCore core);

        RuntimeException closedKernel(String message);

        RuntimeException cancelled(String message);

        RuntimeException chanClosed(String message);
    }

    private static volatile Api api;

    private Access() {}

    /** Called once, by {@code io.kwait}. */
    public static void install(Api a) {
        if (api != null) throw new IllegalStateException("kwait's core access is already installed");
        api = a;
    }

    static Api api() {
        Api a = api;
        if (a != null) return a;
        try {
            Class.forName(Event.class.getName(), true, Event.class.getClassLoader()); // its initializer installs it
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return api;
    }
}
