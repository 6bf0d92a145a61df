package io.kwait.bench;

import io.kwait.Kernel;
import io.kwait.bench.jmh.Conts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark scenario and writes BENCHMARKS.md and the charts.
 *
 * <pre>
 * mvn -q -Pbench -pl bench -am verify -DskipTests          # full run (~20 min), writes BENCHMARKS.md + bench/charts/
 * mvn -q -Pbench-quick -pl bench -am verify -DskipTests    # every scenario briefly, output in bench/target/quick/
 * BenchMain [--quick] [--out=FILE] [--charts=DIR] [--work=DIR] [--only=1,2,3a,3b,4,5,6,7,8,9,10] [--http-rounds=3] [--http-seconds=5] [--http-servers=KEY,...] [--splice]
 * mvn -q -Pbench -pl bench -am verify -DskipTests -Dbench.args="--only=9 --splice"   # one scenario into the existing BENCHMARKS.md
 * </pre>
 *
 * JMH (forked JVMs) measures scenarios 1, 2 and 6 (schedule/cancel); every other figure runs in
 * a fresh child JVM ({@link Child}) once per run, so figures do not share a JIT profile or a heap.
 * Scenario 10 ({@link HttpBench}) runs each HTTP server in its own JVM under {@code wrk}.
 */
public final class BenchMain {
    static final PrintStream OUT = System.out;
    static final List<String> ALL = List.of("1", "2", "3a", "3b", "4", "5", "6", "7", "8", "9", "10");

    final boolean quick;
    final Path out, charts, work;
    final Set<String> only;
    final List<String> backends = new ArrayList<>();
    final List<Kernel.BackendInfo> installed;
    final List<Row> rows = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final List<String> passFlags;
    final String continuationSkip;
    /** Scheduler strands to measure: continuation (when the JVM exports jdk.internal.vm) and virtual. */
    final List<String> strands = new ArrayList<>();
    final long started = System.nanoTime();
    /** When the measurements were taken and how long they took (also when a report is rewritten from saved rows). */
    String runDate;
    /** Scenario 10: rounds over every server, and seconds per wrk run. */
    int httpRounds = 3, httpSeconds = 5;
    /** Scenario 10: the servers to measure (figure key prefixes), or empty for all. */
    List<String> httpServers = List.of();
    double runMinutes = Double.NaN;
    /** {@code --splice}: put the scenarios of {@link #only} into the existing report ({@link Splice}) instead of rewriting it. */
    boolean splice;
    static final String META = "@META\t";

