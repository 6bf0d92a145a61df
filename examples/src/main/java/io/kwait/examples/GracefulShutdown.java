package io.kwait.examples;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Graceful shutdown on SIGTERM: {@link Kernel#watch} takes TERM over from the JVM (which would
 * otherwise exit at once), workers run, and when TERM fires the main task cancels them; each
 * finishes its current item and cleans up, then the program exits 0. By default it sends itself
 * TERM after half a second ({@code kill -TERM} of its own pid); with {@code --wait} it waits for
 * yours (print the pid, then {@code kill -TERM PID}).
 *
 * <pre>
 * mvn -q -Pexample -Dexample=GracefulShutdown -pl examples -am verify -DskipTests
 * </pre>
 */
public final class GracefulShutdown {
    private GracefulShutdown() {}

    public static void main(String[] args) throws Exception {
        boolean self = !(args.length > 0 && args[0].equals("--wait"));
        try (Kernel kernel = Kernel.open()) {
            Event term = Event.signal("TERM");
            kernel.watch(term); // from here on TERM fires the event instead of ending the JVM
            System.out.println("pid " + ProcessHandle.current().pid() + ": working until SIGTERM");
            Scheduler.run(kernel, () -> {
                List<Task<Integer>> workers = new ArrayList<>();
                for (int w = 1; w <= 3; w++) workers.add(Task.spawn("worker-" + w, GracefulShutdown::work));
                if (self) {
                    Task.sleep(Duration.ofMillis(500));
                    new ProcessBuilder("kill", "-TERM", Long.toString(ProcessHandle.current().pid())).start();
                }
                List<Fired> f = kernel.wait(List.of(term, Event.after(Duration.ofMinutes(10))), null);
                System.out.println(f.get(0).event() == term ? "SIGTERM: stopping the workers" : "no SIGTERM in 10 minutes");
                for (Task<Integer> t : workers) t.cancel();
                for (Task<Integer> t : workers) {
                    try {
                        t.join();
                    } catch (TaskCancelledException expected) {
                        // each worker reported its count on the way out
                    }
                }
                return null;
            });
            System.out.println("clean exit");
        }
    }

    /** Handles items until cancelled; the cancellation arrives at its next wait. */
    private static Integer work() throws Exception {
        int done = 0;
        try {
            while (true) {
                Task.sleep(Duration.ofMillis(50)); // stands in for waiting on a socket, a child, a channel
                done++;
            }
        } finally {
            System.out.println(Task.current().name() + ": finished " + done + " items, cleaning up");
        }
    }
}
