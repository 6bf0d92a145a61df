package io.kwait.core;

import io.kwait.Event;
import io.kwait.Fired;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The home of {@link CompletionStage}s: one {@link Watch} (one callback on the stage) per stage,
 * however often it is waited on; the callback reaches the owner thread through {@link Loop#post}.
 */
final class StageHome implements Home {
    private final Loop loop;
    private final Map<CompletionStage<?>, Watch> watches = new IdentityHashMap<>();
    private int sweepAt = 64;

    StageHome(Loop loop) { this.loop = loop; }

    private final class Watch {
        boolean done;
        Object value;
        Throwable error;
        final ArrayList<Subscription> subs = new ArrayList<>(1);
        final CompletionStage<?> stage;

        Watch(CompletionStage<?> stage) { this.stage = stage; }

        void complete(Object v, Throwable err) {
            done = true;
            value = v;
            error = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            for (Subscription s : subs) s.fire(fired(s.event()));
            if (subs.isEmpty()) watches.remove(stage, this);
        }

        Fired fired(Event e) {
            return error == null ? Access.api().fired(e, 0, 0, value, null, false)
                    : Access.api().fired(e, Access.ERROR, 0, null, error, false);
        }
    }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        CompletionStage<?> stage = (CompletionStage<?>) e.resource();
        Watch w = watches.get(stage);
        if (w == null) {
            if (watches.size() >= sweepAt) sweep();
            Watch nw = new Watch(stage);
            watches.put(stage, nw);
            w = nw;
            stage.whenComplete((v, err) -> loop.post(() -> { if (!nw.done) nw.complete(v, err); }));
        }
        if (w.done) {
            call.fire(i, w.fired(e));
            if (w.subs.isEmpty()) watches.remove(stage, w);
            return;
        }
        Subscription sub = new Subscription(call, i, this, w, 0);
        w.subs.add(sub);
        call.add(sub);
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        Watch w = (Watch) s.watch;
        w.subs.remove(s);
        if (w.subs.isEmpty() && (w.done || abandoned)) watches.remove(w.stage, w);
    }

    /**
     * Drops idle watches of stages no wait uses now (a wait that timed out or was cancelled on a
     * stage that never completes), so they cannot pile up. A dropped watch's callback stays on the
     * stage and finds nothing to do; a later wait on that stage gets a new watch.
     */
    private void sweep() {
        watches.values().removeIf(w -> w.subs.isEmpty());
        sweepAt = Math.max(64, watches.size() * 2);
    }

    @Override
    public int count() { return watches.size(); }

    @Override
    public void close() { watches.clear(); }
}
