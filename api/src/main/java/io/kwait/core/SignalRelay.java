package io.kwait.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns signals into counts and kernel wakeups, for every backend (signalfd cannot work in a JVM:
 * HotSpot unblocks the signals on its own threads). One {@code sun.misc.Signal} handler per signal
 * for the whole JVM, shared by every kernel that watches it; the handler that was there before is
 * put back when the last kernel stops watching. Handlers run on the JVM's "Signal Dispatcher"
 * thread, so subscribers only count and wake their kernel there.
 */
final class SignalRelay {
    private static final Object LOCK = new Object();
    private static final Map<String, Entry> ENTRIES = new HashMap<>();

    private static final class Entry implements SignalHandler {
        final Signal signal;
        SignalHandler previous;
        final List<Consumer<String>> subscribers = new ArrayList<>();
        volatile List<Consumer<String>> snapshot = List.of();

        Entry(Signal signal) { this.signal = signal; }

        @Override
        public void handle(Signal sig) {
            for (Consumer<String> c : snapshot) c.accept(sig.getName());
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
                Signal sig;
                try {
                    sig = new Signal(name);
                } catch (IllegalArgumentException unknown) {
                    throw new IllegalArgumentException("this platform has no signal SIG" + name + ": " + unknown.getMessage(), unknown);
                }
                e = new Entry(sig);
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
                ENTRIES.put(name, e);
            }
            e.subscribers.add(subscriber);
            e.snapshot = List.copyOf(e.subscribers);
        }
    }

    /** Stops relaying to {@code subscriber}; restores the previous handler after the last one. */
    static void unsubscribe(String name, Consumer<String> subscriber) {
        synchronized (LOCK) {
            Entry e = ENTRIES.get(name);
            if (e == null || !e.subscribers.remove(subscriber)) return;
            e.snapshot = List.copyOf(e.subscribers);
            if (e.subscribers.isEmpty()) {
                ENTRIES.remove(name);
                Signal.handle(e.signal, e.previous);
            }
        }
    }

    /** Signals with a kwait handler installed now (for leak checks). */
    static int installedCount() {
        synchronized (LOCK) { return ENTRIES.size(); }
    }

    private static boolean isShutdownSignal(String name) {
        return name.equals("HUP") || name.equals("INT") || name.equals("TERM");
    }
}
