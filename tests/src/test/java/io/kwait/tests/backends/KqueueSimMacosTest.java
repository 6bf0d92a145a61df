package io.kwait.tests.backends;

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
 * The conformance suite on the kqueue backend running on the simulated kqueue with macOS's layout
 * and semantics (module kqueue-sim, on this suite's test class path only). The simulation is built
 * on Linux's epoll and pidfds, so off Linux this class is skipped.
 */
@OnBackend("kqueue-sim-macos")
class KqueueSimMacosTest {
    @BeforeAll
    static void onLinux() { KqueueSimFreebsdTest.assumeLinux(); }

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
