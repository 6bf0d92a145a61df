package io.kwait;

import io.kwait.core.Backends;
import io.kwait.core.Loop;
import io.kwait.spi.Availability;
import io.kwait.spi.BackendProvider;
import io.kwait.spi.Capability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The event kernel: one {@link #wait(List, Duration) wait} over every kind of {@link Event},
 * served by one backend (chosen at {@link #open()}) plus the core's timer heap and relays.
 *
 * <pre>{@code
 * try (Kernel kernel = Kernel.open()) {
 *     List<Event> events = List.of(Event.exit(child), Event.readable(server), Event.after(Duration.ofSeconds(5)));
 *     for (Fired f : kernel.wait(events, null)) {
 *         switch (f.filter()) { case EXIT -> ..., case READ -> ..., case EXPIRE -> ... }
 *     }
 * }
 * }</pre>
 *
 * <h2>Who may wait</h2>
 * Inside {@link Scheduler#run(Kernel, java.util.concurrent.Callable)} every task of that
 * scheduler may call {@code wait}; it suspends only the calling task. Without a scheduler, one
 * thread at a time may call {@code wait}, which blocks it. A second thread gets an
 * {@link IllegalStateException}, as does a task of another scheduler.
 *
 * <p>The wait is {@link #wait(List, Duration) wait(events, timeout)}: {@code kernel.wait(100)}
 * compiles to {@link Object#wait(long)}, which throws {@link IllegalMonitorStateException} (kwait
 * holds no monitor on a kernel; a user's {@code synchronized (kernel)} blocks nothing of kwait's).
 * To sleep, {@code kernel.wait(List.of(Event.after(d)), null)}, or {@link Task#sleep} in a task.
 *
 * <h2>Semantics</h2>
 * Level-triggered; one {@link Fired} per fired event per call, in the order of the list, each
 * holding the very {@code Event} passed in; a resource already in its fired state fires at once;
 * resource errors come back as {@link Fired#isError()} and never cost the other events of the
 * call; a call that throws leaves nothing registered. Waiting again and again on the same fds
 * reuses their backend registration.
 *
 * <h2>Backends</h2>
 * {@link #open()} picks the best available backend ({@code -Dkwait.backend=NAME} forces one);
 * {@link #open(String)} forces one by name. A forced backend that is not available is an error
 * with the reason, never a silent fallback. {@link #backends()} lists what is installed.
 */
public final class Kernel implements AutoCloseable {
    /** System property that forces a backend by name for {@link #open()}. */
    public static final String BACKEND_PROPERTY = "kwait.backend";

    final Loop loop;

    private Kernel(Loop loop) { this.loop = loop; }

    // ================================================================ opening

    /** Opens a kernel on the best available backend, or the one named by {@code -Dkwait.backend}. */
    public static Kernel open() {
        return builder().open();
    }

    /**
     * Opens a kernel on the named backend ({@code "select"}, {@code "epoll"}, {@code "kqueue"}).
     *
     * @throws IllegalArgumentException no backend has that name (the message lists those that exist)
     * @throws IllegalStateException    it exists but is not available here (the message says why)
     */
    public static Kernel open(String backendName) {
        return builder().backend(backendName).open();
    }

    /** A builder for a kernel with a chosen backend or clock. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options for {@link Kernel#open()}. */
    public static final class Builder {
        private String backendName;
        private TimeSource time = TimeSource.system();

        private Builder() {}

        /** Forces a backend by name; null means the best available (or {@code -Dkwait.backend}). */
        public Builder backend(String name) {
            this.backendName = name;
            return this;
        }

        /** The clock for timers and timeouts; {@link TimeSource#manual()} for tests. */
        public Builder timeSource(TimeSource time) {
            this.time = Objects.requireNonNull(time, "time");
            return this;
        }

        /** Opens the kernel. */
        public Kernel open() {
            String name = backendName != null ? backendName : System.getProperty(BACKEND_PROPERTY);
            if (name != null && name.isBlank()) name = null;
            BackendProvider provider = Backends.choose(name);
            try {
                return new Kernel(new Loop(provider.open(), time));
            } catch (IOException e) {
                throw new UncheckedIOException("backend " + provider.name() + " failed to open: " + e.getMessage(), e);
            }
        }
    }

    /** A backend found on this JVM's class/module path, and whether it can run here (else the reason). */
    public record BackendInfo(String name, int priority, boolean available, String reason) {}

    /** Every installed backend, best first, with its availability and the reason when unavailable. */
    public static List<BackendInfo> backends() {
        List<BackendInfo> out = new ArrayList<>();
        for (BackendProvider p : Backends.installed()) {
            Availability a = p.availability();
            out.add(new BackendInfo(p.name(), p.priority(), a.available(), a.reason()));
        }
        return out;
    }

    // ================================================================ waiting

    /** The backend's name, e.g. {@code "select"}. */
    public String backendName() { return loop.backend().name(); }

    /** What the backend does natively (the core covers the rest). */
    public Set<Capability> capabilities() { return loop.capabilities(); }

    /** The clock this kernel reads. */
    public TimeSource timeSource() { return loop.time(); }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() { return loop.isClosed(); }

    /**
     * Waits until at least one of {@code events} fires or the timeout passes, and returns those
     * that fired, one {@link Fired} per event, in the order given. The waiter then does its own
     * I/O (accept, read, {@link Chan#tryReceive()} ...).
     *
     * @param events  the events; not empty, no nulls; may be reused across calls
     * @param timeout {@code null}: no limit; {@link Duration#ZERO}: do not block; otherwise the
     *                limit (rounded up to the backend's resolution). On timeout the list is empty.
     * @return the events that fired; empty only on timeout
     * @throws IllegalArgumentException     a bad event list or timeout, an event this backend cannot serve
     *                                      (a channel in blocking mode, a signal the JVM refuses ...)
     * @throws UnsupportedOperationException a resource this backend lacks (a raw fd on {@code select})
     * @throws IllegalStateException        another thread is waiting on this kernel, or the caller is a task of another scheduler
     * @throws ClosedKernelException        the kernel is closed
     * @throws TaskCancelledException       the calling task was cancelled
     * @throws InterruptedException         the calling (plain) thread was interrupted
     * @throws java.io.UncheckedIOException the backend's poll failed (the OS multiplexer itself); when
     *                                      it failed in a wait that had committed a channel operation,
     *                                      that wait returned it and this is thrown by the next wait
     *                                      (see {@link Chan}, "Nothing unreported")
     */
    public List<Fired> wait(List<? extends Event> events, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(events, "events: pass a list of Event; use Task.sleep(...) to only sleep");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("no events to wait for; pass at least one Event (Event.after(d) to sleep)");
        }
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout + "; use Duration.ZERO to poll or null to wait without limit");
        }
        Event[] list = events.toArray(new Event[0]);
        for (int i = 0; i < list.length; i++) {
            if (list[i] == null) throw new NullPointerException("events[" + i + "] is null");
        }
        return loop.wait(list, timeout);
    }

    /**
     * Starts watching a signal now, before (and between) waits: kwait's handler replaces the
     * previous one at once — for TERM, INT and HUP that is the JVM's shutdown — and every delivery
     * from then on is counted and reported by the next wait on that event. Without it a signal is
     * watched from the first wait that includes it. The watch stays, whatever the waits do, until
     * {@link #unwatch} or {@link #close()}; the previous handler comes back one second after the
     * last watch of the signal in the JVM ended ({@link Event#signal}). Call it from the thread
     * that waits, or a task of this kernel's scheduler.
     *
     * <pre>{@code
     * Event term = Event.signal("TERM");
     * kernel.watch(term);          // from here on, TERM no longer ends the JVM: it fires term
     * ... start up ...
     * kernel.wait(List.of(term, ...), null);
     * }</pre>
     *
     * @throws IllegalArgumentException not a signal event (other kinds need no watch between waits),
     *                                  or the JVM refuses the signal
     * @throws IllegalStateException    another thread is waiting on this kernel
     * @throws ClosedKernelException    the kernel is closed
     */
    public void watch(Event signal) {
        loop.watch(Objects.requireNonNull(signal, "signal"), true);
    }

    /**
     * Stops a {@link #watch} without closing the kernel: when no wait uses the signal now, its
     * watch goes at once and — if no other kernel watches it — the previous handler is back one
     * second later (kwait's swallows the deliveries still on their way meanwhile: see
     * {@link Event#signal}). Deliveries counted and not yet reported are dropped. Does nothing for
     * a signal not watched.
     *
     * @throws IllegalArgumentException not a signal event
     */
    public void unwatch(Event signal) {
        loop.watch(Objects.requireNonNull(signal, "signal"), false);
    }

    // ================================================================ stats and close

    /**
     * Counts of what this kernel holds now; all zero after {@link #close()}. For leak checks and monitoring.
     *
     * @param fdRegistrations      fd watches (each holds one backend registration)
     * @param backendRegistrations sources the backend was told about
     * @param processWatches       processes whose exit is watched ({@link Event#exit(Process)} ...)
     * @param signalWatches        signals watched
     * @param stageWatches         CompletionStages subscribed to
     * @param timers               timers pending
     * @param children             children started by {@link Child#start} that the kernel still holds:
     *                             running, or exited with a pipe end not yet closed
     * @param childThreads         platform threads those children cost now: 0 where the backend spawns
     *                             ({@link Capability#SPAWN}: epoll, kqueue); on select one
     *                             relay per piped stream plus the JDK's reaper per running child
     */
    public record Stats(int fdRegistrations, int backendRegistrations, int processWatches, int signalWatches,
                        int stageWatches, int timers, int children, int childThreads) {
        /** Whether nothing at all is held. */
        public boolean isEmpty() {
            return fdRegistrations == 0 && backendRegistrations == 0 && processWatches == 0 && signalWatches == 0
                    && stageWatches == 0 && timers == 0 && children == 0 && childThreads == 0;
        }
    }

    /**
     * What this kernel holds now. Call it from the thread that waits (or a task of its scheduler),
     * or after close.
     */
    public Stats stats() {
        int[] c = loop.counts();
        int[] ch = loop.childCounts();
        return new Stats(c[0], c[1], c[2], c[3], c[4], c[5], ch[0], ch[1]);
    }

    /**
     * Releases every registration, timer, relay subscription and the backend's OS resources.
     * Idempotent. A plain thread blocked in {@code wait} leaves it with {@link ClosedKernelException}.
     *
     * @throws IllegalStateException a scheduler is still running on this kernel: close it after
     *                               {@link Scheduler#run} returns
     */
    @Override
    public void close() { loop.close(); }

    @Override
    public String toString() { return loop.toString(); }
}
