package io.kwait.tests.backends;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.tests.ChanConformance;
import io.kwait.tests.FdConformance;
import io.kwait.tests.KernelContractConformance;
import io.kwait.tests.ManyProcessesConformance;
import io.kwait.tests.OnBackend;
import io.kwait.tests.ProcessConformance;
import io.kwait.tests.ScenarioConformance;
import io.kwait.tests.SignalConformance;
import io.kwait.tests.TaskConformance;
import io.kwait.tests.TimerConformance;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import io.kwait.tests.ChildConformance;
import io.kwait.tests.reliability.FaultConformance;
import io.kwait.tests.reliability.LeakConformance;
import io.kwait.tests.reliability.RaceConformance;
import io.kwait.tests.reliability.StressConformance;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite on the kqueue backend running on the simulated kqueue with FreeBSD 12+'s
 * layout and semantics (module kqueue-sim, on this suite's test class path only). The build runs
 * it twice more: on the other strand like every binding, and with {@code -Dkwait.kqueue.wakeup=pipe}
 * (the wakeup where EVFILT_USER is missing). The simulation is built on Linux's epoll and pidfds,
 * so off Linux this class is skipped.
 */
@OnBackend("kqueue-sim-freebsd")
class KqueueSimFreebsdTest {
    @BeforeAll
    static void onLinux() { assumeLinux(); }

    static void assumeLinux() {
        String os = System.getProperty("os.name", "?");
        assumeTrue(os.toLowerCase(Locale.ROOT).startsWith("linux"), "the kqueue simulation runs on Linux only; this is " + os);
    }

    @Nested class KernelContract extends KernelContractConformance {}
    @Nested class Fds extends FdConformance {}
    @Nested class Processes extends ProcessConformance {}
    @Nested class ManyProcesses extends ManyProcessesConformance {}
    @Nested class Timers extends TimerConformance {}
    @Nested class Signals extends SignalConformance {}
    @Nested class Tasks extends TaskConformance {}
    @Nested class Chans extends ChanConformance {}
    @Nested class Scenarios extends ScenarioConformance {}
    @Nested class Children extends ChildConformance {}
    @Nested class ReliabilityStress extends StressConformance {}
    @Nested class ReliabilityFaults extends FaultConformance {}
    @Nested class ReliabilityLeaks extends LeakConformance {}
    @Nested class ReliabilityRaces extends RaceConformance {}
}
