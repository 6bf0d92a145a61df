package io.kwait.bench.jmh;

import io.kwait.Kernel;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state of a kwait figure of scenarios 1 and 2: one kernel on the {@code backend} param for the
 * trial, its schedulers on the {@code strand} param. A benchmark that needs more extends it.
 */
@State(Scope.Benchmark)
public class KernelState {
    @Param({"select"})
    public String backend;
    /** The scheduler strand, through -Dkwait.scheduler (read when a scheduler starts). */
    @Param({"virtual"})
    public String strand;
    Kernel kernel;

    @Setup(Level.Trial)
    public void open() {
        System.setProperty("kwait.scheduler", strand);
        kernel = Kernel.open(backend);
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }
}
