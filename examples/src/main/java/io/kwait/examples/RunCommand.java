package io.kwait.examples;

import io.kwait.Child;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a command and streams its stdout and stderr line by line, in one wait with a timeout and
 * with SIGTERM/SIGINT to this JVM: no thread per stream (on epoll and kqueue, none at all). On
 * the timeout, or when this JVM gets TERM or INT, the child gets SIGTERM, and SIGKILL if it is
 * still there two seconds later.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
 *      -cp ... io.kwait.examples.RunCommand [--timeout=SECONDS] [command args...]
 * mvn -q -Prun-command -pl examples -am verify -DskipTests      # a built-in command that overstays a 2 s timeout
 * </pre>
 *
 * Exits with the child's exit status (128 + N when it was killed by signal N).
 */
public final class RunCommand {
    private RunCommand() {}

    public static void main(String[] args) throws Exception {
        Duration timeout = Duration.ofSeconds(10);
        List<String> command = new ArrayList<>(Arrays.asList(args));
        if (!command.isEmpty() && command.get(0).startsWith("--timeout=")) {
            timeout = Duration.ofSeconds(Long.parseLong(command.remove(0).substring("--timeout=".length())));
        }
        if (command.isEmpty()) {
            timeout = Duration.ofSeconds(2);
            command = List.of("sh", "-c", "for i in 1 2 3; do echo line $i; echo warning $i >&2; sleep 0.3; done;"
                    + " echo 'now sleeping past the timeout'; exec sleep 60");
        }
        System.exit(run(command, timeout));
    }

    static int run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        try (Kernel kernel = Kernel.open()) {
            Child child = Child.start(kernel, new ProcessBuilder(command));
            System.err.printf("[started pid %d on the %s backend; %d relay threads]%n",
                    child.pid(), kernel.backendName(), child.relayThreads());
            Lines out = new Lines("out| "), err = new Lines("err| ");
            Event stop = Event.at(java.time.Instant.now().plus(timeout)); // absolute: Event.after would restart each wait
            Event term = Event.signal("TERM"), interrupt = Event.signal("INT");
            Event killLater = null;
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (!child.isFinished()) {
                List<Event> events = new ArrayList<>(child.events()); // stdout, stderr, exit: what is still pending
                events.add(term);
                events.add(interrupt);
                if (killLater == null) events.add(stop);
                else events.add(killLater);
                for (Fired f : kernel.wait(events, null)) {
                    switch (f.filter()) {
                        case READ -> {
                            Pipe.SourceChannel ch = (Pipe.SourceChannel) f.event().resource();
                            Lines lines = ch == child.stdout() ? out : err;
                            buf.clear();
                            int n = ch.read(buf);
                            if (n < 0) {
                                lines.flush();
                                ch.close(); // drained
                            } else {
                                lines.add(buf.array(), n);
                            }
                        }
                        case EXIT -> System.err.println("[exit status " + f.exitStatus().getAsInt() + "]");
                        case SIGNAL, EXPIRE -> {
                            if (f.event() == killLater) {
                                System.err.println("[still there: SIGKILL]");
                                child.kill();
                            } else if (killLater == null && !child.hasExited()) {
                                System.err.println(f.filter() == io.kwait.Filter.SIGNAL ? "[signal: SIGTERM to the child]"
                                        : "[timeout after " + timeout.toSeconds() + " s: SIGTERM to the child]");
                                child.terminate();
                                killLater = Event.at(java.time.Instant.now().plusSeconds(2));
                            }
                        }
                        default -> { }
                    }
                }
            }
            return child.exitStatus().getAsInt();
        }
    }

    /** Splits a stream into lines and prints them with a prefix. */
    private static final class Lines {
        private final String prefix;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Lines(String prefix) { this.prefix = prefix; }

        void add(byte[] bytes, int n) {
            for (int i = 0; i < n; i++) {
                if (bytes[i] == '\n') line();
                else pending.write(bytes[i]);
            }
        }

        /** At end of stream: a last line without a newline. */
        void flush() {
            if (pending.size() > 0) line();
        }

        private void line() {
            System.out.println(prefix + pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
    }
}
