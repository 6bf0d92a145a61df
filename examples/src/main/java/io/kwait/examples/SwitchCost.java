package io.kwait.examples;

import io.kwait.Chan;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * What a switch between two kwait tasks costs, next to the JDK's ways of handing control from one
 * thread to another. A plain harness (medians of timed batches after a warm-up), not JMH: a quick
 * figure anyone can reproduce with one command.
 *
 * <pre>
 * mvn -q -pl examples -am -DskipTests -Pswitchcost verify
 * java -cp ... io.kwait.examples.SwitchCost [--warmup-ms=1000] [--batch-ms=300] [--batches=7]
 * </pre>
 *
 * Every figure is nanoseconds per <em>round trip</em>: A hands control (or a message) to B and
 * B hands it back. kwait figures: (a) two tasks calling {@link Task#yieldNow()} alternately;
 * (b) two tasks ping-ponging a message over two {@link Chan#rendezvous()} channels, and over two
 * {@link Chan#bounded(int) bounded(1)} channels. Peers: (c) two virtual threads handing a baton
 * with {@link LockSupport#park()}/{@code unpark}; (d) two virtual threads ping-ponging over two
 * {@link SynchronousQueue}s; (e) the same between two platform threads.
 */
public final class SwitchCost {
    private static final PrintStream OUT = System.out;
    private static final Object TOKEN = "token";

    private final long warmupNanos;
    private final long batchNanos;
    private final int batches;

    private SwitchCost(long warmupMs, long batchMs, int batches) {
        this.warmupNanos = warmupMs * 1_000_000;
        this.batchNanos = batchMs * 1_000_000;
        this.batches = batches;
    }

    /** One batch: performs {@code n} round trips and returns the nanoseconds they took. */
    @FunctionalInterface
    interface Batch {
        long run(int n) throws Exception;
    }

    /** The outcome of one figure: ns per round trip of each timed batch. */
    record Result(String label, double[] perRoundTrip, int roundTripsPerBatch) {
        double median() {
            double[] s = perRoundTrip.clone();
            Arrays.sort(s);
            int m = s.length / 2;
            return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
        }

        double min() { return Arrays.stream(perRoundTrip).min().orElse(Double.NaN); }

        double max() { return Arrays.stream(perRoundTrip).max().orElse(Double.NaN); }
    }

    public static void main(String[] args) {
        long warmupMs = 1000, batchMs = 300;
        int batches = 7;
        try {
            for (String a : args) {
                if (a.startsWith("--warmup-ms=")) warmupMs = Long.parseLong(a.substring(12));
                else if (a.startsWith("--batch-ms=")) batchMs = Long.parseLong(a.substring(11));
                else if (a.startsWith("--batches=")) batches = Integer.parseInt(a.substring(10));
                else throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
            if (warmupMs < 0 || batchMs < 1 || batches < 1) throw new IllegalArgumentException("values must be positive");
        } catch (IllegalArgumentException e) {
            System.err.println("SwitchCost: " + e.getMessage());
            System.err.println("usage: SwitchCost [--warmup-ms=1000] [--batch-ms=300] [--batches=7]");
            System.exit(2);
        }
        try {
            new SwitchCost(warmupMs, batchMs, batches).runAll();
        } catch (Exception e) {
            System.err.println("SwitchCost failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private void runAll() throws Exception {
        long start = System.nanoTime();
        String backend;
        String strand;
        try (Kernel k = Kernel.open()) {
            backend = k.backendName();
            strand = Scheduler.run(k, () -> Scheduler.current().strand());
        }
        OUT.printf(Locale.ROOT, "SwitchCost: Java %s, %d CPUs, kwait backend %s, scheduler strand %s, virtual-thread parallelism %s%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), backend, strand,
                System.getProperty("jdk.virtualThreadScheduler.parallelism", "default"));
        OUT.printf(Locale.ROOT, "method: per figure ~%d ms warm-up, then %d timed batches of ~%d ms; ns per round trip (A->B->A)%n%n",
                warmupNanos / 1_000_000, batches, batchNanos / 1_000_000);
        OUT.printf(Locale.ROOT, "%-56s %10s %10s %10s %12s%n", "figure", "median", "min", "max", "trips/batch");

        List<Result> kwait = new ArrayList<>();
        kwait.add(inScheduler("(a) kwait: 2 tasks, Task.yieldNow() alternately", this::kwaitYield));
        kwait.add(inScheduler("(b) kwait: 2 tasks, ping-pong over 2 Chan.rendezvous()", n -> kwaitChan(n, Chan::rendezvous)));
        kwait.add(inScheduler("(b) kwait: 2 tasks, ping-pong over 2 Chan.bounded(1)", n -> kwaitChan(n, () -> Chan.bounded(1))));
        List<Result> peers = new ArrayList<>();
        peers.add(measure("(c) 2 virtual threads, park/unpark baton", n -> baton(n, true)));
        peers.add(measure("(d) 2 virtual threads, 2 SynchronousQueues", n -> queues(n, true)));
        peers.add(measure("(e) 2 platform threads, 2 SynchronousQueues", n -> queues(n, false)));

        OUT.println();
        OUT.println("ratio kwait / peer (medians; < 1 means kwait is faster)");
        OUT.printf(Locale.ROOT, "%-56s", "");
        for (Result p : peers) OUT.printf(Locale.ROOT, " %8s", p.label().substring(0, 3));
        OUT.println();
        for (Result k : kwait) {
            OUT.printf(Locale.ROOT, "%-56s", k.label());
            for (Result p : peers) OUT.printf(Locale.ROOT, " %8.2f", k.median() / p.median());
            OUT.println();
        }
        OUT.printf(Locale.ROOT, "%ntotal %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    // ------------------------------------------------------------------ harness

    /** Measures {@code batch} in the root task of a fresh scheduler, so kwait's tasks run as in a program. */
    private Result inScheduler(String label, Batch batch) throws Exception {
        try (Kernel kernel = Kernel.open()) {
            return Scheduler.run(kernel, () -> measure(label, batch));
        }
    }

    /** Warms up for ~warmupNanos, sizing the batch as it goes, then times the batches and prints a row. */
    private Result measure(String label, Batch batch) throws Exception {
        int n = 1_000;
        long warmStart = System.nanoTime();
        List<Double> rates = new ArrayList<>();
        do {
            long t = batch.run(n);
            rates.add(Math.max(1.0, (double) t / n));
            // Size the next batch from the median of the last few (one slow batch must not shrink it).
            List<Double> last = new ArrayList<>(rates.subList(Math.max(0, rates.size() - 5), rates.size()));
            last.sort(null);
            double nsPerTrip = last.get(last.size() / 2);
            n = (int) Math.max(100, Math.min(Integer.MAX_VALUE / 2, batchNanos / nsPerTrip));
        } while (System.nanoTime() - warmStart < warmupNanos);
        double[] per = new double[batches];
        for (int b = 0; b < batches; b++) per[b] = (double) batch.run(n) / n;
        Result r = new Result(label, per, n);
        OUT.printf(Locale.ROOT, "%-56s %10s %10s %10s %12d%n", label, ns(r.median()), ns(r.min()), ns(r.max()), n);
        return r;
    }

    private static String ns(double v) {
        return v >= 10_000 ? String.format(Locale.ROOT, "%.1f us", v / 1000) : String.format(Locale.ROOT, "%.0f ns", v);
    }

    // ------------------------------------------------------------------ kwait

    /** (a) The root task and a partner yield to each other n times each: n round trips. */
    private long kwaitYield(int n) throws Exception {
        Task<Void> partner = Task.spawn("partner", () -> {
            for (int i = 0; i < n; i++) Task.yieldNow();
            return null;
        });
        Task.yieldNow(); // let the partner start before timing
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) Task.yieldNow();
        long t = System.nanoTime() - t0;
        partner.join();
        return t;
    }

    /** (b) The root task sends on ping, the partner answers on pong: n round trips. */
    private long kwaitChan(int n, Supplier<Chan<Object>> make) throws Exception {
        Chan<Object> ping = make.get();
        Chan<Object> pong = make.get();
        Task<Void> partner = Task.spawn("partner", () -> {
            for (int i = 0; i < n; i++) pong.send(ping.receive());
            return null;
        });
        ping.send(TOKEN); // one untimed trip: the partner has started
        pong.receive();
        long t0 = System.nanoTime();
        for (int i = 1; i < n; i++) {
            ping.send(TOKEN);
            pong.receive();
        }
        long t = System.nanoTime() - t0;
        partner.join();
        return t * n / Math.max(1, n - 1);
    }

    // ------------------------------------------------------------------ peers

    /** (c) A hands B the baton with unpark and parks until B hands it back: n round trips. */
    private static long baton(int n, boolean virtual) throws Exception {
        final class Baton {
            volatile int turn; // 0: A runs, 1: B runs
            volatile Thread a;
        }
        Baton baton = new Baton();
        AtomicLong elapsed = new AtomicLong();
        Thread.Builder builder = virtual ? Thread.ofVirtual() : Thread.ofPlatform();
        Thread b = builder.unstarted(() -> {
            for (int i = 0; i < n; i++) {
                while (baton.turn != 1) LockSupport.park();
                baton.turn = 0;
                LockSupport.unpark(baton.a);
            }
        });
        Thread a = builder.unstarted(() -> {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                baton.turn = 1;
                LockSupport.unpark(b);
                while (baton.turn != 0) LockSupport.park();
            }
            elapsed.set(System.nanoTime() - t0);
        });
        baton.a = a;
        b.start();
        a.start();
        a.join();
        b.join();
        return elapsed.get();
    }

    /** (d), (e) A puts on ping and takes from pong; B takes from ping and puts on pong: n round trips. */
    private static long queues(int n, boolean virtual) throws Exception {
        SynchronousQueue<Object> ping = new SynchronousQueue<>();
        SynchronousQueue<Object> pong = new SynchronousQueue<>();
        AtomicLong elapsed = new AtomicLong();
        Exception[] failure = new Exception[1];
        Thread.Builder builder = virtual ? Thread.ofVirtual() : Thread.ofPlatform();
        Thread b = builder.start(() -> {
            try {
                for (int i = 0; i < n; i++) pong.put(ping.take());
            } catch (InterruptedException e) {
                failure[0] = e;
            }
        });
        Thread a = builder.start(() -> {
            try {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    ping.put(TOKEN);
                    pong.take();
                }
                elapsed.set(System.nanoTime() - t0);
            } catch (InterruptedException e) {
                failure[0] = e;
            }
        });
        a.join();
        b.join();
        if (failure[0] != null) throw failure[0];
        return elapsed.get();
    }
}
