package io.kwait.tests.reliability;

import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.tests.UncaughtCheck;

/**
 * One cold JVM, one scheduler: {@code Scheduler.run} on a root task that returns at once, then the
 * kernel closed, as the shortest program does. Exits with 3 (after printing it) when an exception
 * escaped on a kwait thread or kwait logged one. Issue 9 defect 1 shows about once in 15 such
 * JVMs and hardly ever in a warm one: the first virtual thread's start is slow, which widens the
 * window between the root task's end and its last poll.
 */
public final class ShutdownRaceMain {
    private ShutdownRaceMain() {}

    public static void main(String[] args) throws Exception {
        UncaughtCheck.install();
        try (Kernel k = Kernel.open(args[0])) {
            Scheduler.run(k, () -> 0);
        }
        UncaughtCheck.awaitKwaitThreadsEnd();
        try {
            UncaughtCheck.assertNoneCaught("ShutdownRaceMain");
        } catch (AssertionError e) {
            e.printStackTrace(System.out);
            System.exit(3);
        }
        System.exit(0);
    }
}
