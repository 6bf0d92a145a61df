package io.kwait.bench;

import com.zaxxer.nuprocess.NuAbstractProcessHandler;
import com.zaxxer.nuprocess.NuProcess;
import com.zaxxer.nuprocess.NuProcessBuilder;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 5: wait for {@code count} exiting processes.
 *
 * <p>Each process is {@code sh job.sh SECONDS LOG}: it sleeps, then {@code exec}s {@code date},
 * which appends "PID EPOCH-NANOS" (CLOCK_REALTIME) to the log and exits; that line is written by
 * the last program the process runs, on its way out, so it is the process's exit time to within
 * the exit path (tens of microseconds). The waiter notes {@code Instant.now()} (the same clock)
 * when it sees the exit. Exit-to-event delay = event time - logged exit time. Every process first
 * waits at a gate (a shared {@code flock} on a file that a helper process holds exclusively while
 * the processes are started); the gate opens when the waiter is ready, and process i then sleeps
 * {@code baseMs + i * staggerMs}, so exits arrive one at a time rather than as one herd, and none
 * before the waiter watches it however slowly the processes were started (starting 1,000
 * ProcessBuilder children takes ~5 s here, more under load). Processes that exit before the
 * waiter was ready are still counted and reported.
 *
 * <p>"children": started by this JVM (ProcessBuilder, or NuProcess for its figure).
 * "others": started by a bash launcher (a child of this JVM) that runs them in the background,
 * prints their pids and reaps them; this JVM only gets their pids.
 *
 * <p>Peak threads: ThreadMXBean's peak platform-thread count (reset before the first spawn);
 * virtual threads are not counted there. The JDK itself runs one reaper thread per live child it
 * started, so every ProcessBuilder figure shows about one thread per child whatever waits on it.
 */
public final class Processes {
    private Processes() {}

    static final class Setup {
        final int count;
        final long baseMs;
        final double staggerMs;
        final Path dir;
        final Path log;
        final Path job;
        final Path gate;
        final Process gateHolder;
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final int threadsBefore;
        final long startNs;
        final long startNano = System.nanoTime();
        final Map<Long, Long> eventAt = new ConcurrentHashMap<>();
        volatile long readyAt = Long.MAX_VALUE;

        Setup(Args a) throws IOException {
            count = a.integer("count", 1000);
            baseMs = a.lng("baseMs", 2500);
            staggerMs = Double.parseDouble(a.str("staggerMs", "1"));
            dir = Files.createTempDirectory("kwait-bench-proc");
            log = dir.resolve("exits.log");
            job = dir.resolve("job.sh");
            gate = dir.resolve("gate.lock");
            Files.writeString(gate, "");
            Files.writeString(job, "flock -s \"$3\" true\nsleep \"$1\"\nexec date +\"$$ %s%N\" >> \"$2\"\n");
            // The gate: a helper holds an exclusive flock until release() writes a line to it.
            gateHolder = new ProcessBuilder("flock", "-x", gate.toString(), "sh", "-c", "echo locked; read x")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String ok = new BufferedReader(new InputStreamReader(gateHolder.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            if (!"locked".equals(ok)) throw new IOException("gate: flock did not take the lock: " + ok);
            threadsBefore = threads.getThreadCount();
            threads.resetPeakThreadCount();
            startNs = epochNanos();
        }

        /** Process i's sleep after the gate opens. */
        String seconds(int i) {
            return String.format(Locale.ROOT, "%.4f", (baseMs + i * staggerMs) / 1000.0);
        }

        /** The waiter is ready: note the time and open the gate. */
        void ready() throws IOException {
            readyAt = epochNanos();
            gateHolder.getOutputStream().write('\n');
            gateHolder.getOutputStream().flush();
        }

        List<String> command(int i) {
            return List.of("/bin/sh", job.toString(), seconds(i), log.toString(), gate.toString());
        }

        void saw(long pid) {
            eventAt.putIfAbsent(pid, epochNanos());
        }

        Row row(String key, String label, String who, String backend) throws IOException {
            int peak = threads.getPeakThreadCount();
            Map<Long, Long> exits = new HashMap<>();
            for (String line : Files.readAllLines(log)) {
                String[] f = line.trim().split(" ");
                if (f.length == 2) exits.put(Long.parseLong(f[0]), Long.parseLong(f[1]));
            }
            double[] delays = new double[eventAt.size()];
            int n = 0, early = 0, unmatched = 0;
            long lastEvent = 0;
            for (Map.Entry<Long, Long> e : eventAt.entrySet()) {
                Long exit = exits.get(e.getKey());
                lastEvent = Math.max(lastEvent, e.getValue());
                if (exit == null) { unmatched++; continue; }
                if (exit < readyAt) early++;
                delays[n++] = e.getValue() - exit;
            }
            delays = java.util.Arrays.copyOf(delays, n);
            try (var s = Files.list(dir)) { for (Path p : s.toList()) Files.deleteIfExists(p); }
            Files.deleteIfExists(dir);
            return new Row("5", key, label, who, backend, "ns", "dist", delays)
                    .put("count", count).put("seen", eventAt.size()).put("unmatched", unmatched).put("early", early)
                    .put("wallMs", (lastEvent - startNs) / 1e6).put("peakThreads", peak).put("threadsBefore", threadsBefore)
                    .put("addedThreads", peak - threadsBefore);
        }
    }

    /** The version of a Maven artifact on the class path, from its pom.properties. */
    static String mavenVersion(String group, String artifact) {
        try (var in = Processes.class.getResourceAsStream("/META-INF/maven/" + group + "/" + artifact + "/pom.properties")) {
            if (in == null) return "";
            var p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "");
        } catch (IOException e) {
            return "";
        }
    }

