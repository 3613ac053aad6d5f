"""ptogen: one DeviceRunner template with arch hooks, emitted per arch, built with SCons, checked on a CPU."""

__version__ = "0.1.0"
