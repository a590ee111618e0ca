"""Baseline-first model ladder: climb from the simplest model up and recommend the simplest good one."""

from candor._callable import make_callable
from candor.ladder._climb import LadderResult, RungResult, ladder
from candor.ladder._rungs import RUNGS, Context, Rung, rung

__all__ = ["RUNGS", "Context", "LadderResult", "Rung", "RungResult", "ladder", "rung"]


make_callable(__name__, ladder)
