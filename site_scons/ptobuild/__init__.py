"""Helpers of the SCons build (imported by the SConstruct and the folders' SConscripts, never the reverse).

Where things land is ptogen/layout.py; these modules turn the command line into a request (options),
make the compiler environments (envs), capture compiler output (compiler_output), describe one runtime
variant to the SConscripts that build it (variant) and write build/manifest.json (manifest).
"""
