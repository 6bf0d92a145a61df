package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Waker;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a virtual thread's blocking {@code kevent()} on a platform thread of the backend, while the
 * virtual thread is parked and off its carrier (KeventWait fact 9: a real kqueue fd refuses
 * {@code O_NONBLOCK}, so no JDK {@code Selector} can watch it, and a virtual thread inside
 * {@code kevent()} would hold its carrier for as long as it sleeps).
 *
 * <p>One call at a time, as {@link io.kwait.spi.Backend#poll} is (the polling thread asks; the
 * buffers the call uses are the backend's and stay untouched until the call returns). The platform
 * thread is started by the first call and ends at {@link #close()}. An interrupt of the asking
 * thread calls {@link Waker#wake()} (the sleeping {@code kevent()} returns), the asking thread
 * still waits for the call to end, and its interrupt flag is set again when it returns.
 */
final class KeventOffload implements AutoCloseable {
    /** The blocking call (a {@code kevent()} with a timeout): the number of events it collected. */
    @FunctionalInterface
    interface Call {
        int run(long timeoutNanos) throws IOException;
    }

    private static final int IDLE = 0, ASKED = 1, DONE = 2, CLOSED = 3;

    private final String name;
    private final Call call;
    private final Waker waker;
    private Thread worker;
    private volatile int state = IDLE;
    /** Written by the asking thread before ASKED, read by the worker after (the volatile state orders them). */
    private long timeoutNanos;
    private Thread asker;
    /** Written by the worker before DONE, read by the asking thread after. */
    private int result;
    private Throwable failure;

    /**
     * @param name  the platform thread's name
     * @param call  what {@link #run} runs there
     * @param waker ends a sleeping call early (an interrupt of the asking thread)
     */
    KeventOffload(String name, Call call, Waker waker) {
        this.name = name;
        this.call = call;
        this.waker = waker;
    }

    /**
     * Runs the call on the platform thread with {@code timeoutNanos} and returns its result; the
     * calling thread parks meanwhile. Polling thread only.
     *
     * @throws IOException the call's own failure, rethrown here
     */
    int run(long timeoutNanos) throws IOException {
        if (state == CLOSED) throw new IllegalStateException(name + " is closed");
        if (worker == null) {
            worker = Thread.ofPlatform().name(name).daemon().unstarted(this::serve);
            worker.start();
        }
        this.timeoutNanos = timeoutNanos;
        this.asker = Thread.currentThread();
        state = ASKED;
        LockSupport.unpark(worker);
        boolean interrupted = false;
        while (state != DONE) {
            LockSupport.park(this);
            if (Thread.interrupted()) { // the flag would make every later park return at once
                if (!interrupted) waker.wake();
                interrupted = true;
            }
        }
        asker = null;
        state = IDLE;
        if (interrupted) Thread.currentThread().interrupt();
        Throwable f = failure;
        failure = null;
        if (f == null) return result;
        if (f instanceof IOException io) throw io;
        if (f instanceof RuntimeException re) throw re;
        throw (Error) f;
    }

    private void serve() {
        while (true) {
            int s = state;
            if (s == CLOSED) return;
            if (s != ASKED) {
                LockSupport.park(this);
                continue;
            }
            try {
                result = call.run(timeoutNanos);
            } catch (Throwable t) { // handed to the asking thread: nothing escapes on this one
                failure = t;
            }
            Thread a = asker;
            state = DONE;
            LockSupport.unpark(a);
        }
    }

    /** Ends the platform thread (no call is running: close comes from the polling thread, between polls). */
    @Override
    public void close() {
        state = CLOSED;
        Thread w = worker;
        if (w == null) return;
        LockSupport.unpark(w);
        try {
            if (!w.join(java.time.Duration.ofSeconds(10))) {
                System.getLogger("io.kwait").log(System.Logger.Level.WARNING,
                        () -> "kwait: " + name + " did not end within 10 s of close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the daemon thread ends on its own once unparked
        }
    }

    @Override
    public String toString() {
        return name + (worker == null ? " (not started)" : "") + (state == CLOSED ? " (closed)" : "");
    }
}
