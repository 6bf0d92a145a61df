package io.kwait.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns signals into counts and kernel wakeups, for every backend (signalfd cannot work in a JVM:
 * HotSpot unblocks the signals on its own threads). One {@code sun.misc.Signal} handler per signal
 * for the whole JVM, shared by every kernel that watches it; the handler that was there before is
 * put back {@link #GRACE_MILLIS} after the last kernel stops watching. Handlers run on the JVM's
 * "Signal Dispatcher" thread, so subscribers only count and wake their kernel there.
 *
 * <p>Facts that shape this file:
 * <ul>
 *   <li>A signal sent to the process ({@code kill(2)}, also to itself) is taken later by one of its
 *       threads, when that thread next runs: {@code kill} returns first. On a loaded machine the
 *       gap is milliseconds. The disposition is read when the signal is taken, not when it is
 *       sent.</li>
 *   <li>So putting the previous disposition back at the moment the last watch ends hands a
 *       delivery sent just before to it — for USR1, USR2, ALRM and most others the default action,
 *       which terminates the JVM (issue 9 defect 6). kwait's handler therefore stays for a grace
 *       period, swallowing (and counting) what arrives, and only then is the previous one back.</li>
 *   <li>There is no way to read a signal's handler without replacing it: to find whether somebody
 *       else installed one during the grace period, kwait installs its own (which only swallows)
 *       and looks at what it replaced.</li>
 * </ul>
 */
final class SignalRelay {
    /**
     * How long kwait's handler stays after the last watch of a signal ended, swallowing late
     * deliveries, before the previous handler comes back (documented on {@code Event.signal}).
     */
    static final long GRACE_MILLIS = 1_000;

    private static final Object LOCK = new Object();
    private static final Map<String, Entry> ENTRIES = new HashMap<>();
    /** Deliveries that came while no kernel watched (in a grace period), since the JVM started. */
    private static final AtomicLong SWALLOWED = new AtomicLong();
    /** Runs the restores; its one daemon thread ends when none is due. Created under LOCK. */
    private static ScheduledThreadPoolExecutor restorer;

    private static final class Entry implements SignalHandler {
        final String name;
        final Signal signal;
        SignalHandler previous;
        final List<Consumer<String>> subscribers = new ArrayList<>();
        volatile List<Consumer<String>> snapshot = List.of();
        /** While nobody watches: the restore of {@link #previous}, due at the end of the grace period. */
        ScheduledFuture<?> restore;

        Entry(String name, Signal signal) {
            this.name = name;
            this.signal = signal;
        }

        @Override
        public void handle(Signal sig) {
            List<Consumer<String>> to = snapshot;
            if (to.isEmpty()) {
                long n = SWALLOWED.incrementAndGet();
                Loop.LOG.log(System.Logger.Level.DEBUG, () -> "kwait: SIG" + sig.getName() + " came after its last watch ended, "
                        + "within the " + GRACE_MILLIS + " ms grace period: swallowed (" + n + " so far)");
                return;
            }
            for (Consumer<String> c : to) c.accept(sig.getName());
        }
    }

    private SignalRelay() {}

    /**
     * Starts relaying {@code name} to {@code subscriber}.
     *
     * @throws IllegalArgumentException the JVM refuses the signal (reserved, or -Xrs), with the reason
     */
    static void subscribe(String name, Consumer<String> subscriber) {
        synchronized (LOCK) {
            Entry e = ENTRIES.get(name);
            if (e == null) {
                e = install(name);
                ENTRIES.put(name, e);
            } else if (e.subscribers.isEmpty()) {
                // In its grace period: taken up again. Somebody may have installed a handler meanwhile;
                // kwait's goes back in front of it, and it becomes the one restored later.
                e.restore.cancel(false);
                e.restore = null;
                SignalHandler current = Signal.handle(e.signal, e);
                if (current != e) e.previous = current;
            }
            e.subscribers.add(subscriber);
            e.snapshot = List.copyOf(e.subscribers);
        }
    }

    private static Entry install(String name) {
        Signal sig;
        try {
            sig = new Signal(name);
        } catch (IllegalArgumentException unknown) {
            throw new IllegalArgumentException("this platform has no signal SIG" + name + ": " + unknown.getMessage(), unknown);
        }
        Entry e = new Entry(name, sig);
        try {
            e.previous = Signal.handle(sig, e);
        } catch (IllegalArgumentException refused) {
            throw new IllegalArgumentException("the JVM refuses a handler for SIG" + name + " (" + refused.getMessage()
                    + "); it is reserved by the VM or the JVM runs with -Xrs: choose another signal such as USR1", refused);
        }
        if (e.previous == SignalHandler.SIG_IGN && isShutdownSignal(name)) {
            // HotSpot leaves an ignored HUP/INT/TERM ignored (e.g. under nohup) and installs nothing.
            Signal.handle(sig, SignalHandler.SIG_IGN);
            throw new IllegalArgumentException("SIG" + name + " is ignored by this process (started under nohup or similar), "
                    + "so the JVM will not deliver it; start the program without ignoring it, or choose USR1");
        }
        return e;
    }

    /**
     * Stops relaying to {@code subscriber}. After the last one kwait's handler stays for
     * {@link #GRACE_MILLIS}, then the previous handler is back.
     */
    static void unsubscribe(String name, Consumer<String> subscriber) {
        synchronized (LOCK) {
            Entry e = ENTRIES.get(name);
            if (e == null || !e.subscribers.remove(subscriber)) return;
            e.snapshot = List.copyOf(e.subscribers);
            if (e.subscribers.isEmpty()) e.restore = restorer().schedule(() -> restore(e), GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** The end of a grace period: the previous handler back, unless a kernel watches again or another handler came. */
    private static void restore(Entry e) {
        synchronized (LOCK) {
            if (ENTRIES.get(e.name) != e || !e.subscribers.isEmpty()) return; // watched again meanwhile
            ENTRIES.remove(e.name);
            e.restore = null;
            try {
                SignalHandler current = Signal.handle(e.signal, e); // only swallows: safe to have there for a moment
                Signal.handle(e.signal, current == e ? e.previous : current); // another handler installed meanwhile stays
            } catch (RuntimeException failed) {
                Loop.LOG.log(System.Logger.Level.ERROR, "kwait: could not put back the previous handler of SIG" + e.name, failed);
            }
        }
    }

    private static ScheduledThreadPoolExecutor restorer() {
        if (restorer == null) {
            restorer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "kwait-signal-restore");
                t.setDaemon(true);
                return t;
            });
            restorer.setKeepAliveTime(100, TimeUnit.MILLISECONDS);
            restorer.allowCoreThreadTimeOut(true);
            restorer.setRemoveOnCancelPolicy(true);
        }
        return restorer;
    }

    /** Signals with a kwait handler installed now, watched or in their grace period (for leak checks). */
    static int installedCount() {
        synchronized (LOCK) { return ENTRIES.size(); }
    }

    private static boolean isShutdownSignal(String name) {
        return name.equals("HUP") || name.equals("INT") || name.equals("TERM");
    }
}
