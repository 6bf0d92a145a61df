package io.kwait.bench;

import io.kwait.Kernel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/** Aggregates the rows of all runs into figures, checks the targets and writes BENCHMARKS.md. */
public final class Report {
    static final double[] PCTS = {50, 90, 99, 99.9};

    /** One figure over all its runs. */
    static final class Fig {
        final String scenario, key, label, who, backend, unit, kind;
        final List<Row> runs = new ArrayList<>();
        double median = Double.NaN, min = Double.NaN, max = Double.NaN;
        /** dist: per percentile, the median over runs; last entry: the worst run's max. */
        double[] pct;
        double[] pooled = new double[0];

        Fig(Row r) {
            scenario = r.scenario;
            key = r.key;
            label = r.label;
            who = r.who;
            backend = r.backend;
            unit = r.unit;
            kind = r.kind;
        }

        boolean kwait() { return "kwait".equals(who); }

        void compute() {
            for (Row r : runs) pooled = Stats.concat(pooled, r.samples);
            switch (kind) {
                case "batch", "value" -> {
                    median = Stats.median(pooled);
                    min = Stats.min(pooled);
                    max = Stats.max(pooled);
                }
                case "dist" -> {
                    pct = new double[PCTS.length + 1];
                    for (int i = 0; i < PCTS.length; i++) {
                        double[] per = new double[runs.size()];
                        for (int j = 0; j < per.length; j++) per[j] = Stats.percentile(runs.get(j).samples, PCTS[i]);
                        pct[i] = Stats.median(per);
                    }
                    pct[PCTS.length] = runs.stream().mapToDouble(r -> Stats.max(r.samples)).max().orElse(Double.NaN);
                    median = pct[0];
                    min = Stats.min(pooled);
                    max = pct[PCTS.length];
                }
                default -> { }
            }
        }

        /** The median over runs of a numeric extra. */
        double extra(String k) {
            double[] v = runs.stream().filter(r -> r.extra.containsKey(k)).mapToDouble(r -> Double.parseDouble(r.extra.get(k))).toArray();
            return v.length == 0 ? Double.NaN : Stats.median(v);
        }

        String text(String k) {
            for (Row r : runs) if (r.extra.containsKey(k)) return r.extra.get(k);
            return null;
        }

        int samples() { return pooled.length; }
    }

    /** A target check: text, the figures compared, the value, met or not (null: could not be checked). */
    record Check(String scenario, String target, String compared, String value, Boolean met, String noteKey) {}

    final BenchMain main;
    final Map<String, Fig> figs = new LinkedHashMap<>();
    final List<Check> checks = new ArrayList<>();

    Report(BenchMain main) {
        this.main = main;
        for (Row r : main.rows) {
            if (r.kind.equals("skip") || r.extra.containsKey("fault")) continue; // a faulty run (10) is listed by its section, not measured
            figs.computeIfAbsent(r.scenario + "/" + r.key, k -> new Fig(r)).runs.add(r);
        }
        for (Fig f : figs.values()) f.compute();
        checkTargets();
    }

    Fig fig(String scenario, String key) { return figs.get(scenario + "/" + key); }

    List<Fig> of(String scenario) { return figs.values().stream().filter(f -> f.scenario.equals(scenario)).toList(); }

    List<Fig> of(String scenario, Predicate<Fig> p) { return of(scenario).stream().filter(p).toList(); }

    // ================================================================ formatting

    static String fmt(double v, String unit) {
        if (Double.isNaN(v)) return "n/a";
        if (unit.startsWith("ns")) {
            String suffix = unit.substring(2);
            double a = Math.abs(v);
            String s = a >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", v / 1e6)
                    : a >= 1e4 ? String.format(Locale.ROOT, "%.1f µs", v / 1e3)
                    : a >= 1e3 ? String.format(Locale.ROOT, "%.2f µs", v / 1e3)
                    : a >= 100 ? String.format(Locale.ROOT, "%.0f ns", v)
                    : String.format(Locale.ROOT, "%.1f ns", v);
            return s + suffix;
        }
        if (unit.startsWith("bytes")) return String.format(Locale.ROOT, "%,.0f B", v);
        return String.format(Locale.ROOT, "%.3g %s", v, unit);
    }

