package io.kwait.bench;

import io.kwait.bench.http.HttpServer;
import io.kwait.bench.http.NettyHttp;
import io.kwait.bench.http.Probe;
import io.kwait.bench.http.Wrk;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 10: HTTP/1.1 keep-alive servers under {@code wrk}. Every server ({@link HttpServer})
 * runs in its own JVM pinned to core 0, wrk runs pinned to core 1; in every round each server in
 * turn (the order rotates per round) is started, probed for correct answers ({@link Probe}),
 * checked under wrk with pipelined requests, warmed up, then measured at 1, 64 and 1,000
 * connections and once more at 64 with 10,000 idle keep-alive connections held open by a child
 * process ({@link IdleHolder}). A run with any socket error, timeout or wrong answer is a fault:
 * its figure is left out and the fault is listed.
 */
final class HttpBench {
    /** One server: its figure key prefix, label, who, JVM flags and {@link HttpServer} arguments. */
    record Server(String key, String label, boolean kwait, String backend, List<String> flags, List<String> args) {}

    static final int[] CONNECTIONS = {1, 64, 1000};
    static final int IDLE = 10_000, IDLE_ACTIVE = 64;

    final BenchMain main;
    final int rounds, seconds, warm;
    final List<String> serverPin = new ArrayList<>(), loadPin = new ArrayList<>();
    Wrk wrk;
    /** The load average when the current server's turn began. */
    double load;

    HttpBench(BenchMain main, int rounds, int seconds) {
        this.main = main;
        this.rounds = main.quick ? 1 : rounds;
        this.seconds = main.quick ? 2 : seconds;
        this.warm = main.quick ? 0 : 3;
    }

    List<Server> servers() {
        List<Server> s = new ArrayList<>();
        for (String b : main.backends) {
            for (String st : main.strands) {
                s.add(new Server("kwait-" + b + "-" + (st.equals("continuation") ? "cont" : "vt"), "kwait " + b + "/" + st + ": a task per connection",
                        true, b, List.of("-Dkwait.scheduler=" + st), List.of("kwait", b)));
            }
        }
        s.add(new Server("netty", "Netty " + NettyHttp.version() + " native epoll, 1 event loop", false, "", List.of(), List.of("netty")));
        s.add(new Server("nio", "NIO Selector loop, 1 thread", false, "", List.of(), List.of("nio")));
        s.add(new Server("vt1", "a virtual thread per connection, blocking sockets, parallelism=1", false, "",
                List.of("-Djdk.virtualThreadScheduler.parallelism=1"), List.of("threads")));
        s.add(new Server("vt", "a virtual thread per connection, blocking sockets, default scheduler", false, "", List.of(), List.of("threads")));
        return s;
    }

