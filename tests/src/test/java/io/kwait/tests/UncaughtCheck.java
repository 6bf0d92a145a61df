package io.kwait.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * Fails the test that caused it when an exception escapes on a thread kwait owns, where no
 * assertion could see it: a task's virtual thread ({@code kwait-<task>}; issue 9 defect 1 was a
 * {@code ClosedSelectorException} thrown there after {@code Scheduler.run} returned), a platform
 * thread named {@code kwait*}, or a relay thread of the JDK running kwait code (the signal
 * handler's thread, the process reaper completing {@code onExit}). Also fails it when kwait itself
 * catches an exception and logs it at WARNING or above ({@link RecordingLoggerFinder}), and when a
 * failed task nobody joined is reported (the scheduler hands those to the default handler).
 *
 * <p>Facts that shape this class:
 * <ul>
 *   <li>{@link Thread#setDefaultUncaughtExceptionHandler} is consulted for virtual threads too
 *       (their group, "VirtualThreads", defers to it; checked on JDK 25), so one handler sees every
 *       strand. The handler runs on the dying thread.</li>
 *   <li>Virtual threads inherit {@link InheritableThreadLocal}s from the thread that creates
 *       them; a task's thread is created by the thread that spawns it, so a test id set around the
 *       test method follows every task and plain thread the test starts, and an exception that
 *       lands late is still charged to the test that caused it.</li>
 *   <li>{@link Thread#getAllStackTraces()} omits virtual threads, but a running one shows as its
 *       carrier thread inside {@code VirtualThread.runContinuation}; after a test the check waits
 *       until no carrier runs one before it looks: a task's thread may still run its last poll
 *       after {@code Scheduler.run} returned.</li>
 * </ul>
 */
public final class UncaughtCheck implements BeforeEachCallback, AfterEachCallback, InvocationInterceptor {
    /** One exception nobody caught, and which test it belongs to. */
    record Caught(String test, String thread, Throwable error) {}

    private static final ConcurrentLinkedQueue<Caught> CAUGHT = new ConcurrentLinkedQueue<>();
    private static final InheritableThreadLocal<String> TEST = new InheritableThreadLocal<>();
    private static volatile String current = "(between tests)";
    private static final Thread.UncaughtExceptionHandler PREVIOUS;

    static {
        PREVIOUS = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler(UncaughtCheck::uncaught);
    }

    /** Installs the handler (idempotent; the class initialiser does it). */
    public static void install() {}

    private static void uncaught(Thread t, Throwable e) {
        if (isKwaits(t, e)) record(t.getName(), e);
        if (PREVIOUS != null) {
            PREVIOUS.uncaughtException(t, e);
        } else {
            System.err.print("Exception in thread \"" + t.getName() + "\" ");
            e.printStackTrace();
        }
    }

    /** Records an exception kwait caught and logged, or one that escaped; charged to the running test. */
    static void record(String thread, Throwable e) {
        String test = TEST.get();
        CAUGHT.add(new Caught(test != null ? test : current, thread, e));
    }

    /** A thread kwait owns, or a JDK relay thread whose exception came out of kwait code. */
    private static boolean isKwaits(Thread t, Throwable e) {
        if (t.getName().startsWith("kwait")) return true;
        for (Throwable c = e; c != null; c = c.getCause()) {
            for (StackTraceElement f : c.getStackTrace()) {
                if (f.getClassName().startsWith("io.kwait.")) return true;
            }
        }
        return false;
    }

    private static String id(ExtensionContext ctx) {
        return ctx.getRequiredTestClass().getName() + "#" + ctx.getDisplayName();
    }

    @Override
    public void beforeEach(ExtensionContext ctx) {
        current = id(ctx);
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> inv,
                                    ExtensionContext ctx) throws Throwable {
        TEST.set(id(ctx));
        try {
            invocation.proceed();
        } finally {
            TEST.remove();
        }
    }

    @Override
    public void afterEach(ExtensionContext ctx) {
        String me = id(ctx);
        try {
            awaitKwaitThreadsEnd();
            assertNoneCaught(me);
        } finally {
            current = "(between tests)";
        }
    }

    /**
     * Fails with every exception recorded so far (for {@code test}, or left over from an earlier
     * test: it is named) and forgets them.
     */
    public static void assertNoneCaught(String test) {
        List<Caught> all = new ArrayList<>();
        for (Caught c; (c = CAUGHT.poll()) != null; ) all.add(c);
        if (all.isEmpty()) return;
        StringBuilder msg = new StringBuilder(all.size() + " exception(s) nobody caught on kwait's threads or logged by kwait:");
        for (Caught c : all) {
            msg.append("\n  on thread '").append(c.thread()).append("': ").append(c.error());
            if (!c.test().equals(test)) msg.append(" (caused by ").append(c.test()).append(')');
        }
        AssertionError fail = new AssertionError(msg.toString(), all.get(0).error());
        for (int i = 1; i < all.size(); i++) fail.addSuppressed(all.get(i).error());
        throw fail;
    }

    /**
     * Waits (up to 5 s) until no thread named {@code kwait*} is alive and no virtual thread runs: the last
     * task of a scheduler may still be finishing its final poll when {@code Scheduler.run} has
     * returned. A thread still alive after that is left to the leak checks.
     */
    public static void awaitKwaitThreadsEnd() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (kwaitThreadsAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1); // polling a thread dump: there is no join on threads we cannot name
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Whether a thread named {@code kwait*} (but the signal restorer) is alive, or any virtual thread is running now (its
     * carrier is in {@code VirtualThread.runContinuation}). Virtual threads cannot be listed (the
     * HotSpot thread dump omits them in the surefire JVM), but one still running kwait's last poll
     * after {@code Scheduler.run} returned is mounted on a carrier, which can be seen.
     */
    static boolean kwaitThreadsAlive() {
        for (var e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (!t.isAlive()) continue;
            // kwait-signal-restore only sleeps out a signal's grace period (1 s) and puts a handler
            // back; waiting for it would add that second to every signal test. Its errors are logged.
            if (t.getName().startsWith("kwait") && !t.getName().equals(ConformanceBase.SIGNAL_RESTORER)) return true;
            for (StackTraceElement f : e.getValue()) {
                if (f.getClassName().equals("java.lang.VirtualThread") && f.getMethodName().equals("runContinuation")) return true;
            }
        }
        return false;
    }
}
