package io.kwait.core;

import io.kwait.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The home of signals: one {@link Watch} per signal name, a count of deliveries not yet reported,
 * fed by the JVM-wide {@link SignalRelay}. After a wait that returned (fired or timed out) the
 * watch stays, so deliveries between two waits are counted, never lost; after a wait that threw
 * (cancelled, interrupted), the only one on that signal, it goes at once (the previous handler
 * is back after {@link SignalRelay}'s grace period). It also goes when the kernel closes.
 */
public final class SignalHome implements Home {
    /** Signals the JVM keeps for itself, with the reason, refused at construction. */
    private static final Map<String, String> RESERVED = Map.of(
            "QUIT", "the JVM uses SIGQUIT to print thread dumps and never lets it be handled",
            "KILL", "SIGKILL cannot be caught by any process",
            "STOP", "SIGSTOP cannot be caught by any process",
            "FPE", "the JVM uses SIGFPE internally",
            "ILL", "the JVM uses SIGILL internally",
            "SEGV", "the JVM uses SIGSEGV internally",
            "BUS", "the JVM uses SIGBUS for memory-access errors");

    /** Signals that may be named; others are refused with the list. */
    private static final Set<String> KNOWN = Set.of(
            "HUP", "INT", "TERM", "USR1", "USR2", "CHLD", "WINCH", "ALRM", "CONT", "TSTP", "TTIN",
            "TTOU", "PIPE", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "IO", "PWR", "SYS", "TRAP", "ABRT", "INFO");

    private final Loop loop;
    private final Map<String, Watch> watches = new HashMap<>();

    SignalHome(Loop loop) { this.loop = loop; }

    // ---------------------------------------------------------------- validation (Event's factories)

    /**
     * The signal's name without {@code SIG}, upper case.
     *
     * @throws IllegalArgumentException a signal the JVM reserves, an unknown name, or one this platform lacks
     */
    public static String canonicalName(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) n = n.substring(3);
        String why = RESERVED.get(n);
        if (why != null) {
            throw new IllegalArgumentException("signal " + n + " cannot be waited for: " + why
                    + "; choose another signal such as USR1, TERM or HUP");
        }
        if (!KNOWN.contains(n)) {
            throw new IllegalArgumentException("unknown signal name '" + name + "'; known: " + new TreeSet<>(KNOWN));
        }
        try {
            new sun.misc.Signal(n); // only looks the name up; installs nothing
        } catch (IllegalArgumentException absent) {
            throw new IllegalArgumentException("this platform has no signal SIG" + n + " (" + System.getProperty("os.name")
                    + "); choose another signal such as USR1, TERM or HUP", absent);
        }
        return n;
    }

    // ---------------------------------------------------------------- watches

    /** A signal this kernel watches. */
    private final class Watch {
        final String name;
        final AtomicLong pending = new AtomicLong();
        final ArrayList<Subscription> subs = new ArrayList<>(1);
        /** Started by {@code Kernel.watch}: stays until {@code Kernel.unwatch}, whatever the waits do. */
        boolean pinned;
        final Consumer<String> relay = n -> {
            pending.incrementAndGet();
            loop.post(this::deliver);
        };

        Watch(String name) { this.name = name; }

        void deliver() {
            if (subs.isEmpty()) return; // kept for the next wait: deliveries are never lost
            long c = pending.getAndSet(0);
            if (c == 0) return;
            for (Subscription s : subs) s.fire(Access.api().fired(s.event(), 0, c, null, null, false));
        }
    }

    private Watch watchOf(String name) {
        Watch w = watches.get(name);
        if (w == null) {
            w = new Watch(name);
            SignalRelay.subscribe(name, w.relay); // may refuse: nothing of this watch is kept then
            watches.put(name, w);
        }
        return w;
    }

    /** {@code Kernel.watch}: watches the signal from now on, until {@link #unwatch}. */
    void watch(Event e) { watchOf((String) e.resource()).pinned = true; }

    /** {@code Kernel.unwatch}: ends a {@link #watch}; the watch goes now unless a wait uses it. */
    void unwatch(Event e) {
        Watch w = watches.get((String) e.resource());
        if (w == null) return;
        w.pinned = false;
        if (w.subs.isEmpty()) drop(w);
    }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        Watch w = watchOf((String) e.resource());
        Subscription sub = new Subscription(call, i, this, w, 0);
        w.subs.add(sub);
        call.add(sub);
        if (w.pending.get() > 0) w.deliver();
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        Watch w = (Watch) s.watch;
        w.subs.remove(s);
        if (w.subs.isEmpty() && abandoned && !w.pinned) drop(w);
    }

    private void drop(Watch w) {
        watches.remove(w.name, w);
        SignalRelay.unsubscribe(w.name, w.relay);
    }

    @Override
    public int count() { return watches.size(); }

    @Override
    public void close() {
        for (Watch w : watches.values()) SignalRelay.unsubscribe(w.name, w.relay);
        watches.clear();
    }
}
