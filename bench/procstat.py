"""Reading a process's CPU time and memory from /proc (Linux only)."""
from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds the process has used so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of stat); utime and stime are fields 14 and 15.
    return int(fields[11]) / _TICKS, int(fields[12]) / _TICKS


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    return sum(cpu_split(pid))


def rss_mib(pid: int) -> float:
    """Resident memory of the process in MiB."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return round(pages * _PAGE / 1024 / 1024, 1)


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    kids: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text().split()
            kids.extend(int(k) for k in text)
    except OSError:
        pass
    return kids


def pin(pid: int, cpu: int) -> bool:
    """Run process ``pid`` on core ``cpu`` only (0: this process); False with one core or none allowed."""
    if (os.cpu_count() or 1) < 2:
        return False
    try:
        os.sched_setaffinity(pid, {cpu})
        return True
    except (AttributeError, OSError):
        return False


class CpuMeter:
    """CPU seconds used by a process between :meth:`start` and :meth:`stop`."""

    def __init__(self, pid: int):
        self.pid = pid
        self.begin = (0.0, 0.0)
        self.used = self.user = self.system = 0.0

    def start(self) -> "CpuMeter":
        self.begin = cpu_split(self.pid)
        return self

    def stop(self) -> float:
        user, system = cpu_split(self.pid)
        self.user, self.system = user - self.begin[0], system - self.begin[1]
        self.used = self.user + self.system
        return self.used
