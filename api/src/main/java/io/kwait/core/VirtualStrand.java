package io.kwait.core;

import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * Every task has its own virtual thread, but only the holder of the <em>baton</em> runs: a task
 * that must wait picks the next runnable task, hands it the baton directly (ownership, a
 * volatile flag, {@code unpark}) and parks. When none is runnable that task polls the kernel
 * itself, so there is no scheduler thread in the middle; the thread in {@code Scheduler.run}
 * only waits for the end.
 */
final class VirtualStrand implements Strand {
    private final SchedulerCore s;

    VirtualStrand(SchedulerCore s) { this.s = s; }

    private final class ThreadTask extends TaskCore {
        final Thread thread;
        /** True when this task may run. */
        volatile boolean baton;
        boolean started;

        ThreadTask(long id, String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
            super(s, id, name, body, onFailure);
            thread = Thread.ofVirtual().name("kwait-" + name).unstarted(this::main);
        }

        @Override
        Thread thread() { return thread; }

        private void main() {
            while (!baton) LockSupport.park(this);
            baton = false;
            TaskCore.setCurrent(this);
            s.stamp.running(this);
            runBody();
            s.stamp.idle();
            TaskCore.setCurrent(null);
            exited(this);
        }
    }

    @Override
    public String name() { return "virtual"; }

    @Override
    public TaskCore newTask(long id, String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
        return new ThreadTask(id, name, body, onFailure);
    }

    @Override
    public void drive(TaskCore root) {
        handoff((ThreadTask) root);
        while (!s.isFinished()) {
            LockSupport.park(s);
            if (Thread.interrupted()) s.runnerInterrupted();
        }
    }

    @Override
    public void switchAway(TaskCore self) {
        ThreadTask me = (ThreadTask) self;
        s.stamp.idle();
        TaskCore next;
        try {
            next = s.next();
        } catch (RuntimeException | Error e) {
            s.unqueue(me);
            s.stamp.running(me);
            throw e;
        }
        if (next != me) {
            handoff((ThreadTask) next);
            while (!me.baton) LockSupport.park(this);
            me.baton = false;
        }
        s.stamp.running(me);
    }

    private void handoff(ThreadTask next) {
        s.loop.ownership.handTo(next.thread);
        next.baton = true;
        if (!next.started) {
            next.started = true;
            next.thread.start();
        } else {
            LockSupport.unpark(next.thread);
        }
    }

    /** On the task's thread after its body finished: hands the baton on, or finishes the scheduler. */
    private void exited(ThreadTask self) {
        if (s.ended(self)) {
            s.finish(); // its last poll happens before finished is published: run() returns only after it
            LockSupport.unpark(s.runner);
        } else {
            handoff((ThreadTask) s.next());
        }
    }
}