    BenchMain(boolean quick, Path out, Path charts, Path work, Set<String> only) {
        this.quick = quick;
        this.out = out;
        this.charts = charts;
        this.work = work;
        this.only = only;
        this.installed = Kernel.backends();
        for (Kernel.BackendInfo b : installed) {
            if (b.available() && b.priority() >= 0) backends.add(b.name());
        }
        this.passFlags = passThroughFlags();
        this.continuationSkip = Conts.unavailableReason();
        if (continuationSkip == null) strands.add("continuation");
        strands.add("virtual");
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Path.of("BENCHMARKS.md"), charts = Path.of("charts"), work = Path.of("target/bench-work");
        Set<String> only = new LinkedHashSet<>(ALL);
        Path reportFrom = null;
        int httpRounds = 3, httpSeconds = 5;
        List<String> httpServers = List.of();
        boolean splice = false;
        for (String a : args) {
            if (a.equals("--quick")) quick = true;
            else if (a.equals("--splice")) splice = true;
            else if (a.startsWith("--report-from=")) reportFrom = Path.of(a.substring(14));
            else if (a.startsWith("--out=")) out = Path.of(a.substring(6));
            else if (a.startsWith("--charts=")) charts = Path.of(a.substring(9));
            else if (a.startsWith("--work=")) work = Path.of(a.substring(7));
            else if (a.startsWith("--only=")) only = new LinkedHashSet<>(Arrays.asList(a.substring(7).split(",")));
            else if (a.startsWith("--http-rounds=")) httpRounds = Integer.parseInt(a.substring(14));
            else if (a.startsWith("--http-seconds=")) httpSeconds = Integer.parseInt(a.substring(15));
            else if (a.startsWith("--http-servers=")) httpServers = Arrays.asList(a.substring(15).split(","));
            else if (a.isBlank()) continue;
            else {
                System.err.println("BenchMain: unknown argument '" + a + "'");
                System.err.println("usage: BenchMain [--quick] [--out=FILE] [--charts=DIR] [--work=DIR] [--only=" + String.join(",", ALL) + "] [--http-rounds=N] [--http-seconds=S] [--http-servers=netty,kwait-epoll-cont,...] [--report-from=rows.tsv] [--splice]");
                System.exit(2);
            }
        }
        for (String s : only) {
            if (!ALL.contains(s)) {
                System.err.println("BenchMain: unknown scenario '" + s + "'; scenarios: " + ALL);
                System.exit(2);
            }
        }
        BenchMain m = new BenchMain(quick, out.toAbsolutePath(), charts.toAbsolutePath(), work.toAbsolutePath(), only);
        m.httpRounds = httpRounds;
        m.httpSeconds = httpSeconds;
        m.httpServers = httpServers;
        m.splice = splice;
        if (splice && (only.size() == ALL.size() || !Files.exists(m.out))) {
            System.err.println("BenchMain: --splice needs --only=... and an existing " + m.out + " to splice into");
            System.exit(2);
        }
        if (reportFrom != null) {
            // Rewrites the report and charts from the rows a run saved (no measuring).
            for (String line : Files.readAllLines(reportFrom, StandardCharsets.UTF_8)) {
                if (line.startsWith(Row.PREFIX)) m.rows.add(Row.decode(line));
                if (line.startsWith(LOAD)) m.loads.add(Double.parseDouble(line.substring(LOAD.length()).trim()));
                if (line.startsWith(META)) {
                    String[] f = line.substring(META.length()).split("\t");
                    m.runDate = f[0];
                    m.runMinutes = Double.parseDouble(f[1]);
                }
            }
            System.exit(m.finish());
        }
        System.exit(m.run());
    }

