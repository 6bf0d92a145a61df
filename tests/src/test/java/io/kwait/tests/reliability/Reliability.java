package io.kwait.tests.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;

/**
 * The reliability suite's knobs and its figures.
 *
 * <ul>
 *   <li>{@code -Dkwait.reliability=long}: the long mode (1,000,000 messages among 1,000 tasks,
 *       100,000 waits, hundreds of rounds per race); the default {@code short} mode runs in
 *       {@code mvn verify}.</li>
 *   <li>{@code -Dkwait.reliability.seed=N}: replays the random choices of a failing run (every
 *       randomised test prints its seed, and names it in its failure message).</li>
 * </ul>
 * The long mode, every backend and both strands (about an hour on 2 cores):
 * <pre>{@code
 * mvn -B -ntp -pl tests -am verify -Dkwait.reliability=long -Dkwait.variants.skip=true \
 *     -Dtest='*Test$Reliability*,DifferentialTest' -Dsurefire.failIfNoSpecifiedTests=false
 * }</pre>
 * The tests that expose defects not fixed yet carry {@code @Tag("known-defect")} and are left out
 * by default; add {@code -Dkwait.test.excludedGroups=none -Dgroups=known-defect} to run only them.
 *
 * <p>Every test prints one line of figures ({@code [kwait reliability] ...}) and appends it to
 * {@code target/reliability-figures.txt}, which the README quotes.
 */
final class Reliability {
    static final String MODE = System.getProperty("kwait.reliability", "short").trim().toLowerCase(Locale.ROOT);
    static final boolean LONG = switch (MODE) {
        case "short" -> false;
        case "long" -> true;
        default -> throw new IllegalArgumentException("-Dkwait.reliability=" + MODE + " is not a mode; use short or long");
    };

    private Reliability() {}

    /** {@code shortN} in the short mode, {@code longN} in the long mode. */
    static int scale(int shortN, int longN) {
        return LONG ? longN : shortN;
    }

    /** How long one test may take before it fails: a bound, not an expectation. */
    static Duration budget() {
        return LONG ? Duration.ofMinutes(30) : Duration.ofSeconds(60);
    }

    /**
     * Runs {@code body} within {@link #budget()}, failing (and interrupting it) past that; returns
     * what it returned. The suite's classes carry a JUnit timeout long enough for the long mode;
     * this is the bound that holds in each mode.
     */
    static <T> T bounded(org.junit.jupiter.api.function.ThrowingSupplier<T> body) {
        return org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(budget(), body);
    }

    /** The seed to use: {@code -Dkwait.reliability.seed}, else a fresh one (printed by the caller). */
    static long seed() {
        String s = System.getProperty("kwait.reliability.seed");
        return s == null || s.isBlank() ? System.nanoTime() ^ 0x9E3779B97F4A7C15L : Long.parseLong(s.trim());
    }

    /** The strand tasks run on in this JVM, as the scheduler will choose it. */
    static String strand() {
        String forced = System.getProperty("kwait.scheduler", "").trim();
        return forced.isEmpty() || forced.equals("auto") ? "virtual" : forced;
    }

    /** Prints one line of figures and appends it to target/reliability-figures.txt. */
    static synchronized void figure(String backend, String test, String text) {
        String line = String.format(Locale.ROOT, "[kwait reliability] %s %-18s %-12s %-34s %s", MODE, backend, strand(), test, text);
        System.out.println(line);
        try {
            Path dir = Path.of("target");
            if (Files.isDirectory(dir)) {
                Files.writeString(dir.resolve("reliability-figures.txt"), line + System.lineSeparator(), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Milliseconds since {@code t0} (a {@link System#nanoTime()}). */
    static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
