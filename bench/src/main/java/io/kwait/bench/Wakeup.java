package io.kwait.bench;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenario 7: a plain thread (the waker) wakes a waiter that is blocked. Per sample the waker
 * waits until the waiter has handled the previous sample, sleeps {@code gapUs} (so the waiter is
 * surely blocked again), takes t0 and signals; the waiter takes t1 as soon as it runs again.
 * Latency = t1 - t0. Also recorded: the waker's own call (the signal) in ns. Threads are not
 * pinned (kwait tasks run on virtual threads, whose carrier cannot be pinned).
 */
public final class Wakeup {
    private Wakeup() {}

    /** Runs the waker until {@code total} samples were taken; the first {@code warm} are dropped by the caller. */
    private static Thread waker(int total, long gapNs, AtomicInteger handled, double[] call, Runnable signal, long[] t0Slot) {
        return Thread.ofPlatform().name("waker").start(() -> {
            for (int i = 0; i < total; i++) {
                while (handled.get() < i) LockSupport.parkNanos(20_000);
                LockSupport.parkNanos(gapNs);
                long t0 = System.nanoTime();
                LONGS.setVolatile(t0Slot, 0, t0);
                signal.run();
                call[i] = System.nanoTime() - t0;
            }
        });
    }

    private static Row row(String key, String label, String who, String backend, double[] lat, double[] call, int warm) {
        double[] l = Arrays.copyOfRange(lat, warm, lat.length);
        double[] c = Arrays.copyOfRange(call, warm, call.length);
        return new Row("7", key, label, who, backend, "ns", "dist", l)
                .put("callP50", Stats.percentile(c, 50)).put("callP99", Stats.percentile(c, 99));
    }

    /** kwait: a task blocked in kernel.wait(recv(chan)); the waker does chan.trySend from a plain thread. */
    public static List<Row> kwait(Args a) throws Exception {
        String backend = a.str("backend");
        int samples = a.integer("samples", 20_000), warm = a.integer("warm", 2_000), total = samples + warm;
        long gapNs = a.lng("gapUs", 200) * 1000;
        double[] lat = new double[total], call = new double[total];
        AtomicInteger handled = new AtomicInteger();
        Chan<Long> chan = Chan.bounded(1);
        long[] t0 = new long[1];
        try (Kernel k = Kernel.open(backend)) {
            Thread w = waker(total, gapNs, handled, call, () -> chan.trySend(t0[0]), t0);
            Scheduler.run(k, () -> {
                List<Event> ev = List.of(Event.recv(chan));
                for (int i = 0; i < total; i++) {
                    k.wait(ev, null);
                    long t1 = System.nanoTime();
                    long sent = chan.tryReceive().orElseThrow();
                    lat[i] = t1 - sent;
                    handled.incrementAndGet();
                }
                return null;
            });
            w.join();
        }
        return List.of(row(Kw.key(backend, null), Kw.name(backend) + ": Chan.trySend from a thread -> task in wait(recv)",
                "kwait", backend, lat, call, warm));
    }

    /** Peer: Selector.wakeup() to a platform thread blocked in select(). */
    public static List<Row> selector(Args a) throws Exception {
        int samples = a.integer("samples", 20_000), warm = a.integer("warm", 2_000), total = samples + warm;
        long gapNs = a.lng("gapUs", 200) * 1000;
        double[] lat = new double[total], call = new double[total];
        AtomicInteger handled = new AtomicInteger();
        long[] t0 = new long[1];
        try (Selector sel = Selector.open()) {
            Thread w = waker(total, gapNs, handled, call, sel::wakeup, t0);
            for (int i = 0; i < total; i++) {
                sel.select();
                long t1 = System.nanoTime();
                lat[i] = t1 - t0Volatile(t0);
                handled.incrementAndGet();
            }
            w.join();
        }
        return List.of(row("selector", "Selector.wakeup() -> thread in select()", "peer", "", lat, call, warm));
    }

    /** Peer: LockSupport.unpark to a platform thread in park(). */
    public static List<Row> unpark(Args a) throws Exception {
        int samples = a.integer("samples", 20_000), warm = a.integer("warm", 2_000), total = samples + warm;
        long gapNs = a.lng("gapUs", 200) * 1000;
        double[] lat = new double[total], call = new double[total];
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger flag = new AtomicInteger();
        long[] t0 = new long[1];
        Thread me = Thread.currentThread();
        Thread w = waker(total, gapNs, handled, call, () -> { flag.set(1); LockSupport.unpark(me); }, t0);
        for (int i = 0; i < total; i++) {
            while (flag.get() == 0) LockSupport.park();
            long t1 = System.nanoTime();
            flag.set(0);
            lat[i] = t1 - t0Volatile(t0);
            handled.incrementAndGet();
        }
        w.join();
        return List.of(row("unpark", "LockSupport.unpark -> thread in park()", "peer", "", lat, call, warm));
    }

    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);

    /** t0 is written before the signal; the signal's own synchronisation publishes it, read it plainly-volatile anyway. */
    private static long t0Volatile(long[] slot) {
        return (long) LONGS.getVolatile(slot, 0);
    }
}
