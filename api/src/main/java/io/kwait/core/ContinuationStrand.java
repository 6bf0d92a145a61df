package io.kwait.core;

import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * Every task is a {@code jdk.internal.vm.Continuation} run by the thread that called
 * {@code Scheduler.run}, which owns the kernel throughout: a switch is a yield back to
 * {@link #drive} and a run of the next continuation. All tasks share that thread (and its
 * thread-locals).
 */
final class ContinuationStrand implements Strand {
    private final SchedulerCore s;

    ContinuationStrand(SchedulerCore s) { this.s = s; }

    private final class ContinuationTask extends TaskCore {
        final Object continuation;

        ContinuationTask(long id, String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
            super(s, id, name, body, onFailure);
            continuation = Continuations.create(this::runBody);
        }

        @Override
        Thread thread() { return s.runner; }
    }

    @Override
    public String name() { return "continuation"; }

    @Override
    public TaskCore newTask(long id, String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
        return new ContinuationTask(id, name, body, onFailure);
    }

    @Override
    public void drive(TaskCore root) {
        s.loop.ownership.handTo(s.runner);
        s.enqueue(root);
        while (s.hasLive()) {
            ContinuationTask t = (ContinuationTask) s.next();
            if (Thread.interrupted()) s.runnerInterrupted();
            TaskCore.setCurrent(t);
            s.stamp.running(t);
            try {
                Continuations.run(t.continuation); // until it waits or ends
            } finally {
                s.stamp.idle();
                TaskCore.setCurrent(null);
            }
            if (t.isDone() && Continuations.isDone(t.continuation)) s.ended(t);
        }
        s.finish();
    }

    @Override
    public void switchAway(TaskCore self) {
        Continuations.yieldNow(); // back to drive(), which picks the next task
    }
}
