package io.kwait.tests.backends;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Kernel;
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
import org.junit.jupiter.api.BeforeAll;
import io.kwait.tests.ChildConformance;
import io.kwait.tests.reliability.FaultConformance;
import io.kwait.tests.reliability.LeakConformance;
import io.kwait.tests.reliability.RaceConformance;
import io.kwait.tests.reliability.StressConformance;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite on the real kqueue backend. Runs where the backend is available (macOS,
 * FreeBSD, OpenBSD, with the JVM flags of the build) and is skipped elsewhere, with the backend's
 * reason: on Linux kqueue is verified only through the simulation ({@link KqueueSimMacosTest},
 * {@link KqueueSimFreebsdTest}). On a Mac or a BSD box:
 * {@code mvn -B -ntp verify -Dtest=KqueueTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@OnBackend("kqueue")
class KqueueTest {
    @BeforeAll
    static void whereKqueueRuns() {
        Kernel.BackendInfo info = Kernel.backends().stream().filter(b -> b.name().equals("kqueue")).findFirst().orElse(null);
        assumeTrue(info != null, "no kqueue backend installed: " + Kernel.backends());
        assumeTrue(info.available(), "the kqueue backend is not available here: " + info.reason());
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
