"""How well each way of waiting follows a job: requests made, and lag.

Simulated jobs of 3 s, 30 s, 5 min and 30 min (steady, or stalling and then
finishing fast) and one that never ends are followed on a fake clock by this
SDK's engine and by the official SDKs' policies (WIRE.md), over many seeds.
The lag runs from the job's real end to the wait returning; for the job that
never ends, from the wait's deadline to the wait giving up.

Targets (issue 3): for jobs of 5 min or more, at most a quarter of the fixed
2 s policy's requests; a lag no worse than fixed 2 s for the 3 s and 30 s
jobs, and within 5% of the duration for the longer ones.
"""

from __future__ import annotations

import math
import random
import statistics

import attrs

from benchmarks._jobsim import (
    LATENCY,
    Outcome,
    SimJob,
    Waiter,
    fixed_two,
    go_backoff,
    ours,
)

__all__ = ["run"]

SEEDS = range(200)
#: Pages of a job of each nominal duration (s): a page every 1 to 9 seconds.
PAGES = {3.0: 3, 30.0: 15, 300.0: 60, 1800.0: 200}
#: The job that never ends: its own pace, and the limit it is waited for with.
NEVER_PACE = 300.0
NEVER_TIMEOUT = 600.0
#: Each run's job lasts its nominal duration times a factor in this range, so
#: that no policy is lucky enough to poll at exactly the right moment.
SPREAD = (0.9, 1.1)
#: Jobs at least this long must cost at most a quarter of fixed 2 s's requests.
LONG = 300.0


@attrs.frozen
class Scenario:
    """One kind of job to wait for.

    Attributes:
        label: The row's name.
        duration: The job's nominal duration, in seconds.
        shape: A key of `benchmarks._jobsim.SHAPES`.
        timeout: The wait's limit, in seconds.
    """

    label: str
    duration: float
    shape: str
    timeout: float = math.inf

    @property
    def ends(self) -> bool:
        """Whether the job ever ends."""
        return math.isinf(self.timeout)

    def job(self, seed: int) -> SimJob:
        """The job of one seed, its length spread around the nominal one."""
        factor = random.Random(seed * 7919).uniform(*SPREAD)

        return SimJob(self.duration * factor, PAGES.get(self.duration, 60), self.shape)

    def lag(self, job: SimJob, outcome: Outcome) -> float:
        """Seconds from the job's end (or the deadline) to the wait's end."""
        return outcome.ended - (job.duration if self.ends else self.timeout)


@attrs.frozen
class Tally:
    """One waiter over every seed of a scenario.

    Attributes:
        requests: Mean status requests.
        lag: Mean lag, in seconds.
        worst_lag: The longest lag, in seconds.
    """

    requests: float
    lag: float
    worst_lag: float


def scenarios() -> list[Scenario]:
    """Every job the table covers."""
    ending = [
        Scenario(f"{_span(duration)} {shape}", duration, shape)
        for duration in PAGES
        for shape in ("steady", "stall")
    ]
    never = Scenario("never ends", NEVER_PACE, "never", NEVER_TIMEOUT)

    return [*ending, never]


def tally(scenario: Scenario, waiter: Waiter) -> Tally:
    """Run one waiter on every seed of one scenario."""
    requests, lags = [], []
    for seed in SEEDS:
        job = scenario.job(seed)
        outcome = waiter(job, seed, scenario.timeout)
        requests.append(outcome.requests)
        lags.append(scenario.lag(job, outcome))

    return Tally(statistics.fmean(requests), statistics.fmean(lags), max(lags))


def meets_targets(scenario: Scenario, mine: Tally, fixed: Tally) -> bool:
    """Whether our row meets the issue's targets."""
    long = scenario.duration >= LONG or not scenario.ends
    if long and mine.requests > fixed.requests / 4:
        return False
    if scenario.ends and scenario.duration >= LONG:
        return mine.lag <= 0.05 * scenario.duration

    return mine.lag <= fixed.lag


def row(scenario: Scenario) -> str:
    """One line of the table."""
    mine, fixed, go = (tally(scenario, w) for w in (ours, fixed_two, go_backoff))
    cells = [
        scenario.label,
        f"{fixed.requests:.0f}, {fixed.lag:.2f} s",
        _ratio(mine.requests, fixed.requests),
        _ratio(mine.lag, fixed.lag),
        _ratio(go.requests, fixed.requests),
        _ratio(go.lag, fixed.lag),
        _share(scenario, mine),
        "yes" if meets_targets(scenario, mine, fixed) else "**no**",
    ]

    return "| " + " | ".join(cells) + " |"


def run() -> str:
    """The polling table, as markdown."""
    header = (
        "| job | fixed 2 s: requests, mean lag "
        "| ours: requests ÷ fixed | ours: lag ÷ fixed "
        "| Go: requests ÷ fixed | Go: lag ÷ fixed "
        "| ours: lag ÷ job, mean (worst) | targets met |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    low, high = LATENCY
    note = (
        f"Means over {len(SEEDS)} seeds, on a fake clock. Each job lasts its "
        f"nominal time times {SPREAD[0]} to {SPREAD[1]}; each request takes "
        f"{low * 1000:.0f} to {high * 1000:.0f} ms. The stalling job reaches "
        "40% in 30% of its time, stays there until 85%, then finishes at four "
        "times its average pace. The job that never ends reaches 90% in "
        f"{NEVER_PACE:.0f} s, stays there, and is waited "
        f"for with a {NEVER_TIMEOUT:.0f} s timeout; its lag counts from that "
        "deadline. Reproduce with `make bench` (`python -m benchmarks "
        "polling`)."
    )
    lines = [row(s) for s in scenarios()]

    return "\n".join(["## Polling", "", header, *lines, "", note, ""])


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"


def _ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}" if theirs > 0 else "-"


def _share(scenario: Scenario, tally: Tally) -> str:
    if not scenario.ends:
        return "-"

    mean, worst = tally.lag / scenario.duration, tally.worst_lag / scenario.duration

    return f"{mean:.1%} ({worst:.1%})"
