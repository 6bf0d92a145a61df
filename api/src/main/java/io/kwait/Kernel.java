package io.kwait;

import io.kwait.spi.Availability;
import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.Source;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

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
    static final System.Logger LOG = System.getLogger("io.kwait");
    /** System property that forces a backend by name for {@link #open()}. */
    public static final String BACKEND_PROPERTY = "kwait.backend";

    final Backend backend;
    final TimeSource time;
    final TimerHeap timers = new TimerHeap();
    private final Set<Capability> capabilities;
    private final Map<Object, FdRegistration> fds = new HashMap<>();
    private final Map<Long, ProcessWatch> processes = new HashMap<>();
    private final Map<String, SignalWatch> signals = new HashMap<>();
    private final Map<CompletionStage<?>, StageWatch> stages = new IdentityHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicReference<Thread> waitingThread = new AtomicReference<>();
    private final Runnable clockListener;
    private int fdSweepAt = 64;
    private int stageSweepAt = 64;
    /** The thread allowed to touch core state now: the running task's, or the plain thread in wait. */
    volatile Thread owner;
    /** The scheduler running on this kernel, if any. */
    volatile Scheduler scheduler;
    private volatile boolean closed;
    /** Bumped whenever something becomes runnable or a wait completes; a poll that sees it move does not block. */
    int progress;

    private Kernel(Backend backend, TimeSource time) {
        this.backend = backend;
        this.time = time;
        this.capabilities = Set.copyOf(backend.capabilities());
        if (time instanceof TimeSource.Manual manual) {
            clockListener = backend::wakeup;
            manual.addListener(clockListener);
        } else {
            clockListener = null;
        }
    }

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
            BackendProvider provider = choose(name);
            try {
                return new Kernel(provider.open(), time);
            } catch (IOException e) {
                throw new UncheckedIOException("backend " + provider.name() + " failed to open: " + e.getMessage(), e);
            }
        }
    }

    /** A backend found on this JVM's class/module path, and whether it can run here. */
    public record BackendInfo(String name, int priority, boolean available, String reason) {}

    /** Every installed backend, best first, with its availability and the reason when unavailable. */
    public static List<BackendInfo> backends() {
        List<BackendInfo> out = new ArrayList<>();
        for (BackendProvider p : providers()) {
            Availability a = p.availability();
            out.add(new BackendInfo(p.name(), p.priority(), a.available(), a.reason()));
        }
        return out;
    }

    private static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Kernel.class.getClassLoader()).forEach(list::add);
        if (list.isEmpty()) ServiceLoader.load(BackendProvider.class).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return list;
    }

    private static volatile boolean loggedChoice;

    private static BackendProvider choose(String name) {
        List<BackendProvider> all = providers();
        if (all.isEmpty()) {
            throw new IllegalStateException("no kwait backend on the class path or module path; add kwait-backend-select "
                    + "(portable) or kwait-backend-native");
        }
        if (name != null) {
            for (BackendProvider p : all) {
                if (p.name().equalsIgnoreCase(name)) {
                    Availability a = p.availability();
                    if (!a.available()) {
                        throw new IllegalStateException("backend '" + p.name() + "' is not available here: " + a.reason());
                    }
                    return p;
                }
            }
            List<String> names = all.stream().map(BackendProvider::name).toList();
            throw new IllegalArgumentException("no backend named '" + name + "'; installed: " + names);
        }
        StringBuilder skipped = new StringBuilder();
        for (BackendProvider p : all) {
            if (p.priority() < 0) continue; // simulations and test doubles are never picked by themselves
            Availability a = p.availability();
            if (a.available()) {
                if (!loggedChoice) {
                    loggedChoice = true;
                    LOG.log(System.Logger.Level.DEBUG, "kwait: using backend {0}{1}", p.name(),
                            skipped.isEmpty() ? "" : " (" + skipped + ")");
                    if (!skipped.isEmpty()) {
                        LOG.log(System.Logger.Level.INFO, "kwait: using backend {0}; {1}", p.name(), skipped);
                    }
                }
                return p;
            }
            skipped.append(p.name()).append(" unavailable: ").append(a.reason()).append("; ");
        }
        throw new IllegalStateException("no kwait backend is available here: " + skipped);
    }

    // ================================================================ public API

    /** The backend's name, e.g. {@code "select"}. */
    public String backendName() { return backend.name(); }

    /** What the backend does natively (the core covers the rest). */
    public Set<Capability> capabilities() { return capabilities; }

    /** The clock this kernel reads. */
    public TimeSource timeSource() { return time; }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() { return closed; }

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
        if (closed) throw new ClosedKernelException("kernel is closed; open a new one with Kernel.open()");
        Task<?> task = Task.currentOrNull();
        if (task != null) {
            if (task.scheduler.kernel != this) {
                throw new IllegalStateException("this task belongs to a scheduler on another kernel (" + task.scheduler.kernel
                        + "); a task may wait only on its own scheduler's kernel: use Scheduler.current().kernel(), or pass "
                        + "messages through a Chan");
            }
            if (task.cancelRequested) throw task.cancelledException();
            validate(list);
            return waitInTask(task, list, timeout);
        }
        Scheduler s = scheduler;
        if (s != null) {
            throw new IllegalStateException("this kernel is driven by a running Scheduler; wait from one of its tasks "
                    + "(scheduler.spawn(...)) or send to a Chan its tasks wait on");
        }
        Thread me = Thread.currentThread();
        if (!waitingThread.compareAndSet(null, me)) {
            Thread other = waitingThread.get();
            throw new IllegalStateException("thread '" + (other == null ? "?" : other.getName())
                    + "' is already waiting on this kernel; a kernel serves one waiting thread at a time: "
                    + "use one kernel per thread, or tasks of one Scheduler");
        }
        try {
            owner = me; // before the re-check: Scheduler.run sets scheduler, then looks at owner
            if (scheduler != null) throw new IllegalStateException("this kernel is driven by a running Scheduler");
            validate(list);
            return waitOnThread(list, timeout);
        } finally {
            // Only release what this thread took: a Scheduler that won the race may own it now.
            OWNER.compareAndSet(this, me, null);
            waitingThread.set(null);
        }
    }

    private static final java.lang.invoke.VarHandle OWNER;

    static {
        try {
            OWNER = java.lang.invoke.MethodHandles.lookup().findVarHandle(Kernel.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Checks everything that can be checked before anything is registered. */
    private void validate(Event[] list) {
        for (Event e : list) {
            switch (e.kind) {
                case CHANNEL -> {
                    SelectableChannel ch = (SelectableChannel) e.resource;
                    if (ch.isOpen() && ch.isBlocking()) {
                        throw new IllegalArgumentException(ch.getClass().getSimpleName()
                                + " is in blocking mode; call configureBlocking(false) before waiting on it (" + e + ")");
                    }
                }
                case FD -> {
                    if (!capabilities.contains(Capability.RAW_FD)) {
                        throw new UnsupportedOperationException("the " + backend.name() + " backend cannot wait on raw file descriptors ("
                                + e + "); use a native backend (Kernel.open(\"epoll\") on Linux, \"kqueue\" on macOS/BSD) "
                                + "or wait on a SelectableChannel");
                    }
                }
                default -> { }
            }
        }
    }

    private List<Fired> waitInTask(Task<?> task, Event[] list, Duration timeout) throws InterruptedException {
        WaitCall call = new WaitCall(this, list, task, time.nanoTime());
        try {
            subscribeAll(call, timeout);
            if (!call.done) {
                task.scheduler.suspend(task, call.node);
                if (!call.done) throw task.cancelledException();
            }
            List<Fired> results = call.results();
            call.completedNormally = true;
            return results;
        } finally {
            call.undoAll();
        }
    }

    private List<Fired> waitOnThread(Event[] list, Duration timeout) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        WaitCall call = new WaitCall(this, list, null, time.nanoTime());
        try {
            drainInbox();
            subscribeAll(call, timeout);
            while (!call.done) {
                if (closed) throw new ClosedKernelException("kernel was closed while waiting");
                pollOnce(-1);
                if (!call.done && Thread.interrupted()) throw new InterruptedException();
            }
            List<Fired> results = call.results();
            call.completedNormally = true;
            return results;
        } finally {
            call.undoAll();
        }
    }

    private void subscribeAll(WaitCall call, Duration timeout) {
        for (int i = 0; i < call.events.length; i++) subscribe(call, i);
        if (call.done || (timeout != null && timeout.isZero())) {
            // Something fired at once, or a poll: collect whatever else is ready now, without blocking.
            pollOnce(0);
            call.timedOut();
        } else if (timeout != null) {
            TimerHeap.Node n = timers.add(saturatedAdd(call.start, Event.saturatedNanos(timeout)), call::timedOut);
            call.undo.add(() -> timers.remove(n));
        }
    }

    /**
     * Polls the backend once and dispatches: cross-thread posts, readiness, expired timers.
     * Blocks at most {@code maxWaitNanos} ({@code < 0}: until something happens), less when a timer
     * is due sooner; never blocks when something already became runnable. Owner thread only.
     */
    void pollOnce(long maxWaitNanos) {
        int before = progress;
        drainInbox();
        timers.runExpired(time.nanoTime());
        long wait = maxWaitNanos;
        if (progress != before || closed) wait = 0;
        if (wait != 0) {
            long next = timers.nextDeadline();
            if (next != Long.MAX_VALUE) {
                long d = Math.max(0, next - time.nanoTime());
                if (clockListener != null && d > 0) d = -1; // manual clock: sleep until advanced (the listener wakes us)
                if (d >= 0) wait = wait < 0 ? d : Math.min(wait, d);
            }
        }
        try {
            backend.poll(wait, this::onReady);
        } catch (IOException e) {
            throw new UncheckedIOException("backend " + backend.name() + " failed to poll: " + e.getMessage(), e);
        }
        drainInbox();
        timers.runExpired(time.nanoTime());
    }

    /** Runs {@code r} on the owner thread: now if the caller is the owner, else at the next poll (waking it). */
    void post(Runnable r) {
        if (Thread.currentThread() == owner) {
            r.run();
        } else {
            inbox.add(r);
            backend.wakeup();
        }
    }

    private void drainInbox() {
        Runnable r;
        while ((r = inbox.poll()) != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "kwait: cross-thread event failed", e);
            }
        }
    }

    private void onReady(Source source, int ready, int flags, long data, Throwable error) {
        if (source instanceof FdRegistration r) r.dispatch(ready, flags, data, error);
        else if (source instanceof ProcessWatch p) p.dispatch(flags, data);
    }

    // ================================================================ subscriptions

    private void subscribe(WaitCall call, int i) {
        Event e = call.events[i];
        switch (e.kind) {
            case CHANNEL, FD -> subscribeFd(call, i, e);
            case PROCESS -> subscribeProcess(call, i, e);
            case TIMER_AFTER -> subscribeTimer(call, i, e, saturatedAdd(call.start, e.number));
            case TIMER_AT -> {
                Duration until = Duration.between(time.now(), (Instant) e.resource);
                long nanos = until.isNegative() ? 0 : Event.saturatedNanos(until);
                subscribeTimer(call, i, e, saturatedAdd(time.nanoTime(), nanos));
            }
            case TIMER_EVERY -> subscribeEvery(call, i, e);
            case SIGNAL -> subscribeSignal(call, i, e);
            case TASK -> subscribeTask(call, i, e);
            case CHAN -> subscribeChan(call, i, e);
            case STAGE -> subscribeStage(call, i, e);
        }
    }

    /**
     * The longest delay a deadline is placed at (~73 years): every deadline in the timer heap then
     * lies within a quarter of the long range of every other, so the wrap-safe comparisons
     * ({@code a - b < 0}) stay right even next to an overdue timer. Longer delays mean "never" anyway.
     */
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE >> 2;

    /** {@code a + b} for a deadline {@code b} nanos after {@code a}, with {@code b} capped at {@link #MAX_DELAY_NANOS}. */
    private static long saturatedAdd(long a, long b) {
        b = Math.min(b, MAX_DELAY_NANOS);
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    // ---------------------------------------------------------------- fds

    /** One fd or channel registered with the backend; reused by every wait on it. */
    private final class FdRegistration extends Source {
        final Object key;
        int armed;
        final ArrayList<FdSub> subs = new ArrayList<>(2);

        FdRegistration(SelectableChannel ch) { super(ch); key = ch; }

        FdRegistration(int fd) { super(Kind.FD, fd); key = fd; }

        void dispatch(int ready, int flags, long data, Throwable error) {
            boolean failed = (flags & Interest.FLAG_ERROR) != 0;
            int fflags = ((flags & Interest.FLAG_EOF) != 0 ? Fired.EOF : 0) | (failed ? Fired.ERROR : 0);
            int wanted = 0;
            for (int k = 0, n = subs.size(); k < n; k++) {
                FdSub s = subs.get(k);
                wanted |= s.ops;
                if (failed || (ready & s.ops) != 0) {
                    s.call.fire(s.index, new Fired(s.call.events[s.index], fflags, data, null, error, false));
                }
            }
            if (failed) {
                forget();
            } else if ((ready & armed & ~wanted) != 0) {
                // Nobody waits for this any more: silence it now rather than on every wait (lazy disarm).
                rearm(wanted);
            }
        }

        void rearm(int ops) {
            try {
                backend.register(this, ops);
                armed = ops;
            } catch (IOException e) {
                dispatch(Interest.READ | Interest.WRITE, Interest.FLAG_ERROR, 0, e);
            }
        }

        void forget() {
            backend.deregister(this);
            armed = 0;
            fds.remove(key, this);
        }
    }

    private record FdSub(WaitCall call, int index, int ops) {}

    private void subscribeFd(WaitCall call, int i, Event e) {
        Object key;
        if (e.kind == Event.Kind.CHANNEL) {
            SelectableChannel ch = (SelectableChannel) e.resource;
            if (!ch.isOpen()) {
                call.fire(i, new Fired(e, Fired.ERROR, 0, null, new ClosedChannelException(), false));
                return;
            }
            key = ch;
        } else {
            key = (int) e.number;
        }
        FdRegistration reg = fds.get(key);
        if (reg == null) {
            if (fds.size() >= fdSweepAt) sweepFds();
            reg = e.kind == Event.Kind.CHANNEL ? new FdRegistration((SelectableChannel) key) : new FdRegistration((int) e.number);
            fds.put(key, reg);
        }
        int ops = e.filter == Filter.READ ? Interest.READ : Interest.WRITE;
        FdSub sub = new FdSub(call, i, ops);
        reg.subs.add(sub);
        FdRegistration r = reg;
        call.undo.add(() -> unsubscribeFd(r, sub, call.completedNormally));
        if ((reg.armed & ops) != ops) {
            try {
                backend.register(reg, reg.armed | ops);
                reg.armed |= ops;
            } catch (IOException ex) {
                // A resource error, not a call error: this event fires with it, the others go on.
                call.fire(i, new Fired(e, Fired.ERROR, 0, null, ex, false));
                reg.subs.remove(sub);
                if (reg.subs.isEmpty()) reg.forget();
            }
        }
    }

    /**
     * Ends one subscription. After a normal return an idle registration stays (silently armed
     * until it next fires) so the next wait on the same fd costs nothing; after a wait that threw
     * (cancelled, interrupted, a bad event further down the list) it is released at once, so an
     * abandoned wait leaves nothing registered.
     */
    private void unsubscribeFd(FdRegistration reg, FdSub sub, boolean keepIdle) {
        reg.subs.remove(sub);
        if (reg.subs.isEmpty() && (!keepIdle || (reg.channel() != null && !reg.channel().isOpen()))) reg.forget();
    }

    /** Drops idle registrations of channels the program closed. */
    private void sweepFds() {
        for (FdRegistration r : new ArrayList<>(fds.values())) {
            if (r.subs.isEmpty() && r.channel() != null && !r.channel().isOpen()) r.forget();
        }
        fdSweepAt = Math.max(64, fds.size() * 2);
    }

    // ---------------------------------------------------------------- processes

    /** One process watched by this kernel: natively where the backend can, else through the JDK's onExit. */
    private final class ProcessWatch extends Source {
        Process process;
        ProcessHandle handle;
        boolean exited, statusKnown, nativeArmed, nativeFailed, relayStarted;
        long status = -1;
        final ArrayList<Sub> subs = new ArrayList<>(1);

        ProcessWatch(long pid) { super(Kind.PROCESS, pid); }

        void dispatch(int flags, long data) {
            if (process == null && (flags & Interest.FLAG_EXIT_STATUS) != 0) {
                status = data;
                statusKnown = true;
            }
            nativeArmed = false; // a process reports its exit once
            exitObserved();
        }

        void exitObserved() {
            if (exited) return;
            if (process != null ? process.isAlive() : isUnreapedChild(handle)) {
                // The OS says it exited (a native watch fires at zombie time) but the JDK has not reaped
                // it yet and still calls it alive: its exit, and its exit value, come from the JDK.
                startRelay();
                return;
            }
            markExited();
            for (Sub s : new ArrayList<>(subs)) s.call.fire(s.index, fired(s.call.events[s.index]));
            if (subs.isEmpty()) drop();
        }

        /**
         * A child of this JVM watched by handle or pid, that exited but is still a zombie: the JDK's
         * reaper is about to reap it, and {@code isAlive()} stays true until then. Another process's
         * zombie counts as exited: its parent may reap it much later, or never.
         */
        private static boolean isUnreapedChild(ProcessHandle h) {
            return h.isAlive() && h.parent().map(ProcessHandle::pid).orElse(-1L) == ProcessHandle.current().pid();
        }

        /** Whether the JDK says the process is no longer alive (it checks the start time against pid reuse). */
        boolean isGone() {
            return process != null ? !process.isAlive() : !handle.isAlive();
        }

        void markExited() {
            exited = true;
            if (process != null) {
                status = process.exitValue();
                statusKnown = true;
            }
        }

        Fired fired(Event e) { return new Fired(e, 0, statusKnown ? status : -1, null, null, statusKnown); }

        void startRelay() {
            if (relayStarted) return;
            relayStarted = true;
            CompletableFuture<?> f = process != null ? process.onExit() : handle.onExit();
            f.whenComplete((x, err) -> post(this::exitObserved));
        }

        void drop() {
            if (nativeArmed) backend.deregister(this);
            nativeArmed = false;
            processes.remove(pid(), this);
        }
    }

    private record Sub(WaitCall call, int index) {}

    private void subscribeProcess(WaitCall call, int i, Event e) {
        ProcessWatch w = processes.get(e.number);
        if (w == null) {
            w = new ProcessWatch(e.number);
            processes.put(e.number, w);
        }
        if (e.resource instanceof Process p) {
            if (w.process == null) { w.process = p; w.handle = p.toHandle(); }
        } else if (w.handle == null) {
            w.handle = (ProcessHandle) e.resource;
        }
        // Asked on every wait, even with a watch armed: its notice may still be on its way, and an
        // exited process must fire at once. Seen here first, exitObserved also fires the waits
        // already subscribed.
        if (!w.exited && w.isGone()) w.exitObserved();
        if (w.exited) {
            call.fire(i, w.fired(e));
            if (w.subs.isEmpty()) w.drop();
            return;
        }
        Sub sub = new Sub(call, i);
        w.subs.add(sub);
        ProcessWatch ww = w;
        call.undo.add(() -> {
            ww.subs.remove(sub);
            if (ww.subs.isEmpty() && ww.exited) ww.drop();
        });
        if (capabilities.contains(Capability.PROCESS_EXIT) && !w.nativeFailed) {
            if (!w.nativeArmed) {
                try {
                    backend.register(w, Interest.EXIT);
                    w.nativeArmed = true;
                    // It may have died (and its pid been reused) between the liveness check and the
                    // native watch; the JDK's handle checks the start time, so ask it again now.
                    if (w.isGone()) w.exitObserved();
                } catch (IOException | IllegalArgumentException ex) {
                    LOG.log(System.Logger.Level.DEBUG, "kwait: native exit watch refused for pid " + e.number + ", using the relay", ex);
                    w.nativeFailed = true;
                    w.startRelay();
                }
            }
        } else {
            w.startRelay();
        }
    }

    // ---------------------------------------------------------------- timers

    private void subscribeTimer(WaitCall call, int i, Event e, long deadline) {
        TimerHeap.Node n = timers.add(deadline, () -> call.fire(i, new Fired(e, 0, 1, null, null, false)));
        call.undo.add(() -> timers.remove(n));
    }

    private void subscribeEvery(WaitCall call, int i, Event e) {
        Event.EverySchedule s = e.every;
        if (!s.started) {
            s.started = true;
            s.nextDue = saturatedAdd(time.nanoTime(), e.number);
        }
        TimerHeap.Node[] holder = new TimerHeap.Node[1];
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> {
            long now = time.nanoTime();
            if (now - s.nextDue < 0) { // another wait on the same event consumed this tick
                holder[0] = timers.add(s.nextDue, tick[0]);
                return;
            }
            long count = 1 + (now - s.nextDue) / e.number;
            s.nextDue = saturatedAdd(s.nextDue, count > Long.MAX_VALUE / e.number ? Long.MAX_VALUE : count * e.number);
            call.fire(i, new Fired(e, 0, count, null, null, false));
        };
        holder[0] = timers.add(s.nextDue, tick[0]);
        call.undo.add(() -> timers.remove(holder[0]));
    }

    // ---------------------------------------------------------------- signals

    /** A signal this kernel watches: a count of deliveries not yet reported. Kept until the kernel closes. */
    private final class SignalWatch {
        final String name;
        final AtomicLong pending = new AtomicLong();
        final ArrayList<Sub> subs = new ArrayList<>(1);
        final Consumer<String> relay = n -> {
            pending.incrementAndGet();
            post(this::deliver);
        };

        SignalWatch(String name) { this.name = name; }

        void deliver() {
            if (subs.isEmpty()) return; // kept for the next wait: deliveries are never lost
            long c = pending.getAndSet(0);
            if (c == 0) return;
            for (Sub s : subs) s.call.fire(s.index, new Fired(s.call.events[s.index], 0, c, null, null, false));
        }
    }

    private void subscribeSignal(WaitCall call, int i, Event e) {
        String name = (String) e.resource;
        SignalWatch w = signals.get(name);
        if (w == null) {
            w = new SignalWatch(name);
            SignalRelay.subscribe(name, w.relay); // may refuse: nothing of this watch is kept then
            signals.put(name, w);
        }
        Sub sub = new Sub(call, i);
        w.subs.add(sub);
        SignalWatch ww = w;
        call.undo.add(() -> ww.subs.remove(sub));
        if (w.pending.get() > 0) w.deliver();
    }

    // ---------------------------------------------------------------- tasks

    private void subscribeTask(WaitCall call, int i, Event e) {
        Task<?> t = (Task<?>) e.resource;
        if (t.isDone()) {
            call.fire(i, taskFired(e, t));
            return;
        }
        Runnable onDone = () -> post(() -> call.fire(i, taskFired(e, t)));
        t.addDoneCallback(onDone);
        call.undo.add(() -> t.removeDoneCallback(onDone));
    }

    private static Fired taskFired(Event e, Task<?> t) {
        t.observed = true;
        Throwable err = t.failure();
        return err == null ? new Fired(e, 0, 0, t.resultNow(), null, false) : new Fired(e, Fired.ERROR, 0, null, err, false);
    }

    // ---------------------------------------------------------------- channels

    private void subscribeChan(WaitCall call, int i, Event e) {
        Chan<?> chan = (Chan<?>) e.resource;
        boolean recv = e.filter == Filter.RECV;
        Chan.Watcher w = new Chan.Watcher(recv) {
            @Override
            void changed() {
                post(() -> {
                    int s = chan.readiness(recv);
                    if (s != Chan.NOT_READY) call.fire(i, chanFired(e, s));
                });
            }
        };
        int state = chan.watchUnlessReady(w);
        if (state != Chan.NOT_READY) {
            call.fire(i, chanFired(e, state));
            return;
        }
        call.undo.add(() -> chan.removeWatcher(w));
    }

    private static Fired chanFired(Event e, int readiness) {
        return new Fired(e, readiness == Chan.READY_CLOSED ? Fired.EOF : 0, 0, null, null, false);
    }

    // ---------------------------------------------------------------- completion stages

    /** One stage watched by this kernel; one callback on the stage however often it is waited on. */
    private final class StageWatch {
        boolean done;
        Object value;
        Throwable error;
        final ArrayList<Sub> subs = new ArrayList<>(1);
        final CompletionStage<?> stage;

        StageWatch(CompletionStage<?> stage) { this.stage = stage; }

        void complete(Object v, Throwable err) {
            done = true;
            value = v;
            error = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            for (Sub s : subs) s.call.fire(s.index, fired(s.call.events[s.index]));
            if (subs.isEmpty()) stages.remove(stage, this);
        }

        Fired fired(Event e) {
            return error == null ? new Fired(e, 0, 0, value, null, false) : new Fired(e, Fired.ERROR, 0, null, error, false);
        }
    }

    private void subscribeStage(WaitCall call, int i, Event e) {
        CompletionStage<?> stage = (CompletionStage<?>) e.resource;
        StageWatch w = stages.get(stage);
        if (w == null) {
            if (stages.size() >= stageSweepAt) sweepStages();
            StageWatch nw = new StageWatch(stage);
            stages.put(stage, nw);
            w = nw;
            stage.whenComplete((v, err) -> post(() -> { if (!nw.done) nw.complete(v, err); }));
        }
        if (w.done) {
            call.fire(i, w.fired(e));
            if (w.subs.isEmpty()) stages.remove(stage, w);
            return;
        }
        Sub sub = new Sub(call, i);
        w.subs.add(sub);
        StageWatch ww = w;
        call.undo.add(() -> {
            ww.subs.remove(sub);
            if (ww.subs.isEmpty() && ww.done) stages.remove(stage, ww);
        });
    }

    /**
     * Drops idle watches of stages no wait uses now (a wait that timed out or was cancelled on a
     * stage that never completes), so they cannot pile up. A dropped watch's callback stays on the
     * stage and finds nothing to do; a later wait on that stage gets a new watch.
     */
    private void sweepStages() {
        stages.values().removeIf(w -> w.subs.isEmpty());
        stageSweepAt = Math.max(64, stages.size() * 2);
    }

    // ================================================================ lifecycle

    /** Counts of what this kernel holds now; all zero after {@link #close()}. For leak checks and monitoring. */
    public record Stats(int fdRegistrations, int backendRegistrations, int processWatches, int signalWatches,
                        int stageWatches, int timers) {
        /** Whether nothing at all is held. */
        public boolean isEmpty() {
            return fdRegistrations == 0 && backendRegistrations == 0 && processWatches == 0 && signalWatches == 0
                    && stageWatches == 0 && timers == 0;
        }
    }

    /**
     * What this kernel holds now. Call it from the thread that waits (or a task of its scheduler),
     * or after close.
     */
    public Stats stats() {
        return new Stats(fds.size(), closed ? 0 : backend.registrationCount(), processes.size(), signals.size(), stages.size(),
                timers.size());
    }

    /**
     * Releases every registration, timer, relay subscription and the backend's OS resources.
     * Idempotent. A plain thread blocked in {@code wait} leaves it with {@link ClosedKernelException}.
     *
     * @throws IllegalStateException a scheduler is still running on this kernel: close it after
     *                               {@link Scheduler#run} returns
     */
    @Override
    public void close() {
        if (scheduler != null) {
            throw new IllegalStateException("a Scheduler is still running on this kernel; close the kernel after Scheduler.run returns");
        }
        if (closed) return;
        closed = true;
        backend.wakeup();
        Thread me = Thread.currentThread();
        // Let a plain thread blocked in wait() see the flag and leave; it owns the state until then.
        while (waitingThread.get() != null && waitingThread.get() != me) {
            backend.wakeup();
            LockSupport.parkNanos(1_000_000);
        }
        for (SignalWatch w : signals.values()) SignalRelay.unsubscribe(w.name, w.relay);
        signals.clear();
        for (ProcessWatch w : processes.values()) if (w.nativeArmed) backend.deregister(w);
        processes.clear();
        for (FdRegistration r : fds.values()) backend.deregister(r);
        fds.clear();
        stages.clear();
        timers.clear();
        inbox.clear();
        if (time instanceof TimeSource.Manual manual) manual.removeListener(clockListener);
        backend.close();
    }

    @Override
    public String toString() {
        return "Kernel[" + backend.name() + (closed ? ", closed" : "") + "]";
    }
}
