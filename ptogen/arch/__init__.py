"""The arch model (what differs between chip generations) and the loader of hook folders."""

from ptogen.arch.loader import ArchError, Problem, discover, load_all, load_arch
from ptogen.arch.model import Arch

__all__ = ["Arch", "ArchError", "Problem", "discover", "load_all", "load_arch"]
