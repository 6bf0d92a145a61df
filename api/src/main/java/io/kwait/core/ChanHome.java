package io.kwait.core;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Filter;

/**
 * The home of channels ({@code Event.recv}/{@code Event.send}): a {@link Watcher} on the channel
 * per subscription, added atomically with the readiness check. The channel keeps its watchers;
 * a change reaches the owner thread through {@link Loop#post}.
 */
public final class ChanHome implements Home {
    /** Readiness of a channel for one direction. */
    public static final int NOT_READY = 0, READY = 1, READY_CLOSED = 2;

    /** Something (a kernel wait) that wants to hear when a channel may have become ready. */
    public abstract static class Watcher {
        /** Whether it waits to receive (else to send). */
        public final boolean recv;

        Watcher(boolean recv) { this.recv = recv; }

        /** Called outside the channel's lock, from any thread. */
        public abstract void changed();
    }

    private final Loop loop;
    private int subscribed;

    ChanHome(Loop loop) { this.loop = loop; }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        Chan<?> chan = (Chan<?>) e.resource();
        boolean recv = e.filter() == Filter.RECV;
        Watcher w = new Watcher(recv) {
            @Override
            public void changed() {
                loop.post(() -> {
                    int s = Access.api().readiness(chan, recv);
                    if (s != NOT_READY) call.fire(i, fired(e, s));
                });
            }
        };
        int state = Access.api().watchUnlessReady(chan, w);
        if (state != NOT_READY) {
            call.fire(i, fired(e, state));
            return;
        }
        call.add(new Subscription(call, i, this, w, 0));
        subscribed++;
    }

    private static io.kwait.Fired fired(Event e, int readiness) {
        return Access.api().fired(e, readiness == READY_CLOSED ? Access.EOF : 0, 0, null, null, false);
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        Access.api().removeWatcher((Chan<?>) s.event().resource(), (Watcher) s.watch);
        subscribed--;
    }

    /** Subscriptions now; channels are no kernel resource, so {@code Kernel.stats()} does not count them. */
    @Override
    public int count() { return subscribed; }

    @Override
    public void close() { subscribed = 0; }
}
