package io.kwait.core;

import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * What a scheduler runs its tasks on: {@link ContinuationStrand} (every task a
 * {@code jdk.internal.vm.Continuation} on the thread in {@code Scheduler.run}) or
 * {@link VirtualStrand} (every task a virtual thread; only the holder of the baton runs). Both
 * share the scheduler's run queue; only how a task is started, switched away from and ended
 * differs.
 */
interface Strand {
    /** {@code "continuation"} or {@code "virtual"}. */
    String name();

    TaskCore newTask(long id, String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure);

    /**
     * On the thread in {@code Scheduler.run}: runs {@code root} and every task until none is
     * left and the scheduler has {@link SchedulerCore#finish() finished}.
     */
    void drive(TaskCore root);

    /** On the owner thread: {@code self} is queued or suspended; run others until it runs again. */
    void switchAway(TaskCore self);

    /** System property that forces the strand: {@code continuation}, {@code virtual} or {@code auto}. */
    String PROPERTY = "kwait.scheduler";

    /** The strand for a new scheduler: continuations when the JVM exports them, unless forced. */
    static Strand choose(SchedulerCore s) {
        String forced = System.getProperty(PROPERTY, "").trim();
        switch (forced) {
            case "", "auto" -> { return Continuations.UNAVAILABLE_REASON == null ? new ContinuationStrand(s) : new VirtualStrand(s); }
            case "virtual" -> { return new VirtualStrand(s); }
            case "continuation" -> {
                if (Continuations.UNAVAILABLE_REASON != null) {
                    throw new IllegalStateException("-D" + PROPERTY + "=continuation is not possible: " + Continuations.UNAVAILABLE_REASON);
                }
                return new ContinuationStrand(s);
            }
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + forced
                    + " is not a strand; use continuation, virtual or auto");
        }
    }
}
