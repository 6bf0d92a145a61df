package io.kwait.core;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Task;

/**
 * The home of tasks ({@code Event.done(Task)}): a completion callback on the task per
 * subscription, which reaches the owner thread through {@link Loop#post}. It holds no watch of
 * its own: the task keeps its callbacks.
 */
final class TaskHome implements Home {
    private final Loop loop;
    private int subscribed;

    TaskHome(Loop loop) { this.loop = loop; }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        TaskCore t = Access.api().core((Task<?>) e.resource());
        if (t.isDone()) {
            call.fire(i, fired(e, t));
            return;
        }
        Runnable onDone = () -> loop.post(() -> call.fire(i, fired(e, t)));
        t.addDoneCallback(onDone);
        call.add(new Subscription(call, i, this, onDone, 0));
        subscribed++;
    }

    private static Fired fired(Event e, TaskCore t) {
        t.observed = true;
        Throwable err = t.failure();
        return err == null ? Access.api().fired(e, 0, 0, t.result(), null, false)
                : Access.api().fired(e, Access.ERROR, 0, null, err, false);
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        Access.api().core((Task<?>) s.event().resource()).removeDoneCallback((Runnable) s.watch);
        subscribed--;
    }

    /** Subscriptions now; tasks are no kernel resource, so {@code Kernel.stats()} does not count them. */
    @Override
    public int count() { return subscribed; }

    @Override
    public void close() { subscribed = 0; }
}
