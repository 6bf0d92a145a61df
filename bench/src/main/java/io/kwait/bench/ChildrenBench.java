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
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 10's scenario: 1,000 children each writing 64 KiB to stdout (figure "out") or 64 KiB to
 * stdout and 64 KiB to stderr ("both"), collected in full, at most 64 alive at once; and the
 * spawn-to-exit latency of {@code /bin/true} ("true", 1,000 runs one after another). One figure
 * per JVM, so the peak platform-thread count is the figure's own:
 *
 * <pre>
 * java FLAGS -cp ... io.kwait.bench.ChildrenBench WAY FIGURE [children]
 *   WAY: kwait-epoll-loop | kwait-epoll-tasks | kwait-select-loop | threads | virtual | nuprocess
 *   FIGURE: out | both | true
 * </pre>
 *
 * Prints one line: way, figure, wall ms, peak platform threads, CPU ms (process), bytes, and for
 * "true" the median and p90 in microseconds.
 */
public final class ChildrenBench {
    private ChildrenBench() {}

    static final int SIZE = 64 * 1024;
    static final int ALIVE = 64;

    public static void main(String[] args) throws Exception {
        String way = args[0], figure = args[1];
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        List<String> cmd = switch (figure) {
            case "out" -> List.of("head", "-c", String.valueOf(SIZE), "/dev/zero");
            case "both" -> List.of("sh", "-c", "head -c " + SIZE + " /dev/zero; head -c " + SIZE + " /dev/zero >&2");
            case "true" -> List.of("/bin/true");
            default -> throw new IllegalArgumentException(figure);
        };
        long expected = (long) n * SIZE * (figure.equals("both") ? 2 : 1);
        warmUp(way, cmd);
        var threads = ManagementFactory.getThreadMXBean();
        threads.resetPeakThreadCount();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
        long[] lat = null;
        long bytes = 0;
        if (figure.equals("true")) lat = latency(way, cmd, n);
        else bytes = collect(way, cmd, n);
        long wall = System.nanoTime() - t0, cpu = os.getProcessCpuTime() - cpu0;
        if (lat == null && bytes != expected) throw new AssertionError("bytes " + bytes + " != " + expected);
        String extra = "";
        if (lat != null) {
            Arrays.sort(lat);
            extra = String.format(Locale.ROOT, " median_us=%.0f p90_us=%.0f", lat[lat.length / 2] / 1e3, lat[lat.length * 9 / 10] / 1e3);
        }
        System.out.printf(Locale.ROOT, "%s %s children=%d wall_ms=%.0f peak_threads=%d cpu_ms=%.0f bytes=%d%s%n",
                way, figure, n, wall / 1e6, threads.getPeakThreadCount(), cpu / 1e6, bytes, extra);
    }

    private static void warmUp(String way, List<String> cmd) throws Exception {
        if (cmd.get(0).equals("/bin/true")) latency(way, cmd, 50);
        else collect(way, cmd, 50);
    }

    // ---------------------------------------------------------------- collecting output

    static long collect(String way, List<String> cmd, int n) throws Exception {
        return switch (way) {
            case "kwait-epoll-loop" -> kwaitLoop("epoll", cmd, n);
            case "kwait-select-loop" -> kwaitLoop("select", cmd, n);
            case "kwait-epoll-tasks" -> kwaitTasks("epoll", cmd, n);
            case "threads" -> perStream(cmd, n, false);
            case "virtual" -> perStream(cmd, n, true);
            case "nuprocess" -> nuProcess(cmd, n);
            default -> throw new IllegalArgumentException(way);
        };
    }

    /** One plain thread, one wait over every live child's pipes and exits. */
    static long kwaitLoop(String backend, List<String> cmd, int n) throws Exception {
        long total = 0;
        try (Kernel kernel = Kernel.open(backend)) {
            List<io.kwait.Child> live = new ArrayList<>();
            int started = 0;
            ByteBuffer buf = ByteBuffer.allocateDirect(SIZE);
            while (started < n || !live.isEmpty()) {
                while (started < n && live.size() < ALIVE) {
                    live.add(io.kwait.Child.start(kernel, new ProcessBuilder(cmd)));
                    started++;
                }
                List<Event> events = new ArrayList<>();
                for (io.kwait.Child c : live) events.addAll(c.events());
                for (Fired f : kernel.wait(events, null)) {
                    if (f.event().resource() instanceof Pipe.SourceChannel ch) {
                        while (true) {
                            buf.clear();
                            int r = ch.read(buf);
                            if (r < 0) { ch.close(); break; }
                            if (r == 0) break;
                            total += r;
                        }
                    }
                }
                live.removeIf(io.kwait.Child::isFinished);
            }
        }
        return total;
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
                                    if (f.event().resource() instanceof Pipe.SourceChannel ch) {
                                        buf.clear();
                                        int r = ch.read(buf);
                                        if (r < 0) ch.close();
                                        else total.addAndGet(r);
                                    }
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
        List<NuProcess> all = new ArrayList<>();
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

                @Override public void onExit(int exitCode) { alive.release(); }
            });
            all.add(pb.start());
        }
        for (NuProcess p : all) p.waitFor(0, TimeUnit.SECONDS);
        return total.get();
    }

    // ---------------------------------------------------------------- /bin/true latency

    static long[] latency(String way, List<String> cmd, int n) throws Exception {
        long[] lat = new long[n];
        switch (way) {
            case "kwait-epoll-loop", "kwait-select-loop", "kwait-epoll-tasks" -> {
                try (Kernel kernel = Kernel.open(way.contains("select") ? "select" : "epoll")) {
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
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    new ProcessBuilder(cmd).start().waitFor();
                    lat[i] = System.nanoTime() - t;
                }
            }
            case "nuprocess" -> {
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    NuProcess p = new NuProcessBuilder(cmd).start();
                    p.waitFor(0, TimeUnit.SECONDS);
                    lat[i] = System.nanoTime() - t;
                }
            }
            default -> throw new IllegalArgumentException(way);
        }
        return lat;
    }
}
