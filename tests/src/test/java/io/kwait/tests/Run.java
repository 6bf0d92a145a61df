package io.kwait.tests;

import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** Helpers for the scheduler, channel and scenario conformance tests. */
final class Run {
    private Run() {}

    /**
     * Runs {@code body} as the root task on {@code kernel}; an assertion that failed inside the
     * root task (or any error) is rethrown as itself, so JUnit reports it plainly.
     */
    static <T> T root(Kernel kernel, Callable<T> body) throws Exception {
        try {
            return Scheduler.run(kernel, body);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Error err) throw err;
            if (c instanceof ExecutionException inner && inner.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    /** Joins {@code t}, rethrowing an assertion failure of the task as itself. */
    static <T> T join(Task<T> t) throws Exception {
        try {
            return t.join();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    /** Yields {@code n} times. */
    static void yields(int n) {
        for (int i = 0; i < n; i++) Task.yieldNow();
    }
}
