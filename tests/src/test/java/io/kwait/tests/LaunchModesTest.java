package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's flags table, row by row: a small application is launched the way a user would
 * (class path, module path, executable JAR), on the JDK this test runs on (the one
 * {@code maven-toolchains-plugin} found), and each launch must get the backend and strand the
 * table promises and print nothing but its own output: no JDK warning, no kwait message, except
 * the one-line fallback notice where the table says kwait falls back.
 *
 * <p>The application is compiled here from {@link #APP} as a named module {@code launch.app}
 * that requires {@code io.kwait}; on the class path and in the JAR the same classes are simply
 * unnamed. kwait and JNR come from this JVM's class path (the reactor's JARs or class
 * directories).
 */
@Timeout(120)
class LaunchModesTest {

    /** Prints what it got; the wait proves the kernel and the scheduler work in that mode. */
    static final String APP = """
            package launch.app;

            import io.kwait.Event;
            import io.kwait.Kernel;
            import io.kwait.Scheduler;
            import io.kwait.Task;
            import java.time.Duration;
            import java.util.List;

            public final class Main {
                public static void main(String[] args) throws Exception {
                    try (Kernel kernel = Kernel.open()) {
                        String strand = Scheduler.run(kernel, () -> {
                            Task<String> t = Task.spawn(() -> Scheduler.current().strand());
                            if (kernel.wait(List.of(Event.done(t)), Duration.ofSeconds(10)).isEmpty()) throw new AssertionError("no DONE");
                            return t.join();
                        });
                        System.out.println("backend=" + kernel.backendName() + " strand=" + strand);
                    }
                }
            }
            """;

    /** The JUL format used in every launch, so a log record is exactly one line: "LEVEL: message". */
    private static final String ONE_LINE_LOG = "-Djava.util.logging.SimpleFormatter.format=%4$s: %5$s%n";

    private static final List<String> CLASS_PATH_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED");
    private static final List<String> MODULE_PATH_FLAGS = List.of("--enable-native-access=org.jnrproject.jffi",
            "--add-exports", "java.base/sun.nio.ch=io.kwait.nativeio", "--add-modules", "org.objectweb.asm",
            "--add-exports", "java.base/jdk.internal.vm=io.kwait");

    private static List<Path> kwaitAndDependencies;
    private static Path appClasses;

    @TempDir
    Path tmp;

    @BeforeAll
    static void compileApp(@TempDir Path dir) throws IOException {
        if (!ConformanceBase.belongsHere("epoll") || System.getProperty(io.kwait.Scheduler.STRAND_PROPERTY) != null) return;
        kwaitAndDependencies = kwaitAndDependencies();
        Path src = Files.createDirectories(dir.resolve("src/launch.app/launch/app"));
        Files.writeString(src.resolve("Main.java"), APP);
        Files.writeString(dir.resolve("src/launch.app/module-info.java"), "module launch.app { requires io.kwait; }");
        appClasses = dir.resolve("classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "21", "-d", appClasses.toString(),
                "--module-path", join(kwaitAndDependencies),
                dir.resolve("src/launch.app/module-info.java").toString(), src.resolve("Main.java").toString());
        assertEquals(0, rc, "compiling the launch app failed");
    }

    @BeforeEach
    void linuxOnly() {
        assumeTrue(ConformanceBase.belongsHere("epoll"),
                "the table's backends are Linux's (epoll); elsewhere the same rows give kqueue or select");
        // The launched JVMs do not depend on this one's flags: run once, not again in the
        // suite's continuation-strand execution (which sets the property).
        assumeTrue(System.getProperty(io.kwait.Scheduler.STRAND_PROPERTY) == null, "runs in the default execution only");
    }

    // ------------------------------------------------------------------ the rows

    @Test
    void classPathWithTheFlagsGetsEpollAndContinuations() throws Exception {
        List<String> out = java(CLASS_PATH_FLAGS, "-cp", classPath(), "launch.app.Main");
        assertEquals(List.of("backend=epoll strand=continuation"), out);
    }

    @Test
    void classPathWithoutFlagsFallsBackInOneLineWithoutLoadingJnr() throws Exception {
        List<String> out = java(List.of(), "-cp", classPath(), "launch.app.Main");
        assertEquals(2, out.size(), "one fallback line and the app's line, nothing else: " + out);
        String notice = out.get(0);
        assertTrue(notice.startsWith("INFO: kwait: using backend select; epoll unavailable: "), notice);
        assertTrue(notice.contains("--add-exports java.base/sun.nio.ch=ALL-UNNAMED"), "names the flag: " + notice);
        assertEquals("backend=select strand=virtual", out.get(1));
    }

    @Test
    void modulePathWithTheFlagsGetsEpollAndContinuations() throws Exception {
        List<String> out = java(MODULE_PATH_FLAGS, "--module-path", modulePath(), "-m", "launch.app/launch.app.Main");
        assertEquals(List.of("backend=epoll strand=continuation"), out);
    }

