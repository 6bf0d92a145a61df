package io.kwait.examples;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import java.time.Duration;
import java.util.List;

/**
 * Choosing a backend: lists {@link Kernel#backends()} (every backend on the class or module
 * path, best first, with the reason when one cannot run here), then opens the one named on the
 * command line ({@code Kernel.open(name)}: an unavailable one is an error with its reason, never a
 * silent fallback) or the best available ({@code Kernel.open()}, which {@code -Dkwait.backend}
 * overrides), and says which strand a scheduler gets.
 *
 * <pre>
 * mvn -q -Pexample -Dexample=ChooseBackend -pl examples -am verify -DskipTests
 * mvn -q -Pexample -Dexample=ChooseBackend -Dexample.args=select -pl examples -am verify -DskipTests
 * </pre>
 */
public final class ChooseBackend {
    private ChooseBackend() {}

    public static void main(String[] args) throws Exception {
        System.out.printf("%-20s %8s  %s%n", "backend", "priority", "available");
        for (Kernel.BackendInfo b : Kernel.backends()) {
            System.out.printf("%-20s %8d  %s%n", b.name(), b.priority(), b.available() ? "yes" : "no: " + b.reason());
        }
        String wanted = args.length > 0 ? args[0] : null;
        try (Kernel kernel = wanted == null ? Kernel.open() : Kernel.open(wanted)) {
            String strand = Scheduler.run(kernel, () -> {
                kernel.wait(List.of(Event.after(Duration.ofMillis(1))), null); // one wait, to show it works
                return Scheduler.current().strand();
            });
            System.out.println("opened " + kernel.backendName() + (wanted == null ? " (the best available)" : " (asked for)")
                    + " with " + kernel.capabilities() + "; a scheduler runs its tasks on the " + strand + " strand");
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.out.println("cannot open '" + wanted + "': " + e.getMessage());
            System.exit(2);
        }
    }
}