    static long epochNanos() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    // ------------------------------------------------------------------ sources of processes

    static List<Process> children(Setup s) throws IOException {
        List<Process> ps = new ArrayList<>(s.count);
        for (int i = 0; i < s.count; i++) {
            ps.add(new ProcessBuilder(s.command(i)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        return ps;
    }

    /** Processes that are not children of this JVM: a bash launcher starts them and prints their pids. */
    static List<ProcessHandle> others(Setup s) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c",
                "for s in \"$@\"; do /bin/sh \"" + s.job + "\" \"$s\" \"" + s.log + "\" \"" + s.gate + "\" & echo $!; done; echo END; wait", "launcher"));
        for (int i = 0; i < s.count; i++) cmd.add(s.seconds(i));
        Process launcher = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<ProcessHandle> hs = new ArrayList<>(s.count);
        BufferedReader r = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.US_ASCII));
        String line;
        while ((line = r.readLine()) != null && !line.equals("END")) {
            long pid = Long.parseLong(line.trim());
            hs.add(ProcessHandle.of(pid).orElseThrow(() -> new IOException("pid " + pid + " gone before it was watched")));
        }
        if (hs.size() != s.count) throw new IOException("launcher printed " + hs.size() + " pids, expected " + s.count);
        return hs;
    }

    static List<Event> exitEvents(List<?> procs) {
        List<Event> evs = new ArrayList<>(procs.size());
        for (Object p : procs) {
            evs.add(p instanceof Process pr ? Event.exit(pr).withAttachment(pr.pid())
                    : Event.exit((ProcessHandle) p).withAttachment(((ProcessHandle) p).pid()));
        }
        return evs;
    }

    // ------------------------------------------------------------------ kwait

    /** kwait: shape=loop (one thread, one wait over every remaining exit) or shape=tasks (a task per process). */
    public static List<Row> kwait(Args a) throws Exception {
        String backend = a.str("backend"), which = a.str("which"), shape = a.str("shape", "loop");
        Setup s = new Setup(a);
        try (Kernel k = Kernel.open(backend)) {
            List<?> procs = which.equals("children") ? children(s) : others(s);
            List<Event> all = exitEvents(procs);
            if (shape.equals("loop")) {
                List<Event> remaining = new ArrayList<>(all);
                s.ready();
                while (!remaining.isEmpty()) {
                    List<Fired> fired = k.wait(remaining, null);
                    for (Fired f : fired) s.saw((Long) f.attachment());
                    for (Fired f : fired) remaining.remove(f.event());
                }
            } else {
                Scheduler.run(k, () -> {
                    List<Task<Void>> ts = new ArrayList<>(all.size());
                    for (Event e : all) {
                        List<Event> one = List.of(e);
                        ts.add(Task.spawn(() -> { k.wait(one, null); s.saw((Long) e.attachment()); return null; }));
                    }
                    Task.yieldNow();
                    s.ready();
                    for (Task<Void> t : ts) t.join();
                    return null;
                });
            }
        }
        String what = shape.equals("loop") ? "one thread, one wait over all exits" : "a task per process, each in wait(exit)";
        String key = shape.equals("loop") ? "kwait-" + backend + "-loop-" + which : Kw.key(backend, "tasks-" + which);
        String name = shape.equals("loop") ? "kwait " + backend : Kw.name(backend);
        return List.of(s.row(key, name + ": " + what, "kwait", backend)
                .put("which", which).put("shape", shape));
    }

    // ------------------------------------------------------------------ peers

    /** Peer: a platform thread per process, blocked in Process.waitFor() (children) or onExit().get() (others). */
    public static List<Row> threadPer(Args a) throws Exception {
        String which = a.str("which");
        Setup s = new Setup(a);
        List<Thread> ts = new ArrayList<>();
        if (which.equals("children")) {
            List<Process> ps = children(s);
            for (Process p : ps) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        p.waitFor();
                        s.saw(p.pid());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
        } else {
            List<ProcessHandle> hs = others(s);
            for (ProcessHandle h : hs) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        h.onExit().get();
                        s.saw(h.pid());
                    } catch (Exception e) {
                        e.printStackTrace();
                    }
                }));
            }
        }
        s.ready();
        for (Thread t : ts) t.join();
        String label = which.equals("children") ? "a thread per process in Process.waitFor()" : "a thread per pid in ProcessHandle.onExit().get()";
        return List.of(s.row("threads-" + which, label, "peer", "").put("which", which));
    }

    /** Peer: CompletableFutures from onExit(). */
    public static List<Row> onExit(Args a) throws Exception {
        String which = a.str("which");
        Setup s = new Setup(a);
        CountDownLatch all = new CountDownLatch(s.count);
        if (which.equals("children")) {
            for (Process p : children(s)) p.onExit().thenRun(() -> { s.saw(p.pid()); all.countDown(); });
        } else {
            for (ProcessHandle h : others(s)) h.onExit().thenRun(() -> { s.saw(h.pid()); all.countDown(); });
        }
        s.ready();
        all.await();
        return List.of(s.row("onexit-" + which, (which.equals("children") ? "Process" : "ProcessHandle") + ".onExit() futures", "peer", "")
                .put("which", which));
    }

    /** Peer: NuProcess (children it starts itself). */
    public static List<Row> nuProcess(Args a) throws Exception {
        Setup s = new Setup(a);
        CountDownLatch all = new CountDownLatch(s.count);
        List<NuProcess> ps = new ArrayList<>(s.count);
        for (int i = 0; i < s.count; i++) {
            NuProcessBuilder pb = new NuProcessBuilder(s.command(i));
            pb.setProcessListener(new NuAbstractProcessHandler() {
                private NuProcess proc;

                @Override
                public void onPreStart(NuProcess p) { proc = p; }

                @Override
                public void onExit(int code) {
                    if (proc != null) s.saw((long) proc.getPID());
                    all.countDown();
                }
            });
            ps.add(pb.start());
        }
        s.ready();
        if (!all.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("NuProcess: not every exit was reported");
        return List.of(s.row("nuprocess-children", "NuProcess " + mavenVersion("com.zaxxer", "nuprocess") + " onExit callbacks",
                "peer", "").put("which", "children"));
    }
}