    @Test
    void modulePathWithoutAsmNamesTheMissingModuleNotTheTmpdir() throws Exception {
        List<String> flags = new ArrayList<>(MODULE_PATH_FLAGS);
        int i = flags.indexOf("--add-modules");
        flags.remove(i + 1);
        flags.remove(i);
        List<String> out = java(flags, "--module-path", modulePath(), "-m", "launch.app/launch.app.Main");
        assertEquals(2, out.size(), out.toString());
        String notice = out.get(0);
        assertTrue(notice.startsWith("INFO: kwait: using backend select; epoll unavailable: "), notice);
        assertTrue(notice.contains("--add-modules org.objectweb.asm"), "names the missing module: " + notice);
        assertTrue(!notice.contains("tmpdir"), "does not blame java.io.tmpdir: " + notice);
        assertEquals("backend=select strand=continuation", out.get(1));
    }

    @Test
    void modulePathWithoutTheExportFallsBackWithTheModuleFormOfTheFlag() throws Exception {
        List<String> flags = new ArrayList<>(MODULE_PATH_FLAGS);
        int i = flags.indexOf("java.base/sun.nio.ch=io.kwait.nativeio");
        flags.remove(i);
        flags.remove(i - 1);
        List<String> out = java(flags, "--module-path", modulePath(), "-m", "launch.app/launch.app.Main");
        assertEquals(2, out.size(), out.toString());
        assertTrue(out.get(0).contains("--add-exports java.base/sun.nio.ch=io.kwait.nativeio"), out.get(0));
        assertEquals("backend=select strand=continuation", out.get(1));
    }

    @Test
    void executableJarWithManifestAttributesNeedsNoFlags() throws Exception {
        Path jar = tmp.resolve("app.jar");
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.MAIN_CLASS, "launch.app.Main");
        a.put(Attributes.Name.CLASS_PATH, manifestClassPath());
        a.putValue("Enable-Native-Access", "ALL-UNNAMED");
        a.putValue("Add-Exports", "java.base/sun.nio.ch java.base/jdk.internal.vm");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os, mf)) {
            for (String name : List.of("launch/app/Main.class")) {
                j.putNextEntry(new ZipEntry(name));
                j.write(Files.readAllBytes(appClasses.resolve(name)));
                j.closeEntry();
            }
        }
        List<String> out = java(List.of(), "-jar", jar.toString());
        assertEquals(List.of("backend=epoll strand=continuation"), out);
    }

    // ------------------------------------------------------------------ plumbing

    /** kwait's three modules and JNR's JARs, as this JVM found them on its class path. */
    private static List<Path> kwaitAndDependencies() {
        List<Path> out = new ArrayList<>();
        Set<String> kwaitModules = Set.of("io.kwait", "io.kwait.select", "io.kwait.nativeio");
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String file = p.getFileName().toString();
            if (file.matches("(jnr-|jffi-|asm-).*\\.jar")) {
                out.add(p);
                continue;
            }
            if (!Files.exists(p)) continue;
            Optional<String> module = ModuleFinder.of(p).findAll().stream().findFirst()
                    .map(ModuleReference::descriptor).filter(d -> !d.isAutomatic()).map(d -> d.name());
            if (module.isPresent() && kwaitModules.contains(module.get())) out.add(p);
        }
        long kwait = out.stream().filter(p -> !p.getFileName().toString().matches("(jnr-|jffi-|asm-).*")).count();
        assertEquals(3, kwait, "kwait's three modules on the test class path: " + out);
        return out;
    }

    private static String classPath() {
        return appClasses + File.pathSeparator + join(kwaitAndDependencies);
    }

    private static String modulePath() {
        return appClasses + File.pathSeparator + join(kwaitAndDependencies);
    }

    /** Class-Path of the JAR's manifest: absolute paths as URL paths; directories end in '/'. */
    private static String manifestClassPath() {
        StringBuilder sb = new StringBuilder();
        for (Path p : kwaitAndDependencies) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(p.toAbsolutePath().toUri().getRawPath());
        }
        return sb.toString();
    }

    private static String join(List<Path> paths) {
        return String.join(File.pathSeparator, paths.stream().map(Path::toString).toList());
    }

    /** Runs a JVM of this JDK with {@code flags} then {@code args}; its stdout and stderr merged, as lines. */
    private static List<String> java(List<String> flags, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(ONE_LINE_LOG);
        cmd.addAll(flags);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String text;
        try {
            text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // until it exits (@Timeout bounds it)
            if (!p.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the launched JVM closed its output but did not end: " + cmd);
        } finally {
            p.getInputStream().close();
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + text);
        return text.lines().toList();
    }
}