    int run() throws Exception {
        Files.createDirectories(work);
        OUT.printf(Locale.ROOT, "kwait bench (%s): Java %s, %d CPUs, backends %s; scenarios %s%n", quick ? "quick" : "full",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), backends, only);
        for (Kernel.BackendInfo b : installed) {
            if (!b.available() || b.priority() < 0) {
                OUT.printf(Locale.ROOT, "  backend %s not measured: %s%n", b.name(), b.available() ? "a test double (negative priority)" : b.reason());
            }
        }
        if (continuationSkip != null) OUT.println("  Continuation floor skipped: " + continuationSkip);
        if (backends.isEmpty()) throw new IllegalStateException("no kwait backend is available");
        Files.deleteIfExists(rowsFile());
        runJmh();
        runChildren();
        if (only.contains("10")) {
            OUT.printf(Locale.ROOT, "[10] %.1f min elapsed%n", (System.nanoTime() - started) / 60e9);
            new HttpBench(this, httpRounds, httpSeconds).run();
        }
        noteLoad();
        runDate = java.time.ZonedDateTime.now().format(java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", "");
        runMinutes = (System.nanoTime() - started) / 60e9;
        Files.writeString(rowsFile(), META + runDate + "\t" + runMinutes + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        return finish();
    }

    /** Where every row is appended as it arrives; {@code --report-from} rereads it. */
    Path rowsFile() {
        return work.resolve("rows.tsv");
    }

    void keep(Row r) {
        rows.add(r);
        try {
            Files.writeString(rowsFile(), r.encode() + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            problems.add("cannot save a row to " + rowsFile() + ": " + e);
        }
    }

    /** Where the report is written: the report itself, or beside it for {@code --splice}. */
    Path reportFile() {
        return splice ? out.resolveSibling(out.getFileName() + ".part") : out;
    }

    int finish() throws Exception {
        Report report = new Report(this);
        report.write();
        if (splice) {
            Splice.into(out, reportFile(), only, "mvn -q -Pbench -pl bench -am verify -DskipTests -Dbench.args=\"--only=" + String.join(",", only) + " --splice\"",
                    runDate, runMinutes, loads.isEmpty() ? "not recorded" : String.format(Locale.ROOT, "min %.2f, median %.2f, max %.2f on %d CPUs",
                            Stats.min(loads.stream().mapToDouble(Double::doubleValue).toArray()), Stats.median(loads.stream().mapToDouble(Double::doubleValue).toArray()),
                            Stats.max(loads.stream().mapToDouble(Double::doubleValue).toArray()), Runtime.getRuntime().availableProcessors()));
            Files.delete(reportFile());
        }
        try {
            Charts.write(report, charts);
        } catch (Throwable e) {
            problems.add("charts failed: " + e);
            e.printStackTrace();
            report.write(); // again, with the problem listed
        }
        OUT.printf(Locale.ROOT, "wrote %s and charts in %s (%.1f min)%n", out, charts, (System.nanoTime() - started) / 60e9);
        if (!problems.isEmpty()) {
            OUT.println("problems:");
            for (String p : problems) OUT.println("  " + p);
        }
        if (quick) {
            // The smoke check's verdict: every figure that ran and reported, against every failure. Nothing about speed.
            OUT.printf(Locale.ROOT, "smoke: %d passed, %d failed%n", rows.size(), problems.size());
        }
        return problems.isEmpty() ? 0 : 1;
    }

    // ================================================================ JVM flags

    /** The flags of this JVM that children must share: native access, exports/opens, -D properties for kwait and AWT. */
    static List<String> passThroughFlags() {
        List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> outFlags = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            String a = in.get(i);
            if (a.startsWith("--enable-native-access") || a.startsWith("--add-exports") || a.startsWith("--add-opens")) {
                if (!a.contains("=") || a.equals("--add-exports") || a.equals("--add-opens") || a.equals("--enable-native-access")) {
                    if (i + 1 < in.size()) outFlags.add(a + "=" + in.get(++i));
                } else {
                    outFlags.add(a);
                }
            } else if (a.startsWith("-Dkwait.") || a.startsWith("-Djava.awt.headless")) {
                outFlags.add(a);
            }
        }
        return outFlags;
    }

    List<String> childJvm(String heap) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms" + heap);
        cmd.add("-Xmx" + heap);
        cmd.add("-XX:+UseG1GC");
        cmd.addAll(passFlags);
        return cmd;
    }

    // ================================================================ JMH: scenarios 1, 2, 6 (schedule/cancel)

