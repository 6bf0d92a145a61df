package io.kwait.examples;

import io.kwait.Child;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import java.lang.ProcessBuilder.Redirect;
import java.time.Duration;
import java.util.List;

/**
 * A child process with a timeout: one wait on the child's exit and a timer. When the timer wins,
 * the child gets SIGTERM, then SIGKILL if it is still there a second later; either way the exit
 * is waited for, so no zombie is left.
 *
 * <pre>
 * mvn -q -Pexample -Dexample=ChildTimeout -pl examples -am verify -DskipTests
 * </pre>
 *
 * Arguments: {@code [SECONDS [command args...]]}; by default {@code sleep 30} with a 1 s timeout.
 */
public final class ChildTimeout {
    private ChildTimeout() {}

    public static void main(String[] args) throws Exception {
        Duration timeout = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 1);
        List<String> command = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("sleep", "30");
        try (Kernel kernel = Kernel.open()) {
            Child child = Child.start(kernel, new ProcessBuilder(command)
                    .redirectOutput(Redirect.INHERIT).redirectError(Redirect.INHERIT));
            Event exit = Event.exit(child);
            System.out.println("started " + command + " as pid " + child.pid() + "; timeout " + timeout.toMillis() + " ms");
            List<Fired> fired = kernel.wait(List.of(exit, Event.after(timeout)), null);
            if (fired.get(0).event() != exit) {
                System.out.println("timed out: SIGTERM");
                child.terminate();
                fired = kernel.wait(List.of(exit, Event.after(Duration.ofSeconds(1))), null);
                if (fired.get(0).event() != exit) {
                    System.out.println("still running: SIGKILL");
                    child.kill();
                    fired = kernel.wait(List.of(exit), null); // SIGKILL cannot be refused
                }
            }
            // 128 + N when a signal N ended it, as a shell reports it
            System.out.println("exit status " + fired.get(0).exitStatus().getAsInt());
        }
    }
}