    void run() throws Exception {
        String missing = Wrk.ensureInstalled(BenchMain.OUT);
        if (missing != null) {
            BenchMain.OUT.println("  10 skipped: " + missing);
            main.keep(new Row("10", "wrk", "HTTP keep-alive under wrk", "peer", "", "req/s", "skip", new double[0]).put("reason", missing));
            return;
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        if (BenchMain.runCommand("sh", "-c", "command -v taskset").isEmpty() || cpus < 2) {
            BenchMain.OUT.println("  10: servers and wrk not pinned (" + (cpus < 2 ? "1 CPU" : "no taskset: install util-linux") + ")");
        } else {
            serverPin.addAll(List.of("taskset", "-c", "0"));
            loadPin.addAll(List.of("taskset", "-c", "1"));
        }
        wrk = new Wrk(main.work.resolve("http"), loadPin);
        List<Server> servers = new ArrayList<>(servers());
        if (!main.httpServers.isEmpty()) {
            List<String> known = servers.stream().map(Server::key).toList();
            for (String k : main.httpServers) {
                if (!known.contains(k)) throw new IllegalArgumentException("--http-servers: no server '" + k + "'; servers: " + known);
            }
            servers.removeIf(s -> !main.httpServers.contains(s.key()));
        }
        for (int round = 1; round <= rounds; round++) {
            BenchMain.OUT.printf(Locale.ROOT, "[10] round %d of %d%n", round, rounds);
            for (int i = 0; i < servers.size(); i++) measure(servers.get((i + round - 1) % servers.size()), round);
        }
    }

    private void measure(Server s, int round) throws Exception {
        Path log = main.work.resolve("http-" + s.key() + "-round" + round + ".log");
        List<String> cmd = new ArrayList<>(serverPin);
        cmd.addAll(main.childJvm("1g"));
        cmd.addAll(s.flags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HttpServer.class.getName()));
        cmd.addAll(s.args());
        main.noteLoad();
        load = BenchMain.loadAverage();
        Files.deleteIfExists(log);
        Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            int port = port(server);
            Probe.check(port);
            Wrk.Result check = wrk.run(port, 64, 1, true);
            note(log, "check (pipelined, every answer compared)", check);
            if (fault(s, round, "the checking run", check, 64)) return;
            if (warm > 0 && fault(s, round, "the warm-up", note(log, "warm-up", wrk.run(port, 64, warm, false)), 64)) return;
            for (int c : main.quick ? new int[] {64} : CONNECTIONS) {
                Wrk.Result r = note(log, c + " connections", wrk.run(port, c, seconds, false));
                keep(row(s, "c" + c, c, round, r));
            }
            if (!main.quick) idle(s, round, port, log);
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            main.problems.add("10 " + s.key() + " round " + round + ": " + why + " (log: " + log + ")");
            BenchMain.OUT.printf(Locale.ROOT, "  10   %-24s round %d FAILED: %s%n", s.key(), round, why);
        } finally {
            server.getOutputStream().close(); // the server exits at the end of its stdin
            if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly().waitFor();
        }
    }

    /** 64 active connections beside {@link #IDLE} served, idle keep-alive ones. */
    private void idle(Server s, int round, int port, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(loadPin);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                IdleHolder.class.getName(), "127.0.0.1", Integer.toString(port), Integer.toString(IDLE), "http"));
        Process holder = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Thread guard = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!holder.waitFor(120, TimeUnit.SECONDS)) holder.destroyForcibly(); // a stuck setup must not hang the run
            } catch (InterruptedException e) {
                // the run ended first
            }
        });
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.US_ASCII));
            String times = r.readLine(), ready = r.readLine();
            if (times == null || !times.startsWith("TIMES ") || !"READY".equals(ready)) {
                throw new IOException("the idle holder did not get ready (" + times + ", " + ready + "; see the log)");
            }
            String[] t = times.split(" ");
            Wrk.Result res = note(log, IDLE_ACTIVE + " connections + " + IDLE + " idle", wrk.run(port, IDLE_ACTIVE, seconds, false));
            keep(row(s, "c" + IDLE_ACTIVE + "-idle", IDLE_ACTIVE, round, res).put("idle", IDLE).put("connectMs", t[1]).put("answerMs", t[2]));
        } finally {
            holder.getOutputStream().close();
            if (!holder.waitFor(30, TimeUnit.SECONDS)) holder.destroyForcibly();
            guard.interrupt();
        }
    }

    private static int port(Process server) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.US_ASCII));
        String line = r.readLine();
        if (line == null || !line.startsWith("PORT ")) throw new IOException("the server did not start (printed '" + line + "')");
        return Integer.parseInt(line.substring(5).trim());
    }

    private Wrk.Result note(Path log, String what, Wrk.Result r) throws IOException {
        Files.writeString(log, "---- wrk, " + what + "\n" + r.output(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return r;
    }

    /** Lists a faulty check or warm-up run as a problem; true when there was one. */
    private boolean fault(Server s, int round, String what, Wrk.Result r, int connections) {
        String f = r.fault(connections);
        if (f == null) return false;
        main.problems.add("10 " + s.key() + " round " + round + ", " + what + ": " + f);
        BenchMain.OUT.printf(Locale.ROOT, "  10   %-24s round %d, %s FAILED: %s%n", s.key(), round, what, f);
        return true;
    }

    private Row row(Server s, String suffix, int connections, int round, Wrk.Result r) {
        String f = r.fault(connections);
        Row row = new Row("10", s.key() + "-" + suffix, s.label(), s.kwait() ? "kwait" : "peer", s.backend(), "req/s", "value", new double[] {r.perSecond()})
                .put("server", s.key()).put("connections", connections).put("round", round)
                .put("p50", r.p50us() * 1e3).put("p99", r.p99us() * 1e3).put("max", r.maxUs() * 1e3).put("requests", r.requests()).put("seconds", String.format(Locale.ROOT, "%.2f", r.seconds())).put("load", load);
        return f == null ? row : row.put("fault", f);
    }

    /** Saves a measured row; a faulty one is kept for the report's list of faults and is a problem of the run. */
    private void keep(Row row) {
        String f = row.extra.get("fault");
        if (f != null) main.problems.add("10 " + row.key + " round " + row.extra.get("round") + ": " + f);
        main.keep(row);
        BenchMain.OUT.printf(Locale.ROOT, "  10   %-34s round %s: %,.0f req/s, p50 %s, p99 %s%s%n", row.key, row.extra.get("round"), row.samples[0],
                Report.fmt(Double.parseDouble(row.extra.get("p50")), "ns"), Report.fmt(Double.parseDouble(row.extra.get("p99")), "ns"),
                f == null ? "" : "  FAULT: " + f);
    }
}
