package io.kwait.examples;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A {@link CompletableFuture} bridge, the way to offload blocking or CPU-heavy work (README,
 * "The cooperative contract"): the work runs on a thread pool through
 * {@code CompletableFuture.supplyAsync(work, pool)}; the task waits on {@link Event#done} of the
 * future (with a timeout), and meanwhile another task keeps ticking. The future's completion
 * happens-before the wait's return, so its value needs no locking. A failed future fires with
 * {@link Fired#error()}.
 *
 * <pre>
 * mvn -q -Pexample -Dexample=FutureBridge -pl examples -am verify -DskipTests
 * </pre>
 */
public final class FutureBridge {
    private FutureBridge() {}

    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Kernel kernel = Kernel.open()) {
            Scheduler.run(kernel, () -> {
                Task<Integer> ticker = Task.spawn("ticker", () -> {
                    int ticks = 0;
                    while (true) {
                        Task.sleep(Duration.ofMillis(20)); // runs on while the work blocks a pool thread
                        ticks++;
                        if (ticks % 5 == 0) System.out.println("ticker: " + ticks + " ticks");
                    }
                });
                CompletableFuture<Long> work = CompletableFuture.supplyAsync(FutureBridge::blockingWork, pool);
                CompletableFuture<Long> broken = CompletableFuture.supplyAsync(() -> { throw new IllegalStateException("no disk"); }, pool);
                for (CompletableFuture<Long> f : List.of(work, broken)) {
                    Event done = Event.done(f);
                    List<Fired> fired = kernel.wait(List.of(done, Event.after(Duration.ofSeconds(10))), null);
                    Fired r = fired.get(0);
                    if (r.event() != done) System.out.println("timed out");
                    else if (r.isError()) System.out.println("the work failed: " + r.error());
                    else System.out.println("the work returned " + r.result());
                }
                ticker.cancel();
                return null;
            });
        } finally {
            pool.shutdown();
        }
    }

    /** Stands in for a blocking call (JDBC, a file, DNS): it would freeze every task if run in one. */
    private static long blockingWork() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 42;
    }
}
