package io.kwait;

import io.kwait.core.Access;
import io.kwait.core.ChanHome;
import io.kwait.core.TaskCore;
import io.kwait.core.TimerHome;

/** The {@link Access.Api} of this package: what the core may read or create of the public types. */
final class Bridge implements Access.Api {
    @Override public long number(Event e) { return e.number(); }

    @Override public TimerHome.Schedule schedule(Event e) { return e.schedule(); }

    @Override
    public Fired fired(Event e, int flags, long data, Object result, Throwable error, boolean statusKnown) {
        return new Fired(e, flags, data, result, error, statusKnown);
    }

    @Override public void addClockListener(TimeSource.Manual clock, Runnable l) { clock.addListener(l); }

    @Override public void removeClockListener(TimeSource.Manual clock, Runnable l) { clock.removeListener(l); }

    @Override public java.time.Instant instantAt(TimeSource.Manual clock, long nanos) { return clock.instantAt(nanos); }

    @Override public boolean commits(Event e) { return e.commits(); }

    @Override public Object message(Event e) { return e.message(); }

    @Override public int readiness(Chan<?> chan, boolean recv, Object self) { return chan.readiness(recv, self); }

    @Override public boolean commitOrOffer(ChanHome.Offer[] offers, boolean leave) { return Chan.commitOrOffer(offers, leave); }

    @Override public void withdraw(ChanHome.Offer offer) { offer.chan().withdraw(offer); }

    @Override public int watchUnlessReady(Chan<?> chan, ChanHome.Watcher w) { return chan.watchUnlessReady(w); }

    @Override public void removeWatcher(Chan<?> chan, ChanHome.Watcher w) { chan.removeWatcher(w); }

    @Override public TaskCore core(Task<?> task) { return task.core; }

    @Override public io.kwait.core.ChildCore core(Child child) { return child.core; }

    @Override public Task<?> newTask(TaskCore core) { return new Task<>(core); }

    @Override public RuntimeException closedKernel(String message) { return new ClosedKernelException(message); }

    @Override public RuntimeException cancelled(String message) { return new TaskCancelledException(message); }

    @Override public RuntimeException chanClosed(String message) { return new ChanClosedException(message); }
}
