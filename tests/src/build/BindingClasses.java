import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The binding classes of the conformance suite ({@code io.kwait.tests.backends.SelectTest},
 * {@code EpollTest}, ...): one class per backend, holding a {@code @Nested} subclass of each
 * conformance suite. They are generated from the two lists below, {@link #SUITES} and
 * {@link #BACKENDS}, which are the only place they are written: the build runs this file in
 * {@code generate-test-sources} (execution {@code binding-classes} in {@code tests/pom.xml}) and
 * compiles what it writes under {@code tests/target/generated-test-sources/bindings}.
 *
 * <p>Why generated and not inherited: a {@code @Nested} class inherited from a shared superclass
 * is named after the superclass, so surefire would merge the backends' reports into one and
 * {@code -Dtest='EpollTest$Chans*'} would match nothing. Generated, every backend has its own
 * {@code EpollTest$Chans}.
 *
 * <p>To bind a new suite to every backend, add one line to the table of {@link #SUITES}; to add a
 * backend, one entry to {@link #BACKENDS}. By hand: {@code java tests/src/build/BindingClasses.java OUT_DIR}.
 */
class BindingClasses {

    /** One conformance suite: the {@code @Nested} class's name and the abstract class it extends. */
    record Suite(String nested, String conformance) {}

    /** Every suite, bound to every backend in this order: one line each, the {@code @Nested} name, then the class. */
    static final List<Suite> SUITES = suites("""
            KernelContract     io.kwait.tests.KernelContractConformance
            Fds                io.kwait.tests.FdConformance
            Processes          io.kwait.tests.ProcessConformance
            ManyProcesses      io.kwait.tests.ManyProcessesConformance
            Timers             io.kwait.tests.TimerConformance
            Signals            io.kwait.tests.SignalConformance
            Tasks              io.kwait.tests.TaskConformance
            Chans              io.kwait.tests.ChanConformance
            Scenarios          io.kwait.tests.ScenarioConformance
            Children           io.kwait.tests.ChildConformance
            ReliabilityStress  io.kwait.tests.reliability.StressConformance
            ReliabilityFaults  io.kwait.tests.reliability.FaultConformance
            ReliabilityLeaks   io.kwait.tests.reliability.LeakConformance
            ReliabilityRaces   io.kwait.tests.reliability.RaceConformance
            """);

    static List<Suite> suites(String table) {
        return table.lines().map(String::trim).filter(l -> !l.isEmpty()).map(l -> {
            String[] two = l.split("\\s+");
            if (two.length != 2) throw new IllegalArgumentException("a suite line is a name and a class: " + l);
            return new Suite(two[0], two[1]);
        }).toList();
    }

    /** A JUnit tag on one backend's {@code @Nested} suite, so a build execution can pick it out. */
    record Tagged(String nested, String tag, String why) {}

    /**
     * One binding class: its name, the backend it runs on ({@code @OnBackend}), its Javadoc, the
     * check that skips it where it cannot run (a call into {@code RunsHere}, or null where
     * {@code ConformanceBase} decides alone) and its tagged suites.
     */
    record Backend(String className, String backend, String doc, String skipUnless, List<Tagged> tagged) {}

    static final List<Backend> BACKENDS = List.of(
            new Backend("SelectTest", "select",
                    "The conformance suite on the select backend (NIO Selector), which runs everywhere.",
                    null, List.of()),
            new Backend("EpollTest", "epoll", """
                    The conformance suite on the epoll backend (Linux; skipped elsewhere by
                    {@code ConformanceBase.belongsHere}). {@link Processes} is tagged {@code process}: the build runs
                    it once more with {@code -Dkwait.epoll.pidfd=false}, so every process wait goes through the
                    core's relay.""",
                    null, List.of(new Tagged("Processes", "process",
                            "Tagged: the build runs it again with pidfds off (execution {@code epoll-process-relay})."))),
            new Backend("KqueueTest", "kqueue", """
                    The conformance suite on the real kqueue backend. Runs where the backend is available (macOS,
                    FreeBSD, OpenBSD, with the JVM flags of the build) and is skipped elsewhere, with the backend's
                    reason: on Linux kqueue is verified only through the simulation ({@link KqueueSimMacosTest},
                    {@link KqueueSimFreebsdTest}). On a Mac or a BSD box:
                    {@code mvn -B -ntp verify -Dtest=KqueueTest -Dsurefire.failIfNoSpecifiedTests=false}.""",
                    "RunsHere.available(\"kqueue\")", List.of()),
            new Backend("KqueueSimMacosTest", "kqueue-sim-macos", """
                    The conformance suite on the kqueue backend running on the simulated kqueue with macOS's layout
                    and semantics (module kqueue-sim, on this suite's test class path only). The simulation is built
                    on Linux's epoll and pidfds, so off Linux this class is skipped.""",
                    "RunsHere.linux()", List.of()),
            new Backend("KqueueSimFreebsdTest", "kqueue-sim-freebsd", """
                    The conformance suite on the kqueue backend running on the simulated kqueue with FreeBSD 12+'s
                    layout and semantics (module kqueue-sim, on this suite's test class path only). The build runs
                    it twice more: on the other strand like every binding, and with {@code -Dkwait.kqueue.wakeup=pipe}
                    (the wakeup where EVFILT_USER is missing). The simulation is built on Linux's epoll and pidfds,
                    so off Linux this class is skipped.""",
                    "RunsHere.linux()", List.of()));

    static final String PACKAGE = "io.kwait.tests.backends";

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: java BindingClasses.java OUT_DIR");
        Path dir = Path.of(args[0], PACKAGE.split("\\."));
        Files.createDirectories(dir);
        Set<String> written = new TreeSet<>();
        for (Backend b : BACKENDS) {
            Path file = dir.resolve(b.className() + ".java");
            String text = source(b);
            // Unchanged files keep their time stamp, so the compiler does not rebuild the module.
            if (!Files.exists(file) || !Files.readString(file).equals(text)) Files.writeString(file, text);
            written.add(file.getFileName().toString());
        }
        try (Stream<Path> old = Files.list(dir)) { // a backend taken off the list
            for (Path p : old.filter(p -> !written.contains(p.getFileName().toString())).toList()) Files.delete(p);
        }
    }

    static String source(Backend b) {
        Set<String> imports = new TreeSet<>();
        imports.add("io.kwait.tests.OnBackend");
        imports.add("org.junit.jupiter.api.Nested");
        for (Suite s : SUITES) imports.add(s.conformance());
        if (b.skipUnless() != null) imports.add("org.junit.jupiter.api.BeforeAll");
        if (!b.tagged().isEmpty()) imports.add("org.junit.jupiter.api.Tag");
        for (Tagged t : b.tagged()) {
            if (SUITES.stream().noneMatch(s -> s.nested().equals(t.nested())))
                throw new IllegalArgumentException(b.className() + " tags " + t.nested() + ", which is not in SUITES");
        }

        StringBuilder out = new StringBuilder();
        out.append("// Generated by tests/src/build/BindingClasses.java from its lists: edit them there.\n");
        out.append("package ").append(PACKAGE).append(";\n\n");
        for (String i : imports) out.append("import ").append(i).append(";\n");
        out.append("\n/**\n");
        for (String line : b.doc().split("\n")) out.append(" * ").append(line).append('\n');
        out.append(" */\n");
        out.append("@OnBackend(\"").append(b.backend()).append("\")\n");
        out.append("class ").append(b.className()).append(" {\n");
        if (b.skipUnless() != null) {
            out.append("    @BeforeAll\n");
            out.append("    static void runsHere() { ").append(b.skipUnless()).append("; }\n\n");
        }
        for (Suite s : SUITES) {
            String simple = s.conformance().substring(s.conformance().lastIndexOf('.') + 1);
            List<String> annotations = new ArrayList<>(List.of("@Nested"));
            for (Tagged t : b.tagged()) {
                if (!t.nested().equals(s.nested())) continue;
                out.append("    /** ").append(t.why()).append(" */\n");
                annotations.add("@Tag(\"" + t.tag() + "\")");
            }
            out.append("    ").append(String.join(" ", annotations))
                    .append(" class ").append(s.nested()).append(" extends ").append(simple).append(" {}\n");
        }
        out.append("}\n");
        return out.toString();
    }
}
