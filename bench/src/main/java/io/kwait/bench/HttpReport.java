package io.kwait.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Scenario 10's part of the report ({@link HttpBench}): its targets, its section of BENCHMARKS.md
 * and its two charts. Figure keys are {@code SERVER-cN} and {@code SERVER-c64-idle}; each round
 * is one row whose sample is requests/s, with p50/p99 in the extras.
 */
final class HttpReport {
    private HttpReport() {}

    static final String KWAIT = "kwait-epoll-cont";
    /** Display order of the servers in a group: kwait first, the reference (Netty) last. */
    static final List<String> ORDER = List.of("kwait-epoll-cont", "kwait-epoll-vt", "kwait-select-cont", "kwait-select-vt", "nio", "vt1", "vt", "netty");

    /** The groups of rows: key suffix and heading. */
    static final String[][] GROUPS = {{"c1", "1"}, {"c64", "64"}, {"c1000", "1,000"}, {"c64-idle", "64 + 10,000 idle"}};

    static String server(Report.Fig f) {
        String s = f.text("server");
        return s != null ? s : f.key.substring(0, f.key.lastIndexOf("-c"));
    }

    static String group(Report.Fig f) {
        return f.key.substring(server(f).length() + 1);
    }

    /** The figures of one group in display order. */
    static List<Report.Fig> group(Report r, String suffix) {
        List<Report.Fig> g = new ArrayList<>(r.of("10", f -> group(f).equals(suffix)));
        g.sort(Comparator.comparingInt(f -> ORDER.indexOf(server(f)) < 0 ? 99 : ORDER.indexOf(server(f))));
        return g;
    }

    /** A latency extra (ns) over the rounds: median, min, max. */
    static double[] latency(Report.Fig f, String k) {
        double[] v = f.runs.stream().mapToDouble(x -> Double.parseDouble(x.extra.get(k))).toArray();
        return new double[] {Stats.median(v), Stats.min(v), Stats.max(v)};
    }

    static String rps(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%,.0f", v);
    }

    // ================================================================ targets

    static void check(Report r) {
        for (String c : new String[] {"c64", "c1000"}) {
            Report.Fig k = r.fig("10", KWAIT + "-" + c), netty = r.fig("10", "netty-" + c);
            if (k == null) continue;
            String conns = String.format(Locale.ROOT, "%,d", Integer.parseInt(c.substring(1)));
            if (netty == null) {
                r.checks.add(new Report.Check("10", "≥ 1.0× Netty's requests/s at " + conns + " connections", k.key + " vs (not measured)", "n/a", null, "10-netty"));
                continue;
            }
            double ratio = k.median / netty.median;
            r.check("10", "≥ 1.0× Netty's requests/s at " + conns + " connections", k.key + " / " + netty.key, ratio,
                    Report.ratio(ratio) + " (" + rps(k.median) + " vs " + rps(netty.median) + " req/s)", ratio >= 1.0, "10-netty");
            double kp = latency(k, "p99")[0], np = latency(netty, "p99")[0];
            r.check("10", "p99 latency ≤ Netty's at " + conns + " connections", k.key + " / " + netty.key + " (p99)", kp / np,
                    Report.ratio(kp / np) + " (" + Report.fmt(kp, "ns") + " vs " + Report.fmt(np, "ns") + ")", kp <= np, "10-p99");
        }
        Report.Fig k = r.fig("10", KWAIT + "-c1000");
        for (String vt : new String[] {"vt1", "vt"}) {
            Report.Fig v = r.fig("10", vt + "-c1000");
            if (k == null || v == null) continue;
            double ratio = k.median / v.median;
            r.check("10", "≥ 1.2× a virtual thread per connection at 1,000 connections", k.key + " / " + v.key, ratio,
                    Report.ratio(ratio) + " (" + rps(k.median) + " vs " + rps(v.median) + " req/s)", ratio >= 1.2, "10-vt");
        }
        for (Report.Fig idle : r.of("10", f -> f.kwait() && f.key.endsWith("-c64-idle"))) {
            Report.Fig base = r.fig("10", server(idle) + "-c64");
            if (base == null) continue;
            double ratio = idle.median / base.median;
            r.check("10", "beside 10,000 idle connections, within 10 % of the 64-connection requests/s", idle.key + " / " + base.key, ratio,
                    Report.ratio(ratio) + " (" + rps(idle.median) + " vs " + rps(base.median) + " req/s)", ratio >= 0.9, "10-idle");
        }
    }