    static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) return "n/a";
        return r >= 100 ? String.format(Locale.ROOT, "%.0f×", r) : r >= 10 ? String.format(Locale.ROOT, "%.1f×", r) : String.format(Locale.ROOT, "%.2f×", r);
    }

    static String met(Boolean m) {
        return m == null ? "n/a" : m ? "**met**" : "**not met**";
    }

    // ================================================================ targets

    void check(String scenario, String target, String compared, double value, String valueText, boolean met, String noteKey) {
        checks.add(new Check(scenario, target, compared, valueText, Double.isNaN(value) ? null : met, noteKey));
    }

    void checkRatio(String sc, String target, Fig k, Fig peer, double limit, boolean atMost, String noteKey) {
        if (k == null) return;
        if (peer == null) {
            checks.add(new Check(sc, target, k.key + " vs (not measured)", "n/a", null, noteKey));
            return;
        }
        double r = k.median / peer.median;
        String cmp = k.key + " / " + peer.key;
        check(sc, target, cmp, r, ratio(r) + " (" + fmt(k.median, k.unit) + " vs " + fmt(peer.median, peer.unit) + ")",
                atMost ? r <= limit : r >= limit, noteKey);
    }

    /** A "kwait is at least {@code times}× faster" target: the peer's median over kwait's; no check when the peer was not measured. */
    void checkFaster(String sc, String target, Fig k, Fig peer, double times, String noteKey) {
        if (peer == null) return;
        double r = peer.median / k.median;
        check(sc, target, peer.key + " / " + k.key, r, ratio(r) + " (" + fmt(peer.median, peer.unit) + " vs " + fmt(k.median, k.unit) + ")",
                r >= times, noteKey);
    }

    /** The key's last dash-separated part (a message size, a channel kind ...). */
    static String suffix(String key) {
        return key.substring(key.lastIndexOf('-') + 1);
    }

    void checkTargets() {
        // 1
        for (Fig k : of("1", Fig::kwait)) {
            checkRatio("1", "no slower than the virtual-thread baton (≤ 1×)", k, fig("1", "vt-baton"), 1.0, true, "1-vt");
            if (main.continuationSkip == null) checkRatio("1", "within 2× of the Continuation floor", k, fig("1", "continuation"), 2.0, true, "1-cont");
            checkFaster("1", "≥ 50× faster than platform threads", k, fig("1", "pt-baton"), 50, "1-pt");
        }
        // 2
        for (Fig k : of("2", Fig::kwait)) {
            checkFaster("2", "≥ 1.5× faster than SynchronousQueue between virtual threads", k, fig("2", "vt-sq"), 1.5, "2-sq");
        }
        // 3a
        for (Fig k : of("3a", Fig::kwait)) {
            checkRatio("3a", "≤ 1.3× the single-thread NIO loop", k, fig("3a", "nio-" + suffix(k.key)), 1.3, true, "3a-nio");
            if (k.backend.equals("epoll")) checkRatio("3a", "epoll no slower than select", k, fig("3a", k.key.replace("-epoll-", "-select-")), 1.0, true, "3a-epoll");
        }
        if (of("3a", f -> f.backend.equals("epoll")).isEmpty() && !of("3a", Fig::kwait).isEmpty()) {
            checks.add(new Check("3a", "epoll no slower than select", "kwait-epoll-*", "epoll backend not measured", null, "3a-epoll"));
        }
        // 3b
        for (Fig k : of("3b", Fig::kwait)) {
            checkRatio("3b", "≤ 1.05× the plain NIO loops", k, fig("3b", "nio-" + suffix(k.key)), 1.05, true, "3b-nio");
            checkRatio("3b", "no slower than Netty", k, fig("3b", "netty-" + suffix(k.key)), 1.0, true, "3b-netty");
        }
        // 4
        for (Fig k : of("4", f -> f.kwait() && f.key.endsWith("-idle"))) {
            checkRatio("4", "within 10 % of the 1-connection figure", k, fig("4", k.key.replaceAll("-idle$", "-0")), 1.10, true, "4-idle");
        }
        // 5
        for (Fig f : of("5", Fig::kwait)) {
            if ("epoll".equals(f.backend) && "others".equals(f.text("which"))) {
                double added = f.extra("addedThreads"), count = f.extra("count");
                check("5", "no thread per pid on epoll", f.key, added, String.format(Locale.ROOT, "%.0f threads added for %.0f pids", added, count),
                        added < count / 10, "5-threads");
            }
            check("5", "median exit-to-event delay under 1 ms", f.key, f.median, fmt(f.median, f.unit), f.median < 1e6,
                    "others".equals(f.text("which")) && "select".equals(f.backend) ? "5-delay-select-others" : "5-delay");
        }
        // 6
        for (Fig k : of("6s", Fig::kwait)) {
            checkFaster("6", "≥ 2× ScheduledThreadPoolExecutor throughput (schedule+cancel)", k, fig("6s", "stpe"), 2, "6-throughput");
        }
        for (Fig l : of("6l", Fig::kwait)) {
            Fig ls = fig("6l", "stpe");
            double p99 = l.pct[2];
            if (l.backend.equals("select")) {
                check("6", "p99 lateness ≤ 1.1 ms on select", l.key, p99, fmt(p99, "ns"), p99 <= 1.1e6, "6-select");
            } else if (ls != null) {
                double r = p99 / ls.pct[2];
                check("6", "p99 lateness ≤ 1.2× STPE on the native backend", l.key + " / stpe (p99)", r,
                        ratio(r) + " (" + fmt(p99, "ns") + " vs " + fmt(ls.pct[2], "ns") + ")", r <= 1.2, "6-native");
            }
        }
        // 7
        for (Fig k : of("7", Fig::kwait)) {
            Fig u = fig("7", "unpark");
            if (u == null) continue;
            double r = k.pct[0] / u.pct[0];
            check("7", "≤ 1.1× unpark (p50)", k.key + " / unpark", r,
                    ratio(r) + " (p50 " + fmt(k.pct[0], "ns") + " vs " + fmt(u.pct[0], "ns") + "; p99 " + fmt(k.pct[2], "ns") + " vs " + fmt(u.pct[2], "ns") + ")",
                    r <= 1.1, "7-unpark");
        }
        checkChildren();
        // 8
        Fig vt = fig("8", "vt");
        for (Fig k : of("8", Fig::kwait)) {
            if (vt == null) continue;
            double r = k.median / vt.median;
            check("8", "no more heap per task than a parked virtual thread", k.key + " / vt", r,
                    ratio(r) + " (" + fmt(k.median, k.unit) + " vs " + fmt(vt.median, vt.unit) + ")", r <= 1.0, "8-heap");
        }
        HttpReport.check(this);
    }

    /** Scenario 9's targets (issue 10), per kwait figure against the peers of the same figure. */
    void checkChildren() {
        for (Fig k : of("9", Fig::kwait)) {
            String figure = k.text("figure");
            boolean nativeBackend = !"select".equals(k.backend);
            if (figure.equals("true")) {
                if (nativeBackend) {
                    check("9", "/bin/true spawn-to-exit median ≤ 0.6 ms on epoll", k.key, k.pct[0], fmt(k.pct[0], "ns"), k.pct[0] <= 0.6e6, "9-true");
                }
                continue;
            }
            if (nativeBackend) {
                double added = k.extra("addedThreads");
                // The JVM-wide threads a first use starts (JNR's Cleaner, the JDK's VirtualThread-unblocker) are not per child.
                check("9", "0 threads per child or per stream on epoll", k.key, added,
                        String.format(Locale.ROOT, "%.0f platform threads added (%s) with 64 children, %d streams alive", added, k.text("newThreads"),
                                figure.equals("both") ? 128 : 64),
                        added < 64 && ChildrenBench.jvmWideOnly(k.text("newThreads")), "9-threads");
            }
            Fig pb = fig("9", "threads-" + figure);
            if (pb != null) {
                double r = pb.median / k.median;
                check("9", "wall time ≥ 1.5× faster than ProcessBuilder with reader threads", pb.key + " / " + k.key, r,
                        ratio(r) + " (" + fmt(pb.median, "ns") + " vs " + fmt(k.median, "ns") + ")", r >= 1.5, nativeBackend ? "9-pb" : "9-pb-select");
            }
            checkRatio("9", "wall time no slower than NuProcess", k, fig("9", "nuprocess-" + figure), 1.0, true, nativeBackend ? "9-nu" : "9-nu-select");
        }
    }

    // ================================================================ markdown

    void write() throws IOException {
        StringBuilder md = new StringBuilder();
        boolean shared = false;
        String cpu = cpuModel();
        md.append("# kwait benchmarks\n\n");
        md.append("Written by `").append(main.quick ? "mvn -q -Pbench-quick -pl bench -am verify -DskipTests" : "mvn -q -Pbench -pl bench -am verify -DskipTests")
                .append("` on ").append(main.runDate != null ? main.runDate : ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME.withLocale(Locale.ROOT)).replaceAll("\\.\\d+", ""))
                .append(main.quick ? " — **quick mode: short runs, figures are a smoke check, not measurements**" : "")
                .append(String.format(Locale.ROOT, " (%.1f min). Do not edit: rerun the command.%n%n",
                        Double.isNaN(main.runMinutes) ? (System.nanoTime() - main.started) / 60e9 : main.runMinutes));
        md.append("| machine | |\n| --- | --- |\n");
        md.append("| JDK | ").append(System.getProperty("java.vm.vendor")).append(' ').append(Runtime.version()).append(" (").append(System.getProperty("java.home")).append(") |\n");
        md.append("| CPU | ").append(cpu).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs visible to the JVM |\n");
        md.append("| kernel | ").append(BenchMain.runCommand("uname", "-r")).append(" (").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch")).append(") |\n");
        if (!main.loads.isEmpty()) {
            double[] l = main.loads.stream().mapToDouble(Double::doubleValue).toArray();
            int cpus = Runtime.getRuntime().availableProcessors();
            md.append(String.format(Locale.ROOT, "| load average (1 min) before each figure | min %.2f, median %.2f, max %.2f on %d CPUs "
                    + "(includes this run's own work: a measuring JVM with two busy threads adds about 2, and scenario 5 starts 1,000 processes at once, "
                    + "which lifts the average for a minute or two; much more than that means other work shared the machine)%s |%n",
                    Stats.min(l), Stats.median(l), Stats.max(l), cpus, ""));
            shared = Stats.median(l) > 2.0 * cpus;
        }
        md.append("| open-file limit | ").append(BenchMain.runCommand("sh", "-c", "ulimit -n")).append(" |\n");
        StringBuilder bk = new StringBuilder();
        for (Kernel.BackendInfo b : main.installed) {
            if (bk.length() > 0) bk.append("; ");
            bk.append(b.name()).append(": ").append(main.backends.contains(b.name()) ? "measured" : "not measured (" + (b.available() ? "test double" : b.reason()) + ")");
        }
        md.append("| kwait backends | ").append(bk).append(" |\n");
        md.append("| Continuation floor | ").append(main.continuationSkip == null ? "measured (`--add-exports java.base/jdk.internal.vm=ALL-UNNAMED`)" : "skipped: " + main.continuationSkip).append(" |\n");
        md.append("| JVM flags | `").append(String.join(" ", main.passFlags)).append("`; JMH forks and scenario JVMs: `-Xms -Xmx` as noted, `-XX:+UseG1GC` |\n\n");

        if (shared) {
            md.append("**This run shared the machine with other work** (median load average above twice the CPU count, see the table): "
                    + "figures measured in separate JVMs scatter by several times between runs, and a check can flip either way. "
                    + "Read the ratios between rows of one table, next to their min–max, rather than the absolute times.\n\n");
        }
        md.append(method());

        md.append("## Targets at a glance\n\nEach scenario's section lists every check next to its figures; a check compares one kwait figure (backend/strand) with its peer.\n\n");
        md.append("| # | target | checks met | not met |\n| --- | --- | --- | --- |\n");
        Map<String, long[]> byTarget = new LinkedHashMap<>();
        for (Check c : checks) {
            long[] n = byTarget.computeIfAbsent(c.scenario() + "\t" + c.target(), k -> new long[2]);
            if (Boolean.TRUE.equals(c.met())) n[0]++;
            else if (Boolean.FALSE.equals(c.met())) n[1]++;
        }
        // Scenario order (1, 2, 3a, ..., 9, 10), whatever order the checks were made in; stable within a scenario.
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(byTarget.entrySet());
        rows.sort(Comparator.comparing((Map.Entry<String, long[]> e) -> scenarioNumber(e.getKey()))
                .thenComparing(e -> e.getKey().split("\t")[0]));
        for (Map.Entry<String, long[]> e : rows) {
            String[] st = e.getKey().split("\t");
            md.append("| ").append(st[0]).append(" | ").append(st[1]).append(" | ").append(e.getValue()[0]).append(" | ").append(e.getValue()[1]).append(" |\n");
        }
        long met = checks.stream().filter(c -> Boolean.TRUE.equals(c.met())).count();
        long missed = checks.stream().filter(c -> Boolean.FALSE.equals(c.met())).count();
        md.append(String.format(Locale.ROOT, "%nIn all: %d checks met, %d not met, %d not checkable here.%n%n", met, missed, checks.size() - met - missed));

        section(md, "1", "Task switch (JMH)", "ns per round trip (A → B → A). Ratio: to the virtual-thread baton.", "vt-baton");
        section(md, "2", "Channel ping-pong (JMH)", "ns per round trip. Ratio: to SynchronousQueue between virtual threads.", "vt-sq");
        section(md, "3a", "Socket ping-pong over loopback, both ends in one thread",
                "ns per round trip over one TCP connection (TCP_NODELAY). kwait: two tasks of one scheduler. Ratio: to the single-thread NIO loop, same message size.", "nio-");
        section(md, "3b", "Socket ping-pong, the two ends on two threads",
                "ns per round trip. Every two-thread figure pays the cross-core wakeup twice (≈ 2 × 21 µs on this VM, `baselines.md`). Ratio: to the NIO loops, same message size.", "nio-");
        section(md, "4", "1 active connection among 10,000 idle ones",
                "ns per round trip of the active pair (1 byte, both ends in one thread), first alone, then with 10,000 idle connections registered; their client ends live in a child process. Ratio: to the same implementation's 1-connection figure.", "self");
        processes(md);
        section(md, "6s", "Timers: schedule then cancel (JMH)",
                "ns per timer (schedule + cancel), random delays 10–60 s, none fires. Ratio: to ScheduledThreadPoolExecutor.", "stpe");
        distribution(md, "6l", "Timers: lateness of 10,000 timers at 1 ms spacing",
                "Lateness = when the timer's code ran − its due time. Ratio: p99 to ScheduledThreadPoolExecutor's p99.", "stpe");
        distribution(md, "7", "Cross-thread wakeup latency",
                "A plain thread signals a waiter blocked for ≥ 200 µs; latency = waiter running again − signal. Threads are not pinned. Ratio: p50 to unpark's p50.", "unpark");
        memory(md);
        children(md);
        HttpReport.section(this, md);
        notes(md);

        md.append("## Not measured or skipped\n\n");
        boolean any = false;
        for (Kernel.BackendInfo b : main.installed) {
            if (!main.backends.contains(b.name())) {
                md.append("- backend ").append(b.name()).append(": ").append(b.available() ? "a test double (negative priority), not a real backend" : b.reason()).append('\n');
                any = true;
            }
        }
        if (main.continuationSkip != null) { md.append("- Continuation floor: ").append(main.continuationSkip).append('\n'); any = true; }
        for (Row r : main.rows) {
            if (r.kind.equals("skip")) { md.append("- ").append(r.scenario).append(' ').append(r.key).append(": ").append(r.extra.get("reason")).append('\n'); any = true; }
        }
        md.append("- NuProcess watches only processes it starts itself: no figure for pids not spawned by this JVM.\n");
        for (String p : main.problems) { md.append("- problem: ").append(p).append('\n'); any = true; }
        if (!any) md.append("- nothing else.\n");
        Files.createDirectories(main.out.getParent());
        Files.writeString(main.reportFile(), md.toString(), StandardCharsets.UTF_8);
    }

    private String method() {
        boolean q = main.quick;
        return "## Method\n\n"
                + "The machine is shared and noisy: read the medians and the ratios between figures of this run, not a lone absolute time.\n"
                + "Every peer runs again in the same run as kwait.\n\n"
                + (q ? "- Quick mode: 1 JVM per figure, 300 ms warm-up, 3 batches of 100 ms; JMH 1 fork × 2 × 300 ms; 20,000 timers for 6 (schedule/cancel), 1,000 for 6 (lateness), 1,000 samples for 7, 100 processes for 5, 20,000 waiters for 8.\n"
                        : "- JMH (scenarios 1, 2, 6 schedule/cancel): average time, 2 forks × (3 × 1 s warm-up + 5 × 1 s measurement), forks with `-Xms2g -Xmx2g`; median, min and max of the 10 measured iterations. Threaded figures time a batch of round trips per invocation (50,000; 2,000–5,000 for platform threads), including the start of the two threads or tasks.\n"
                        + "- Scenario harness (3a, 3b, 4): a fresh JVM per figure and run (`-Xms1g -Xmx1g`), 2 runs; the batch is sized to ~400 ms during a 2 s warm-up, then 8 timed batches; median, min and max over all batches of both runs.\n"
                        + "- Distributions (5, 6 lateness, 7): a fresh JVM per figure and run, 2 runs; each run's percentiles (from an HdrHistogram, 3 significant digits), then the median over runs; `max` is the worst run's maximum. 7: 20,000 samples per run after 2,000 warm-up samples; 6: 10,000 timers per run; 5: 1,000 processes per run, exits 3 ms apart (each exit costs the VM ~2 ms of CPU: a fork and an exec of `date`).\n"
                        + "- Memory (8): 100,000 waiters, used heap after `System.gc()` before and after parking them, 3 runs (`-Xms3g -Xmx3g`).\n"
                        + "- Scheduler strands: kwait tasks run on the *continuation* strand when the JVM exports `jdk.internal.vm`, else on the *virtual* strand. 1, 2, 3a, 3b, 7 and 8 measure both; 4, 5 (task shape) and 6 (lateness) the continuation strand only.\n")
                + "- \"kwait *backend*\" rows run on every backend `Kernel.backends()` reports available (test doubles excluded).\n\n";
    }

    private String peerRef(Fig f, String ref) {
        if (ref.equals("self")) return f.key.replaceAll("-idle$", "-0");
        if (ref.endsWith("-")) return ref + suffix(f.key);
        return ref;
    }

    private void section(StringBuilder md, String sc, String title, String what, String ref) {
        List<Fig> list = of(sc);
        if (list.isEmpty()) return;
        md.append("## ").append(sc).append(". ").append(title).append("\n\n").append(what).append("\n\n");
        md.append("| figure | median | min | max | samples | ratio |\n| --- | --- | --- | --- | --- | --- |\n");
        for (Fig f : list) {
            Fig r = fig(sc, peerRef(f, ref));
            String rat = r == null ? "" : r == f ? "1 (reference)" : ratio(f.median / r.median) + " of " + r.key;
            md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label).append(" | ").append(fmt(f.median, f.unit)).append(" | ").append(fmt(f.min, f.unit))
                    .append(" | ").append(fmt(f.max, f.unit)).append(" | ").append(f.samples()).append(" | ").append(rat).append(" |\n");
        }
        if (sc.equals("4")) {
            for (Fig f : list) {
                String reg = f.text("registrations");
                if (reg != null) md.append("\n").append(f.key).append(": the kernel held ").append(reg).append(" fd registrations while measuring.");
            }
            md.append("\n");
        }
        targetsOf(md, sc);
    }

    void targetsOf(StringBuilder md, String sc) {
        charts(md, sc);
        if (sc.equals("6s")) { md.append('\n'); return; }
        List<Check> cs = checks.stream().filter(c -> c.scenario().equals(sc.replaceAll("[l]$", ""))).toList();
        if (cs.isEmpty()) { md.append('\n'); return; }
        md.append("\nTargets:\n\n| target | compared | value | |\n| --- | --- | --- | --- |\n");
        for (Check c : cs) {
            md.append("| ").append(c.target()).append(" | ").append(c.compared()).append(" | ").append(c.value()).append(" | ").append(met(c.met())).append(" |\n");
        }
        md.append('\n');
    }

    /** The scenario's charts, under its table; paths relative to the report, so they show on GitHub too. */
    private void charts(StringBuilder md, String sc) {
        Path rel = main.out.toAbsolutePath().getParent().relativize(main.charts.toAbsolutePath());
        for (String name : Charts.FILES.getOrDefault(sc, List.of())) {
            md.append("\n![").append(name).append("](").append(rel.resolve(name + ".png").toString().replace('\\', '/')).append(")\n");
        }
    }

    private void distribution(StringBuilder md, String sc, String title, String what, String ref) {
        List<Fig> list = of(sc);
        if (list.isEmpty()) return;
        md.append("## ").append(sc).append(". ").append(title).append("\n\n").append(what).append("\n\n");
        md.append("| figure | p50 | p90 | p99 | p99.9 | max | samples | ratio (p50) | ratio (p99) |").append(sc.equals("7") ? " waker's call p50 (p99) |" : "")
                .append("\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |").append(sc.equals("7") ? " --- |" : "").append('\n');
        Fig r = fig(sc, ref);
        for (Fig f : list) {
            md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label);
            for (double v : f.pct) md.append(" | ").append(fmt(v, "ns"));
            md.append(" | ").append(f.samples());
            md.append(" | ").append(r == null ? "" : r == f ? "1 (reference)" : ratio(f.pct[0] / r.pct[0]));
            md.append(" | ").append(r == null ? "" : r == f ? "1 (reference)" : ratio(f.pct[2] / r.pct[2]));
            if (sc.equals("7")) md.append(" | ").append(fmt(f.extra("callP50"), "ns")).append(" (").append(fmt(f.extra("callP99"), "ns")).append(")");
            md.append(" |\n");
        }
        targetsOf(md, sc);
    }

    private void processes(StringBuilder md) {
        List<Fig> list = of("5");
        if (list.isEmpty()) return;
        md.append("## 5. Waiting for 1,000 exiting processes\n\n");
        md.append("Each process runs `sh job.sh SECONDS LOG GATE`: it waits at a gate (a shared `flock` that a helper holds until the waiter is ready), sleeps (staggered: base + i × stagger, so exits come one by one), then `exec`s `date`, "
                + "which appends its pid and CLOCK_REALTIME to a log as the last thing the process does. The waiter notes `Instant.now()` (same clock) when it sees the exit. "
                + "Exit-to-event delay = event time − logged exit time (so it includes the process's own exit path, a few tens of µs). "
                + "*children*: started by this JVM (ProcessBuilder; NuProcess starts its own). *others*: started in the background by a bash launcher that prints their pids and reaps them. "
                + "Wall time: first spawn to last event (dominated by the sleeps, the same for every figure). "
                + "Threads: ThreadMXBean peak platform-thread count minus the count before spawning (virtual threads are not counted). "
                + "The JDK runs one reaper thread per live child it started, whatever waits on it, so every ProcessBuilder figure shows about one thread per child.\n\n");
        md.append("| figure | processes | delay p50 | p90 | p99 | p99.9 | max | wall | threads added | exited before the waiter was ready |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String which : List.of("children", "others")) {
            for (Fig f : list) {
                if (!which.equals(f.text("which"))) continue;
                md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label).append(" | ").append(which);
                for (double v : f.pct) md.append(" | ").append(fmt(v, "ns"));
                md.append(String.format(Locale.ROOT, " | %.0f ms | %.0f | %.0f |%n", f.extra("wallMs"), f.extra("addedThreads"), f.extra("early")));
            }
        }
        targetsOf(md, "5");
    }

    private void memory(StringBuilder md) {
        List<Fig> list = of("8");
        if (list.isEmpty()) return;
        Fig vt = fig("8", "vt");
        md.append("## 8. Memory per parked waiter\n\n");
        md.append("Used heap after full GCs, before and after parking the waiters, divided by their number (a parked virtual thread's stack is in the heap, so stacks count on both sides). "
                + "\"largest growth\": the classes that grew most in the GC class histogram, bytes per waiter.\n\n");
        md.append("| figure | bytes per waiter (median) | min | max | ratio to virtual thread | largest growth (bytes/waiter) |\n| --- | --- | --- | --- | --- | --- |\n");
        for (Fig f : list) {
            md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label).append(" | ").append(fmt(f.median, f.unit)).append(" | ").append(fmt(f.min, f.unit))
                    .append(" | ").append(fmt(f.max, f.unit)).append(" | ").append(vt == null ? "" : vt == f ? "1 (reference)" : ratio(f.median / vt.median))
                    .append(" | ").append(f.text("top")).append(" |\n");
        }
        targetsOf(md, "8");
    }

    private void children(StringBuilder md) {
        List<Fig> list = of("9");
        if (list.isEmpty()) return;
        Fig any = list.get(0);
        md.append("## 9. Children: ").append(String.format(Locale.ROOT, "%,.0f", any.extra("count")))
                .append(" children writing 64 KiB each, at most 64 alive\n\n");
        md.append("Each child is `head -c 65536 /dev/zero` (*stdout*) or `sh -c` running it twice, once into stderr (*stdout + stderr*); the parent reads every byte, "
                + "at most 64 children alive at once. Wall: first start to last exit and end of stream. CPU: this JVM's CPU time (the children's is theirs). "
                + "Threads added: the peak platform-thread count while measuring minus the platform threads the JVM had before the figure's warm-up (virtual threads are not counted; "
                + "the JDK runs a reaper thread per live child it starts, whatever reads the streams). *kwait tasks*: 64 tasks of one scheduler, each starts a child, drains it, starts the next. "
                + "Ratio: wall time to ProcessBuilder with a platform thread per stream, same figure.\n\n");
        md.append("| figure | wall (median) | min | max | runs | ratio | CPU | threads added |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        List<String> threadNames = new ArrayList<>();
        for (String figure : List.of("out", "both")) {
            Fig ref = fig("9", "threads-" + figure);
            for (Fig f : list) {
                if (!figure.equals(f.text("figure"))) continue;
                md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label).append(" | ").append(fmt(f.median, "ns")).append(" | ").append(fmt(f.min, "ns"))
                        .append(" | ").append(fmt(f.max, "ns")).append(" | ").append(f.runs.size()).append(" | ")
                        .append(ref == null ? "" : ref == f ? "1 (reference)" : ratio(f.median / ref.median))
                        .append(String.format(Locale.ROOT, " | %.0f ms | %.0f |%n", f.extra("cpuMs"), f.extra("addedThreads")));
                if (f.kwait()) threadNames.add(f.key + ": " + f.text("newThreads"));
            }
        }
        md.append("\nkwait's added platform threads, by name (alive at the end of the measured part): ").append(String.join("; ", threadNames))
                .append(". None is per child or per stream: JNR starts a Cleaner thread when it loads the C library, the JDK an unblocker thread for virtual threads' timed parks.\n");
        List<Fig> lat = list.stream().filter(f -> "true".equals(f.text("figure"))).toList();
        if (!lat.isEmpty()) {
            Fig pb = fig("9", "threads-true"), nu = fig("9", "nuprocess-true");
            md.append("\nSpawn-to-exit latency of `/bin/true`, one child at a time: from the call that starts it to the wait that reports its exit "
                    + "(kwait: `Child.start` then `wait(exit)`; ProcessBuilder: `start().waitFor()`; NuProcess: `start()` then `waitFor`). "
                    + "`baselines.md` has ProcessBuilder at 1.36 ms and a bare JNR `posix_spawnp` + `waitpid` at 534 µs on this machine, unloaded.\n\n");
            md.append("| figure | p50 | p90 | p99 | p99.9 | max | samples | p50 ratio to ProcessBuilder | to NuProcess |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
            for (Fig f : lat) {
                md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label);
                for (double v : f.pct) md.append(" | ").append(fmt(v, "ns"));
                md.append(" | ").append(f.samples());
                md.append(" | ").append(pb == null ? "" : pb == f ? "1 (reference)" : ratio(f.pct[0] / pb.pct[0]));
                md.append(" | ").append(nu == null ? "" : nu == f ? "1" : ratio(f.pct[0] / nu.pct[0])).append(" |\n");
            }
        }
        targetsOf(md, "9");
    }

    /** Analysis of missed targets, kept next to the code (notes.md, one "## key" section per target). */
    private void notes(StringBuilder md) throws IOException {
        Map<String, String> notes = notes();
        List<String> missed = checks.stream().filter(c -> Boolean.FALSE.equals(c.met())).map(Check::noteKey).distinct().toList();
        if (missed.isEmpty()) return;
        md.append("## Where targets are missed\n\n");
        md.append("The profile findings below were written by hand from JFR recordings (see each note); the figures above are this run's.\n\n");
        for (String k : missed) {
            List<Check> cs = checks.stream().filter(c -> k.equals(c.noteKey()) && Boolean.FALSE.equals(c.met())).toList();
            md.append("### ").append(cs.get(0).scenario()).append(": ").append(cs.get(0).target()).append("\n\n");
            md.append("Missed by: ").append(String.join(", ", cs.stream().map(c -> c.compared() + " = " + c.value()).toList())).append(".\n\n");
            md.append(notes.getOrDefault(k, "No analysis recorded for this target yet.")).append("\n\n");
        }
    }

    /** The hand-written analyses of notes.md, by key ("## key" sections). */
    static Map<String, String> notes() throws IOException {
        Map<String, String> notes = new LinkedHashMap<>();
        try (InputStream in = Report.class.getResourceAsStream("notes.md")) {
            if (in != null) {
                String cur = null;
                StringBuilder sb = new StringBuilder();
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
                    if (line.startsWith("## ")) {
                        if (cur != null) notes.put(cur, sb.toString().trim());
                        cur = line.substring(3).trim();
                        sb.setLength(0);
                    } else {
                        sb.append(line).append('\n');
                    }
                }
                if (cur != null) notes.put(cur, sb.toString().trim());
            }
        }
        return notes;
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static String join(double[] v) {
        return Arrays.toString(v);
    }

    /** The leading number of a scenario key ("3a" -> 3, "10" -> 10), for ordering the targets table. */
    static int scenarioNumber(String key) {
        int i = 0;
        while (i < key.length() && Character.isDigit(key.charAt(i))) i++;
        return i == 0 ? Integer.MAX_VALUE : Integer.parseInt(key.substring(0, i));
    }
}
