package io.kwait.bench.http;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code wrk} (the load generator) and reads its results.
 *
 * <p>Facts that shape this file: wrk prints its summary for people, so each run carries a Lua
 * script whose {@code done()} prints one machine-readable line ({@code @WRK key=value ...}):
 * requests, bytes, the socket errors (connect, read, write, timeout: wrk's response parser
 * failing counts as a read error) and non-2xx answers, latency percentiles in µs. A
 * {@code response()} callback makes wrk collect every header and body, which costs it
 * throughput, so only the checking run has one: it pipelines {@value #CHECK_DEPTH} requests per
 * write and compares every status and body. wrk gives up on a request after 2 s (its default
 * timeout) and counts a timeout error.
 */
public final class Wrk {
    static final int CHECK_DEPTH = 3;

    /** What one run of wrk measured. */
    public record Result(long requests, long bytes, double seconds, long connectErrors, long readErrors, long writeErrors,
                         long timeouts, long non2xx, long bad, double p50us, double p99us, double maxUs, String output) {
        public double perSecond() { return requests / seconds; }

        /**
         * What is wrong with this run, or null: any socket error or non-2xx answer, any answer the
         * checking script refused, or a byte count that is not whole answers (the runs end with
         * up to one answer per connection in flight).
         */
        public String fault(int connections) {
            List<String> f = new ArrayList<>();
            if (requests == 0) f.add("no request completed");
            if (connectErrors > 0) f.add(connectErrors + " connect errors");
            if (readErrors > 0) f.add(readErrors + " read errors (or unparsable answers)");
            if (writeErrors > 0) f.add(writeErrors + " write errors");
            if (timeouts > 0) f.add(timeouts + " requests timed out (> 2 s)");
            if (non2xx > 0) f.add(non2xx + " non-2xx answers");
            if (bad > 0) f.add(bad + " answers with a wrong status or body");
            long len = Requests.RESPONSE.length;
            if (bytes < requests * len || bytes > (requests + (long) connections * CHECK_DEPTH) * len) {
                f.add("read " + bytes + " bytes for " + requests + " answers of " + len + " bytes");
            }
            return f.isEmpty() ? null : String.join(", ", f);
        }
    }

    private static final String REPORT = """
            done = function(summary, latency, requests)
              local e = summary.errors
              local bad = 0
              for _, t in ipairs(threads) do bad = bad + (t:get("bad") or 0) end
              io.write(string.format("@WRK requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d bad=%d p50_us=%d p99_us=%d max_us=%d\\n",
                summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.timeout, e.status, bad,
                latency:percentile(50), latency:percentile(99), latency.max))
            end
            """;

    private static final String THREADS = """
            threads = {}
            setup = function(thread) table.insert(threads, thread) end
            """;

    private static final String CHECK = """
            init = function(args)
              local r = {}
              for i = 1, %d do r[i] = wrk.format("GET", "/check") end
              req = table.concat(r)
              bad = 0
            end
            request = function() return req end
            response = function(status, headers, body)
              if status ~= 200 or body ~= "%s" then bad = bad + 1 end
            end
            """.formatted(CHECK_DEPTH, Requests.BODY);

    final Path measureScript, checkScript;
    final List<String> pin;

    /** Writes the scripts into {@code dir}; {@code pin} prefixes the command (taskset), or is empty. */
    public Wrk(Path dir, List<String> pin) throws IOException {
        Files.createDirectories(dir);
        measureScript = dir.resolve("measure.lua");
        checkScript = dir.resolve("check.lua");
        Files.writeString(measureScript, THREADS + REPORT, StandardCharsets.UTF_8);
        Files.writeString(checkScript, THREADS + CHECK + REPORT, StandardCharsets.UTF_8);
        this.pin = pin;
    }

    /** One run against {@code 127.0.0.1:port}; {@code check}: the pipelined, body-checking script. */
    public Result run(int port, int connections, int seconds, boolean check) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
                "-s", (check ? checkScript : measureScript).toString(), "http://127.0.0.1:" + port + "/"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("wrk did not end: " + out);
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (!line.startsWith("@WRK ")) continue;
            for (String kv : line.substring(5).trim().split(" ")) {
                int eq = kv.indexOf('=');
                v.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        if (p.exitValue() != 0 || v.isEmpty()) throw new IOException("wrk failed (exit " + p.exitValue() + "): " + out.trim());
        return new Result(num(v, "requests"), num(v, "bytes"), num(v, "duration_us") / 1e6, num(v, "connect"), num(v, "read"),
                num(v, "write"), num(v, "timeout"), num(v, "status"), num(v, "bad"), num(v, "p50_us"), num(v, "p99_us"), num(v, "max_us"), out);
    }

    private static long num(Map<String, String> v, String k) {
        String s = v.get(k);
        if (s == null) throw new IllegalStateException("wrk's report has no " + k);
        return Long.parseLong(s);
    }

    // ------------------------------------------------------------------ finding and installing the tools

    /** The program's path on PATH, or null. */
    static Path onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * Makes sure {@code wrk} is installed: as root on a Debian-like system it runs {@code apt-get
     * install -y wrk} (after {@code apt-get update} if the first try fails). Returns null when
     * wrk is there, else why the scenario cannot run and what to do.
     */
    public static String ensureInstalled(PrintStream log) {
        if (onPath("wrk") != null) return null;
        if (onPath("apt-get") == null) return "wrk (the HTTP load generator) is not installed and there is no apt-get: install wrk with the system's package manager and rerun";
        if (!isRoot()) return "wrk (the HTTP load generator) is not installed: run `sudo apt-get install -y wrk` and rerun (the bench installs it itself only when it runs as root)";
        log.println("  wrk is missing: apt-get install -y wrk");
        if (apt("install", "-y", "wrk") != 0) {
            log.println("  apt-get install failed: apt-get update, then again");
            apt("update");
            apt("install", "-y", "wrk");
        }
        return onPath("wrk") != null ? null : "wrk is not installed and `apt-get install -y wrk` failed (see the console): install it and rerun";
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return p.waitFor() == 0 && s.equals("0");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static int apt(String... args) {
        List<String> cmd = new ArrayList<>(List.of("apt-get", "-q"));
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            return p.waitFor(10, TimeUnit.MINUTES) ? p.exitValue() : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