    // ================================================================ markdown

    static void section(Report r, StringBuilder md) throws java.io.IOException {
        java.util.Map<String, String> notes = Report.notes();
        List<Report.Fig> all = r.of("10");
        List<Row> faults = r.main.rows.stream().filter(x -> "10".equals(x.scenario) && x.extra.containsKey("fault")).toList();
        if (all.isEmpty() && faults.isEmpty()) return;
        int rounds = r.main.rows.stream().filter(x -> "10".equals(x.scenario) && x.extra.containsKey("round"))
                .mapToInt(x -> Integer.parseInt(x.extra.get("round"))).max().orElse(0);
        double[] secs = r.main.rows.stream().filter(x -> "10".equals(x.scenario) && x.extra.containsKey("seconds"))
                .mapToDouble(x -> Double.parseDouble(x.extra.get("seconds"))).toArray();
        double[] loads = r.main.rows.stream().filter(x -> "10".equals(x.scenario) && x.extra.containsKey("load"))
                .mapToDouble(x -> Double.parseDouble(x.extra.get("load"))).toArray();
        md.append("## 10. HTTP/1.1 keep-alive servers under wrk\n\n");
        if (r.main.runDate != null) md.append("Measured ").append(r.main.runDate).append(" (`-Dbench.args=--only=10` runs this scenario alone, about 20 minutes).\n\n");
        md.append("A minimal HTTP/1.1 server (request line and headers to the empty line, pipelined requests and requests split across reads handled, "
                + "every answer `HTTP/1.1 200 OK` with the 13-byte body `Hello, World!`) written four ways (eight servers), each in its own JVM (`-Xms1g -Xmx1g`) pinned to core 0 "
                + "with `taskset -c 0`: kwait tasks, one per connection, on each backend and strand; Netty native epoll with one event loop for the listener and every connection; "
                + "a plain NIO `Selector` loop on one thread; a virtual thread per connection over blocking `java.net.Socket` streams, with "
                + "`-Djdk.virtualThreadScheduler.parallelism=1` and with the default scheduler (pinned to one core, the JVM sees one CPU, so its default is one carrier as well). "
                + "The load generator is `wrk -t1 --latency` pinned to core 1. ");
        md.append(String.format(Locale.ROOT, "%d round%s; in each, every server in turn (the order rotates per round) is started, probed "
                + "(a request split over two writes, three pipelined requests cut in the middle, a malformed request answered 400 then closed: every byte compared), "
                + "checked under wrk for 1 s with 3 pipelined requests per write and every status and body compared, warmed up, then measured for %s s at 1, 64 and 1,000 connections, "
                + "and at 64 connections once more while a child process holds 10,000 more keep-alive connections open, each served one request first. "
                + "Any wrk socket error, timeout (> 2 s), non-2xx answer, or a byte count that is not whole 84-byte answers makes the run a fault, left out of the figures and listed. "
                + "Figures: the median over rounds, min–max in brackets; latencies are wrk's per-request percentiles.",
                rounds, rounds == 1 ? "" : "s", secs.length == 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", Stats.median(secs))));
        if (loads.length > 0) {
            md.append(String.format(Locale.ROOT, " The machine was shared with other work: the 1-minute load average before each server's turn was %.1f–%.1f (median %.1f) on 2 CPUs, "
                    + "so absolute figures are low and noisy; compare figures of the same round and the ratios.", Stats.min(loads), Stats.max(loads), Stats.median(loads)));
        }
        md.append("\n\n");
        md.append("| connections | figure | requests/s | p50 latency | p99 latency | ÷ Netty (req/s) | ÷ NIO (req/s) | rounds |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String[] g : GROUPS) {
            for (Report.Fig f : group(r, g[0])) {
                Report.Fig netty = r.fig("10", "netty-" + g[0]), nio = r.fig("10", "nio-" + g[0]);
                double[] p50 = latency(f, "p50"), p99 = latency(f, "p99");
                md.append("| ").append(g[1]).append(" | ").append(f.kwait() ? "**" + f.label + "**" : f.label)
                        .append(" | ").append(rps(f.median)).append(" (").append(rps(f.min)).append("–").append(rps(f.max)).append(')')
                        .append(" | ").append(range(p50)).append(" | ").append(range(p99))
                        .append(" | ").append(ratioTo(f, netty)).append(" | ").append(ratioTo(f, nio))
                        .append(" | ").append(f.runs.size()).append(" |\n");
            }
        }
        List<Report.Fig> idle = group(r, "c64-idle");
        if (!idle.isEmpty()) {
            md.append("\nThe 10,000 idle connections: connected one after another by one client thread, then one request on each, all answered, before the measured run. "
                    + "Setting them up took (median over rounds):\n\n| figure | 10,000 connects | 10,000 first answers | requests/s ÷ its 64-connection figure |\n| --- | --- | --- | --- |\n");
            for (Report.Fig f : idle) {
                Report.Fig base = r.fig("10", server(f) + "-c64");
                md.append("| ").append(f.kwait() ? "**" + f.label + "**" : f.label)
                        .append(String.format(Locale.ROOT, " | %.2f s | %.2f s | ", f.extra("connectMs") / 1e3, f.extra("answerMs") / 1e3))
                        .append(base == null ? "n/a" : Report.ratio(f.median / base.median)).append(" |\n");
            }
            String why = notes.get("10-idle-setup");
            if (why != null) md.append('\n').append(why).append('\n');
        }
        if (!faults.isEmpty()) {
            md.append("\nFaulty runs, left out of the figures:\n\n");
            for (Row x : faults) md.append("- ").append(x.key).append(", round ").append(x.extra.get("round")).append(": ").append(x.extra.get("fault")).append('\n');
        }
        r.targetsOf(md, "10");
    }

    private static String range(double[] v) {
        return Report.fmt(v[0], "ns") + " (" + Report.fmt(v[1], "ns") + "–" + Report.fmt(v[2], "ns") + ")";
    }

    private static String ratioTo(Report.Fig f, Report.Fig ref) {
        if (ref == null) return "";
        return ref == f ? "1 (reference)" : Report.ratio(f.median / ref.median);
    }

    // ================================================================ charts

    /** Requests/s and p99 per server and connection count; Netty is each group's reference. */
    static List<Charts.Chart> charts(Report r) {
        List<Charts.Point> rps = new ArrayList<>(), p99 = new ArrayList<>();
        for (String[] g : GROUPS) {
            for (Report.Fig f : group(r, g[0])) {
                String label = g[1] + " conn.: " + f.label;
                boolean ref = server(f).equals("netty");
                rps.add(new Charts.Point(label, f.kwait(), ref, f.median, f.min, f.max, null));
                double[] l = latency(f, "p99");
                p99.add(new Charts.Point(label, f.kwait(), ref, l[0], l[1], l[2], null));
            }
        }
        return List.of(new Charts.Chart("http-10-rps", "HTTP keep-alive under wrk, server on 1 core: requests per second (higher is better)", "req/s", rps, false),
                new Charts.Chart("http-10-p99", "HTTP keep-alive under wrk, server on 1 core: p99 latency (lower is better)", "ns", p99, false));
    }
}
