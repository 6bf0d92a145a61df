package io.kwait.bench;

import com.zaxxer.nuprocess.NuAbstractProcessHandler;
import com.zaxxer.nuprocess.NuProcess;
import com.zaxxer.nuprocess.NuProcessBuilder;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario 9 (issue 10): {@code count} children each writing 64 KiB to stdout (figure "out") or
 * 64 KiB to stdout and 64 KiB to stderr ("both"), collected in full, at most 64 alive at once; and
 * the spawn-to-exit latency of {@code /bin/true} ("true", {@code count} runs one after another).
 * The harness runs one figure per JVM, so the thread counts are the figure's own:
 *
 * <pre>
 * java FLAGS -cp ... io.kwait.bench.Child 9-children way=WAY figures=out[,both,true] [count=1000] [warm=50] [backend=epoll]
 *   WAY: kwait-loop | kwait-tasks (backend=...) | threads | virtual | nuprocess
 * </pre>
 *
 * <p>Threads: ThreadMXBean's peak platform-thread count during the measured part (reset after
 * the warm-up) minus the platform threads alive when the JVM started (before the warm-up, so idle
 * pool threads a warm-up leaves behind count as the way's own). Virtual threads are not counted.
 * CPU: this JVM's CPU time (the children's own CPU is theirs).
 */
public final class ChildrenBench {
    private ChildrenBench() {}

    static final int SIZE = 64 * 1024;
    static final int ALIVE = 64;
    static final int WARM_UP = 50;

    /** Platform threads of the JVM before any figure ran. */
    private static final int THREADS_AT_START = ManagementFactory.getThreadMXBean().getThreadCount();
    private static final java.util.Set<Long> THREAD_IDS_AT_START = ids();

    private static java.util.Set<Long> ids() {
        java.util.Set<Long> s = new java.util.HashSet<>();
        for (long id : ManagementFactory.getThreadMXBean().getAllThreadIds()) s.add(id);
        return s;
    }

