package io.kwait.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Reports a task that has run longer than a threshold without reaching a wait or a yield: while
 * it runs, every other task of its scheduler waits (the cooperative contract, README "The
 * cooperative contract"). One WARNING per task on the {@code System.Logger} {@value #LOGGER},
 * with the task's name and the stack it is stuck in. {@code -Dkwait.watchdog.ms=N} sets the
 * threshold (default {@value #DEFAULT_MS}; {@code 0} turns it off), read when a scheduler starts.
 *
 * <p>Facts that shape this file:
 * <ul>
 *   <li>The strand's side must cost next to nothing: a switch is ~90 ns on the continuation
 *       strand. So a strand only bumps a counter at each resume and each suspension (odd while
 *       a task runs) with a release store, a plain store on x86 and ARM's {@code stlr}; no clock
 *       is read on the hot path. The watchdog samples the counter every threshold/2; an odd value
 *       it has seen unchanged for a threshold means one task has run that long. So a stuck task
 *       is reported after between 1 and 1.5 thresholds, as Vert.x's blocked-thread checker
 *       reports after its interval.</li>
 *   <li>On the continuation strand the task runs on the thread in {@code Scheduler.run}, whose
 *       stack then holds the continuation's frames; on the virtual strand the task's own virtual
 *       thread holds them. {@link Thread#getStackTrace()} works on both while they run.</li>
 *   <li>One daemon platform thread, {@value #THREAD_NAME}, serves every scheduler of the JVM.
 *       It runs only while a watched scheduler runs and the last one to end stops and joins it:
 *       a library must not leave threads behind (the test suite checks that none named
 *       {@code kwait*} is alive after a test).</li>
 * </ul>
 */
final class Watchdog {
    /** System property: the threshold in milliseconds; {@code 0} turns the watchdog off. */
    static final String PROPERTY = "kwait.watchdog.ms";
    static final long DEFAULT_MS = 2000;
    static final String LOGGER = "io.kwait.watchdog";
    static final String THREAD_NAME = "kwait-watchdog";

    private static final Object LOCK = new Object();
    private static final List<Stamp> WATCHED = new ArrayList<>(); // guarded by LOCK
    private static Thread thread; // guarded by LOCK; null when none runs or it was told to stop

    private Watchdog() {}

    /**
     * What one scheduler's strand runs now. {@link #running} and {@link #idle} are called by the
     * thread that owns the scheduler at that moment (one at a time: the baton orders them).
     */
    static final class Stamp {
        private static final VarHandle RUNS;

        static {
            try {
                RUNS = MethodHandles.lookup().findVarHandle(Stamp.class, "runs", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final SchedulerCore scheduler;
        private final long thresholdNanos;
        /** Odd while a task runs, even between tasks; bumped by the owner thread only. */
        @SuppressWarnings("unused") // through RUNS
        private long runs;
        /** The task that made {@code runs} odd; published by the release store of {@code runs}. */
        private TaskCore task;
        // The watchdog thread's own view:
        private long seenRuns = -1;
        private long seenSince;

        Stamp(SchedulerCore scheduler, long thresholdMs) {
            this.scheduler = scheduler;
            this.thresholdNanos = thresholdMs * 1_000_000L;
        }

        /** {@code t} starts or resumes. */
        void running(TaskCore t) {
            task = t;
            RUNS.setRelease(this, runs + 1);
        }

        /** The task that ran has reached a wait, a yield or its end. */
        void idle() {
            RUNS.setRelease(this, runs + 1);
        }

        boolean watched() { return thresholdNanos > 0; }

        /** On the watchdog thread: reports the running task once if it has run for a threshold. */
        void check(long now) {
            long r = (long) RUNS.getAcquire(this);
            if (r != seenRuns) {
                seenRuns = r;
                seenSince = now;
                return;
            }
            if ((r & 1) == 0 || now - seenSince < thresholdNanos) return;
            TaskCore t = task;
            if (t == null || t.stuckReported) return;
            StackTraceElement[] stack = t.thread().getStackTrace();
            if ((long) RUNS.getAcquire(this) != r) return; // it moved on while we looked: not the stuck stack
            t.stuckReported = true;
            report(t, scheduler, (now - seenSince) / 1_000_000L, stack);
        }
    }

    /** The threshold from {@code -Dkwait.watchdog.ms}, for a scheduler starting now. */
    static long thresholdMs() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) return DEFAULT_MS;
        try {
            long ms = Long.parseLong(v.trim());
            if (ms >= 0) return ms;
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " is not a number of milliseconds; use e.g. "
                + DEFAULT_MS + ", or 0 to turn the watchdog off");
    }

    /** A scheduler starts: watch it (starting the thread if none runs). */
    static void watch(Stamp s) {
        if (!s.watched()) return;
        synchronized (LOCK) {
            WATCHED.add(s);
            if (thread == null) {
                thread = Thread.ofPlatform().name(THREAD_NAME).daemon().unstarted(Watchdog::loop);
                thread.start();
            } else {
                LOCK.notifyAll(); // its threshold may be shorter than the current period
            }
        }
    }

    /** A scheduler ended: forget it; the last one stops the thread and waits until it is gone. */
    static void unwatch(Stamp s) {
        if (!s.watched()) return;
        Thread stopped = null;
        synchronized (LOCK) {
            if (!WATCHED.remove(s)) return;
            if (WATCHED.isEmpty()) {
                stopped = thread;
                thread = null;
                LOCK.notifyAll();
            }
        }
        if (stopped == null) return;
        boolean interrupted = false;
        long deadline = System.nanoTime() + 5_000_000_000L; // it only has a report to finish
        while (stopped.isAlive() && System.nanoTime() < deadline) {
            try {
                stopped.join(100);
            } catch (InterruptedException e) {
                interrupted = true; // kept for the caller: Scheduler.run's own interrupt handling sees it
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static void loop() {
        Thread me = Thread.currentThread();
        List<Stamp> now = new ArrayList<>();
        while (true) {
            long periodMs = Long.MAX_VALUE;
            synchronized (LOCK) {
                if (thread != me) return;
                now.clear();
                now.addAll(WATCHED);
            }
            long t = System.nanoTime();
            for (Stamp s : now) {
                s.check(t);
                periodMs = Math.min(periodMs, Math.max(1, s.thresholdNanos / 2_000_000L));
            }
            synchronized (LOCK) {
                if (thread != me) return;
                try {
                    LOCK.wait(periodMs);
                } catch (InterruptedException e) {
                    return; // nobody interrupts it but a JVM shutting down
                }
            }
        }
    }

    private static void report(TaskCore t, SchedulerCore s, long ms, StackTraceElement[] stack) {
        StringBuilder b = new StringBuilder(256 + stack.length * 64);
        b.append("task '").append(t.name).append("' (id ").append(t.id).append(", ").append(s.strandName())
                .append(" strand) has run for at least ").append(ms).append(" ms without waiting or yielding; every other task of its")
                .append(" scheduler is stalled meanwhile. Do not block (Thread.sleep, blocking I/O, locks) or compute long in a")
                .append(" task: offload with CompletableFuture.supplyAsync(work, executor) and wait on Event.done(stage), or call")
                .append(" Task.yieldNow() in long loops (-D").append(PROPERTY).append("=0 turns this report off). It is at:");
        for (StackTraceElement f : stack) {
            b.append("\n\tat ").append(f);
            // On the continuation strand the frames below are the scheduler's (drive, Scheduler.run, the caller's).
            if (f.getClassName().equals("jdk.internal.vm.Continuation") && f.getMethodName().equals("run")) break;
        }
        System.getLogger(LOGGER).log(System.Logger.Level.WARNING, b.toString());
    }
}