    /**
     * JMH writes to its log only; this echoes its progress to the console once per benchmark:
     * which one, and JMH's own "% complete, ETA" for the JMH part, plus the harness scenarios'
     * usual share of the run (about 12 of ~25 minutes in a full run) for the overall ETA.
     */
    private void tailJmhProgress(Path log) {
        String bench = "";
        long pos = 0;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(2000); // a console echo, not synchronisation: polling the log is the point
                if (!Files.exists(log)) continue;
                try (var ch = java.nio.channels.FileChannel.open(log)) {
                    if (ch.size() <= pos) continue;
                    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size() - pos, 1 << 20));
                    ch.read(buf, pos);
                    pos += buf.position();
                    for (String line : new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n")) {
                        if (line.startsWith("# Benchmark: ")) bench = line.substring(line.lastIndexOf('.', line.lastIndexOf('.') - 1) + 1);
                        if (line.startsWith("# Parameters: ")) bench += " " + line.substring("# Parameters: ".length());
                        if (line.startsWith("# Run progress: ")) {
                            String p = line.substring("# Run progress: ".length());
                            OUT.printf(Locale.ROOT, "[jmh] %s  %s%s%n", p, bench, quick ? "" : "  (then ~12 min of scenario JVMs)");
                            bench = "";
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                return; // progress is a courtesy; the run goes on
            }
        }
    }

    void runJmh() {
        List<String> includes = new ArrayList<>();
        if (only.contains("1")) includes.add("io\\.kwait\\.bench\\.jmh\\.SwitchBench\\..*");
        if (only.contains("2")) includes.add("io\\.kwait\\.bench\\.jmh\\.ChanBench\\..*");
        if (only.contains("6")) includes.add("io\\.kwait\\.bench\\.jmh\\.TimerBench\\..*");
        if (includes.isEmpty()) return;
        int timers = quick ? 20_000 : 1_000_000;
        ChainedOptionsBuilder o = new OptionsBuilder()
                .param("backend", backends.toArray(new String[0]))
                .param("strand", strands.toArray(new String[0]))
                .param("timers", Integer.toString(timers))
                .jvmArgs(childJvm("2g").subList(1, childJvm("2g").size()).toArray(new String[0]))
                .shouldFailOnError(false)
                .output(work.resolve("jmh.log").toString())
                .result(work.resolve("jmh.json").toString())
                .resultFormat(ResultFormatType.JSON);
        for (String inc : includes) o.include(inc);
        if (continuationSkip != null) o.exclude(".*SwitchBench\\.continuation");
        if (quick) {
            o.forks(1).warmupIterations(1).warmupTime(TimeValue.milliseconds(300)).measurementIterations(2)
                    .measurementTime(TimeValue.milliseconds(300));
        } else {
            o.forks(2).warmupIterations(3).warmupTime(TimeValue.seconds(1)).measurementIterations(5)
                    .measurementTime(TimeValue.seconds(1));
        }
        noteLoad();
        long t0 = System.nanoTime();
        OUT.printf(Locale.ROOT, "[jmh] scenarios %s (log: %s)%n", includes.stream().map(s -> s.replaceAll(".*jmh\\\\\\.(\\w+)\\\\.*", "$1")).toList(),
                work.resolve("jmh.log"));
        Collection<RunResult> results;
        Thread progress = Thread.ofPlatform().daemon().name("jmh-progress").start(() -> tailJmhProgress(work.resolve("jmh.log")));
        try {
            results = new Runner(o.build()).run();
        } catch (Exception e) {
            problems.add("JMH failed: " + e + " (see " + work.resolve("jmh.log") + ")");
            return;
        } finally {
            progress.interrupt();
        }
        for (RunResult rr : results) {
            String bench = rr.getParams().getBenchmark();
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            String cls = bench.substring(0, bench.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            String backend = rr.getParams().getParam("backend");
            List<Double> scores = new ArrayList<>();
            for (BenchmarkResult br : rr.getBenchmarkResults()) {
                for (IterationResult ir : br.getIterationResults()) scores.add(ir.getPrimaryResult().getScore());
            }
            double[] s = scores.stream().mapToDouble(Double::doubleValue).toArray();
            Row r = jmhRow(cls, method, backend, rr.getParams().getParam("strand"), rr.getParams().getParam("chan"), s, timers);
            if (r != null) {
                r.put("jmh", rr.getParams().getForks() + " forks x " + rr.getParams().getMeasurement().getCount() + " iterations");
                keep(r);
                OUT.printf(Locale.ROOT, "  %-4s %-34s median %s%n", r.scenario, r.key, Report.fmt(Stats.median(r.samples), r.unit));
            }
        }
        if (results.isEmpty()) problems.add("JMH produced no results (see " + work.resolve("jmh.log") + ")");
        OUT.printf(Locale.ROOT, "[jmh] done in %.1f min%n", (System.nanoTime() - t0) / 60e9);
    }

    static Row jmhRow(String cls, String method, String backend, String strand, String chan, double[] s, int timers) {
        String st = strand == null ? "" : strand.equals("continuation") ? "cont" : "vt";
        String kw = "kwait " + backend + "/" + strand;
        switch (cls) {
            case "SwitchBench" -> {
                return switch (method) {
                    case "kwaitYield" -> new Row("1", "kwait-" + backend + "-" + st, kw + ": 2 tasks, Task.yieldNow() alternately", "kwait", backend, "ns/RT", "batch", s).put("strand", strand);
                    case "virtualBaton" -> new Row("1", "vt-baton", "2 virtual threads, park/unpark baton (default scheduler)", "peer", "", "ns/RT", "batch", s);
                    case "platformBaton" -> new Row("1", "pt-baton", "2 platform threads, park/unpark baton", "peer", "", "ns/RT", "batch", s);
                    case "continuation" -> new Row("1", "continuation", "jdk.internal.vm.Continuation run()+yield() (floor)", "peer", "", "ns/RT", "batch", s);
                    default -> null;
                };
            }
            case "ChanBench" -> {
                return switch (method) {
                    case "kwait" -> new Row("2", "kwait-" + backend + "-" + st + "-" + chan, kw + ": 2 tasks, 2 Chan." + (chan.equals("rendezvous") ? "rendezvous()" : "bounded(1)"),
                            "kwait", backend, "ns/RT", "batch", s).put("chan", chan).put("strand", strand);
                    case "virtualSynchronousQueue" -> new Row("2", "vt-sq", "2 virtual threads, 2 SynchronousQueues", "peer", "", "ns/RT", "batch", s);
                    case "virtualArrayBlockingQueue" -> new Row("2", "vt-abq", "2 virtual threads, 2 ArrayBlockingQueue(1)", "peer", "", "ns/RT", "batch", s);
                    case "platformSynchronousQueue" -> new Row("2", "pt-sq", "2 platform threads, 2 SynchronousQueues", "peer", "", "ns/RT", "batch", s);
                    case "platformArrayBlockingQueue" -> new Row("2", "pt-abq", "2 platform threads, 2 ArrayBlockingQueue(1)", "peer", "", "ns/RT", "batch", s);
                    default -> null;
                };
            }
            case "TimerBench" -> {
                double[] per = Arrays.stream(s).map(v -> v / timers).toArray();
                return switch (method) {
                    case "kwait" -> new Row("6s", "kwait-" + backend, "kwait " + backend + ": one wait(" + timers + " x after(d), ZERO)", "kwait", backend, "ns/timer", "batch", per).put("timers", timers);
                    case "stpe" -> new Row("6s", "stpe", "ScheduledThreadPoolExecutor, removeOnCancel, bulk", "peer", "", "ns/timer", "batch", per).put("timers", timers);
                    case "wheel" -> new Row("6s", "wheel", "Netty HashedWheelTimer (100 ms x 512), bulk, caller side", "peer", "", "ns/timer", "batch", per).put("timers", timers);
                    default -> null;
                };
            }
            default -> {
                return null;
            }
        }
    }

    // ================================================================ child JVMs

    record Job(String scenario, String figure, String heap, int runs, List<String> args) {}

    /**
     * The child-JVM figures. kwait figures run on every available backend; the scheduler strand
     * matters for 3a, 3b, 7 and 8, which run on every strand; 4, 5 (task shape) and 6 run on the
     * default strand only (the first of {@link #strands}).
     */
    List<Job> plan() {
        List<Job> jobs = new ArrayList<>();
        List<String> batch = quick ? List.of("warmupMs=300", "batchMs=100", "batches=3") : List.of("warmupMs=2000", "batchMs=400", "batches=8");
        int runs = quick ? 1 : 2;
        String dflt = "strand=" + strands.get(0);
        if (only.contains("3a")) {
            for (int size : new int[] {1, 4096}) {
                for (String b : backends) for (String st : strands) jobs.add(job("3a", "3a-kwait", "1g", runs, batch, "backend=" + b, "strand=" + st, "size=" + size));
                jobs.add(job("3a", "3a-nio", "1g", runs, batch, "size=" + size));
            }
        }
        if (only.contains("3b")) {
            for (int size : new int[] {1, 4096}) {
                for (String b : backends) for (String st : strands) jobs.add(job("3b", "3b-kwait", "1g", runs, batch, "backend=" + b, "strand=" + st, "size=" + size));
                jobs.add(job("3b", "3b-nio", "1g", runs, batch, "size=" + size));
                jobs.add(job("3b", "3b-netty", "1g", runs, batch, "size=" + size));
            }
        }
        if (only.contains("4")) {
            for (String b : backends) jobs.add(job("4", "4-kwait", "1g", runs, batch, "backend=" + b, dflt, "idle=10000"));
            jobs.add(job("4", "4-nio", "1g", runs, batch, "idle=10000"));
        }
        if (only.contains("5")) {
            for (String which : new String[] {"children", "others"}) {
                // Starting 1,000 ProcessBuilder children takes ~5 s here: the first exit is scheduled after that.
                List<String> p = quick ? List.of("count=100", "baseMs=1000", "staggerMs=2") : List.of("count=1000", "baseMs=3000", "staggerMs=3");
                for (String b : backends) {
                    jobs.add(job("5", "5-kwait", "1g", runs, p, "backend=" + b, "which=" + which, "shape=loop"));
                    jobs.add(job("5", "5-kwait", "1g", runs, p, "backend=" + b, dflt, "which=" + which, "shape=tasks"));
                }
                jobs.add(job("5", "5-threads", "1g", runs, p, "which=" + which));
                jobs.add(job("5", "5-onexit", "1g", runs, p, "which=" + which));
                if (which.equals("children")) jobs.add(job("5", "5-nuprocess", "1g", runs, p));
            }
        }
        if (only.contains("6")) {
            List<String> p = quick ? List.of("count=1000", "leadMs=200") : List.of("count=10000", "leadMs=300");
            for (String b : backends) jobs.add(job("6", "6l-kwait", "1g", runs, p, "backend=" + b, dflt));
            jobs.add(job("6", "6l-stpe", "1g", runs, p));
            jobs.add(job("6", "6l-wheel", "1g", runs, p));
        }
        if (only.contains("7")) {
            List<String> p = quick ? List.of("samples=1000", "warm=200") : List.of("samples=20000", "warm=2000");
            for (String b : backends) for (String st : strands) jobs.add(job("7", "7-kwait", "1g", runs, p, "backend=" + b, "strand=" + st));
            jobs.add(job("7", "7-selector", "1g", runs, p));
            jobs.add(job("7", "7-unpark", "1g", runs, p));
        }
        if (only.contains("8")) {
            List<String> p = List.of(quick ? "count=20000" : "count=100000");
            int r8 = quick ? 1 : 3; // a parked virtual thread's stack chunk varies by hundreds of bytes from run to run
            for (String b : backends) {
                for (String st : strands) {
                    for (String how : new String[] {"receive", "recv", "timer"}) jobs.add(job("8", "8-kwait", "3g", r8, p, "backend=" + b, "strand=" + st, "how=" + how));
                }
            }
            jobs.add(job("8", "8-vt", "3g", r8, p));
        }
        if (only.contains("9")) jobs.addAll(childrenJobs(runs, dflt));
        return jobs;
    }

    /**
     * Scenario 9's JVMs: every way on "out" and "both", and the /bin/true latency where it differs
     * (the kwait task shape and the virtual-thread peer start a child as their loop and thread
     * peers do). Full: one figure per JVM, 1,000 children. Quick: a JVM per way, all its figures, 10 children.
     */
    List<Job> childrenJobs(int runs, String dflt) {
        List<Job> jobs = new ArrayList<>();
        List<String[]> ways = new ArrayList<>();
        for (String b : backends) {
            ways.add(new String[] {"kwait-loop", "backend=" + b});
            if (!b.equals("select")) ways.add(new String[] {"kwait-tasks", "backend=" + b, dflt});
        }
        for (String w : new String[] {"threads", "virtual", "nuprocess"}) ways.add(new String[] {w});
        for (String[] w : ways) {
            boolean latency = !w[0].equals("kwait-tasks") && !w[0].equals("virtual");
            List<String> figures = latency ? List.of("out", "both", "true") : List.of("out", "both");
            List<String> more = new ArrayList<>(Arrays.asList(w).subList(1, w.length));
            more.add("way=" + w[0]);
            if (quick) {
                more.add("figures=" + String.join(",", figures));
                jobs.add(job("9", "9-children", "1g", 1, List.of("count=10", "warm=3"), more.toArray(new String[0])));
            } else {
                for (String f : figures) {
                    List<String> one = new ArrayList<>(more);
                    one.add("figures=" + f);
                    jobs.add(job("9", "9-children", "1g", runs, List.of("count=1000"), one.toArray(new String[0])));
                }
            }
        }
        return jobs;
    }

    static Job job(String scenario, String figure, String heap, int runs, List<String> common, String... more) {
        List<String> a = new ArrayList<>(common);
        a.addAll(Arrays.asList(more));
        return new Job(scenario, figure, heap, runs, a);
    }

    void runChildren() throws Exception {
        List<Job> jobs = plan();
        String last = null;
        for (Job j : jobs) {
            if (!j.scenario().equals(last)) {
                last = j.scenario();
                OUT.printf(Locale.ROOT, "[%s] %.1f min elapsed%n", last, (System.nanoTime() - started) / 60e9);
            }
            for (int run = 1; run <= j.runs(); run++) runChild(j, run);
        }
    }

    /** The 1-minute load average now (Linux), or NaN. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    /** Load averages seen before each figure: other work on the machine shows up here. */
    final List<Double> loads = new ArrayList<>();

    void noteLoad() {
        double l = loadAverage();
        if (Double.isNaN(l)) return;
        loads.add(l);
        try {
            Files.writeString(rowsFile(), LOAD + l + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the report will lack it
        }
    }

    static final String LOAD = "@LOAD\t";

    void runChild(Job j, int run) throws Exception {
        noteLoad();
        List<String> cmd = childJvm(j.heap());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        cmd.add(j.figure());
        cmd.addAll(j.args());
        String tag = j.figure() + " " + String.join(" ", j.args().stream().filter(s -> !s.startsWith("warmupMs") && !s.startsWith("batch")).toList());
        Path log = work.resolve("child-" + j.figure() + "-" + Integer.toHexString(tag.hashCode()) + "-run" + run + ".log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        List<Row> got = new ArrayList<>();
        String error = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(Row.PREFIX)) got.add(Row.decode(line));
                else if (line.startsWith(Child.ERROR)) error = line.substring(Child.ERROR.length());
                else Files.writeString(log, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.CREATE);
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            error = "timed out";
        }
        if (p.exitValue() != 0 && error == null) error = "exit status " + p.exitValue();
        double secs = (System.nanoTime() - t0) / 1e9;
        if (error != null) {
            problems.add(tag + " run " + run + ": " + error + " (log: " + log + ")");
            OUT.printf(Locale.ROOT, "  %-48s run %d FAILED: %s%n", tag, run, error);
            return;
        }
        for (Row row : got) {
            row.put("run", run);
            keep(row);
            String fig = row.kind.equals("skip") ? "skipped: " + row.extra.get("reason")
                    : row.kind.equals("dist") ? "p50 " + Report.fmt(Stats.percentile(row.samples, 50), row.unit) + ", p99 " + Report.fmt(Stats.percentile(row.samples, 99), row.unit)
                    : "median " + Report.fmt(Stats.median(row.samples), row.unit);
            OUT.printf(Locale.ROOT, "  %-4s %-34s run %d: %s (%.1f s)%n", row.scenario, row.key, run, fig, secs);
        }
    }

    static String runCommand(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return s;
        } catch (IOException | InterruptedException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