    /** Names of the platform threads alive now that were not when the JVM started, with their counts. */
    private static String newThreads() {
        java.util.Map<String, Integer> names = new java.util.TreeMap<>();
        for (var info : ManagementFactory.getThreadMXBean().getThreadInfo(ManagementFactory.getThreadMXBean().getAllThreadIds())) {
            if (info == null || THREAD_IDS_AT_START.contains(info.getThreadId())) continue;
            names.merge(info.getThreadName().replaceAll("[0-9]+", "N"), 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        names.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "; ").append(k).append(v > 1 ? " ×" + v : ""));
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /**
     * Whether every added thread named in {@code names} (as {@link #newThreads()} writes them) is one
     * the JVM starts once on first use (JNR's Cleaner, the VirtualThread-unblocker), not one per child.
     */
    static boolean jvmWideOnly(String names) {
        if (names == null || names.isBlank() || names.equals("none")) return true;
        for (String n : names.split(";")) {
            String name = n.strip().replaceAll(" ×\\d+$", "");
            if (!name.isEmpty() && !name.equals("Cleaner-N") && !name.equals("VirtualThread-unblocker")) return false;
        }
        return true;
    }

    /** The harness entry ({@link Child}): one row per figure named in {@code figures}. */
    public static List<Row> run(Args a) throws Exception {
        String way = a.str("way"), backend = a.str("backend", "");
        int n = a.integer("count", 1000), warm = a.integer("warm", WARM_UP);
        List<Row> rows = new ArrayList<>();
        for (String figure : a.str("figures").split(",")) rows.add(figure(way, backend, figure, n, warm));
        return rows;
    }

    static List<String> command(String figure) {
        return switch (figure) {
            case "out" -> List.of("head", "-c", String.valueOf(SIZE), "/dev/zero");
            case "both" -> List.of("sh", "-c", "head -c " + SIZE + " /dev/zero; head -c " + SIZE + " /dev/zero >&2");
            case "true" -> List.of("/bin/true");
            default -> throw new IllegalArgumentException("unknown figure '" + figure + "' (out, both, true)");
        };
    }

    static Row figure(String way, String backend, String figure, int n, int warm) throws Exception {
        List<String> cmd = command(figure);
        boolean latency = figure.equals("true");
        long expected = (long) n * SIZE * (figure.equals("both") ? 2 : 1);
        if (latency) latency(way, backend, cmd, warm);
        else collect(way, backend, cmd, warm);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        threads.resetPeakThreadCount();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
        long[] lat = null;
        long bytes = 0;
        if (latency) lat = latency(way, backend, cmd, n);
        else bytes = collect(way, backend, cmd, n);
        long wall = System.nanoTime() - t0, cpu = os.getProcessCpuTime() - cpu0;
        int peak = threads.getPeakThreadCount();
        String added = newThreads();
        if (!latency && bytes != expected) throw new IllegalStateException(way + " " + figure + ": collected " + bytes + " bytes, expected " + expected);
        boolean kwait = way.startsWith("kwait");
        String key = (kwait ? way.replace("kwait-", "kwait-" + backend + "-") : way) + "-" + figure;
        Row r = latency
                ? new Row("9", key, (way.equals("threads") ? "ProcessBuilder.start() + waitFor()" : label(way, backend)) + ", /bin/true", kwait ? "kwait" : "peer", kwait ? backend : "", "ns", "dist",
                        Arrays.stream(lat).asDoubleStream().toArray())
                : new Row("9", key, label(way, backend) + ", " + (figure.equals("both") ? "stdout + stderr" : "stdout"),
                        kwait ? "kwait" : "peer", kwait ? backend : "", "ns", "value", new double[] {wall});
        return r.put("figure", figure).put("way", way).put("count", n).put("wallMs", wall / 1e6).put("cpuMs", cpu / 1e6)
                .put("peakThreads", peak).put("threadsAtStart", THREADS_AT_START).put("addedThreads", peak - THREADS_AT_START)
                .put("bytes", bytes).put("newThreads", added);
    }

    static String label(String way, String backend) {
        return switch (way) {
            case "kwait-loop" -> "kwait " + backend + ": one thread, one wait over every child's pipes and exit";
            case "kwait-tasks" -> Kw.name(backend) + ": 64 tasks, each runs its children one by one";
            case "threads" -> "ProcessBuilder, a platform thread per stream";
            case "virtual" -> "ProcessBuilder, a virtual thread per stream";
            case "nuprocess" -> "NuProcess " + Processes.mavenVersion("com.zaxxer", "nuprocess") + " callbacks";
            default -> throw new IllegalArgumentException("unknown way '" + way + "'");
        };
    }

    // ---------------------------------------------------------------- collecting output

    static long collect(String way, String backend, List<String> cmd, int n) throws Exception {
        return switch (way) {
            case "kwait-loop" -> kwaitLoop(backend, cmd, n);
            case "kwait-tasks" -> kwaitTasks(backend, cmd, n);
            case "threads" -> perStream(cmd, n, false);
            case "virtual" -> perStream(cmd, n, true);
            case "nuprocess" -> nuProcess(cmd, n);
            default -> throw new IllegalArgumentException("unknown way '" + way + "'");
        };
    }

    /** One plain thread, one wait over every live child's pipes and exits. */
    static long kwaitLoop(String backend, List<String> cmd, int n) throws Exception {
        long total = 0;
        try (Kernel kernel = Kernel.open(backend)) {
            List<io.kwait.Child> live = new ArrayList<>();
            int started = 0;
            ByteBuffer buf = ByteBuffer.allocateDirect(SIZE);
            List<Event> events = new ArrayList<>();
            while (started < n || !live.isEmpty()) {
                while (started < n && live.size() < ALIVE) {
                    live.add(io.kwait.Child.start(kernel, new ProcessBuilder(cmd)));
                    started++;
                }
                events.clear();
                for (io.kwait.Child c : live) events.addAll(c.events());
                for (Fired f : kernel.wait(events, null)) {
                    if (f.event().resource() instanceof Pipe.SourceChannel ch) total += drain(ch, buf);
                }
                live.removeIf(io.kwait.Child::isFinished);
            }
        }
        return total;
    }

    /** Reads what the pipe has now; closes it at end of stream. */
    private static long drain(Pipe.SourceChannel ch, ByteBuffer buf) throws java.io.IOException {
        long got = 0;
        while (true) {
            buf.clear();
            int r = ch.read(buf);
            if (r < 0) {
                ch.close();
                return got;
            }
            if (r == 0) return got;
            got += r;
        }
    }

    /** 64 tasks of one scheduler, each starting and draining children one after another. */
    static long kwaitTasks(String backend, List<String> cmd, int n) throws Exception {
        AtomicLong total = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        try (Kernel kernel = Kernel.open(backend)) {
            Scheduler.run(kernel, () -> {
                List<Task<Void>> workers = new ArrayList<>();
                for (int w = 0; w < ALIVE; w++) {
                    workers.add(Task.spawn(() -> {
                        ByteBuffer buf = ByteBuffer.allocateDirect(SIZE);
                        while (next.getAndIncrement() < n) {
                            io.kwait.Child c = io.kwait.Child.start(kernel, new ProcessBuilder(cmd));
                            while (!c.isFinished()) {
                                for (Fired f : kernel.wait(c.events(), null)) {
                                    if (f.event().resource() instanceof Pipe.SourceChannel ch) total.addAndGet(drain(ch, buf));
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Task<Void> t : workers) t.join();
                return null;
            });
        }
        return total.get();
    }

    /** What Java users write today: ProcessBuilder, a reader per stream (platform or virtual threads). */
    static long perStream(List<String> cmd, int n, boolean virtual) throws Exception {
        AtomicLong total = new AtomicLong();
        try (ExecutorService workers = virtual ? Executors.newVirtualThreadPerTaskExecutor() : Executors.newFixedThreadPool(ALIVE);
             ExecutorService readers = virtual ? Executors.newVirtualThreadPerTaskExecutor() : Executors.newCachedThreadPool()) {
            Semaphore alive = new Semaphore(ALIVE);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                alive.acquire();
                done.add(workers.submit(() -> {
                    try {
                        Process p = new ProcessBuilder(cmd).start();
                        Future<Long> err = readers.submit(() -> drain(p.getErrorStream()));
                        long out = drain(p.getInputStream());
                        total.addAndGet(out + err.get());
                        p.waitFor();
                        return null;
                    } finally {
                        alive.release();
                    }
                }));
            }
            for (Future<?> f : done) f.get();
        }
        return total.get();
    }

    private static long drain(InputStream in) throws java.io.IOException {
        byte[] b = new byte[SIZE];
        long t = 0;
        for (int r; (r = in.read(b)) >= 0; ) t += r;
        return t;
    }

    static long nuProcess(List<String> cmd, int n) throws Exception {
        AtomicLong total = new AtomicLong();
        Semaphore alive = new Semaphore(ALIVE);
        CountDownLatch exited = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            alive.acquire();
            NuProcessBuilder pb = new NuProcessBuilder(cmd);
            pb.setProcessListener(new NuAbstractProcessHandler() {
                @Override public void onStdout(ByteBuffer buffer, boolean closed) {
                    total.addAndGet(buffer.remaining());
                    buffer.position(buffer.limit());
                }

                @Override public void onStderr(ByteBuffer buffer, boolean closed) {
                    total.addAndGet(buffer.remaining());
                    buffer.position(buffer.limit());
                }

                @Override public void onExit(int exitCode) {
                    alive.release();
                    exited.countDown();
                }
            });
            pb.start();
        }
        if (!exited.await(10, TimeUnit.MINUTES)) throw new IllegalStateException("NuProcess: not every exit was reported");
        return total.get();
    }

    // ---------------------------------------------------------------- /bin/true latency

    static long[] latency(String way, String backend, List<String> cmd, int n) throws Exception {
        long[] lat = new long[n];
        switch (way) {
            case "kwait-loop", "kwait-tasks" -> {
                // One child at a time: the loop and the task shape are the same here; the loop's is measured.
                try (Kernel kernel = Kernel.open(backend)) {
                    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.INHERIT);
                    for (int i = 0; i < n; i++) {
                        long t = System.nanoTime();
                        io.kwait.Child c = io.kwait.Child.start(kernel, pb);
                        kernel.wait(List.of(Event.exit(c)), null);
                        lat[i] = System.nanoTime() - t;
                    }
                }
            }
            case "threads", "virtual" -> {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.INHERIT);
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    pb.start().waitFor();
                    lat[i] = System.nanoTime() - t;
                }
            }
            case "nuprocess" -> {
                for (int i = 0; i < n; i++) {
                    NuProcessBuilder pb = new NuProcessBuilder(cmd);
                    pb.setProcessListener(new NuAbstractProcessHandler() {});
                    long t = System.nanoTime();
                    NuProcess p = pb.start();
                    p.waitFor(0, TimeUnit.SECONDS);
                    lat[i] = System.nanoTime() - t;
                }
            }
            default -> throw new IllegalArgumentException("unknown way '" + way + "'");
        }
        return lat;
    }
}
