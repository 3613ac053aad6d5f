"""A compiler's output cut into diagnostics: each with its context and notes, the same one kept once."""

from __future__ import annotations

from ptogen import diagnostics

OUTPUT = """\
In file included from generated/a2a3/device_runner_run.cpp:3:
templates/device_runner/launch.cpp.j2:41:5: error: 'foo' was not declared in this scope
   41 |     foo();
      |     ^~~
generated/a2a3/device_runner_run.cpp: In member function 'int DeviceRunner::run()':
templates/device_runner/run.cpp.j2:12:9: warning: unused variable 'x' [-Wunused-variable]
   12 |     int x;
      |         ^
templates/device_runner/run.cpp.j2:10:3: note: in expansion of macro 'CHECK'
cc1plus: all warnings being treated as errors
"""


def test_each_diagnostic_keeps_its_context_notes_and_template_location():
    blocks = diagnostics.split(OUTPUT)
    assert blocks == [
        "In file included from generated/a2a3/device_runner_run.cpp:3:\n"
        "templates/device_runner/launch.cpp.j2:41:5: error: 'foo' was not declared in this scope\n"
        "   41 |     foo();\n      |     ^~~",
        "generated/a2a3/device_runner_run.cpp: In member function 'int DeviceRunner::run()':\n"
        "templates/device_runner/run.cpp.j2:12:9: warning: unused variable 'x' [-Wunused-variable]\n"
        "   12 |     int x;\n      |         ^\n"
        "templates/device_runner/run.cpp.j2:10:3: note: in expansion of macro 'CHECK'",
        "cc1plus: all warnings being treated as errors",
    ]


def test_the_same_output_twice_is_each_diagnostic_once_in_first_seen_order():
    twice = diagnostics.split(OUTPUT) + diagnostics.split(OUTPUT.replace("'foo'", "'bar'"))
    kept = diagnostics.distinct(twice)
    assert len(kept) == 4
    assert kept[0].count("'foo'") == 1 and "'bar'" in kept[3]


def test_linker_errors_keep_the_function_they_are_in():
    output = (
        "/usr/bin/ld: build/x.os: in function `f':\n"
        "x.cpp:(.text+0x5): undefined reference to `g'\n"
        "collect2: error: ld returned 1 exit status\n"
    )
    assert diagnostics.split(output) == [
        "/usr/bin/ld: build/x.os: in function `f':\nx.cpp:(.text+0x5): undefined reference to `g'",
        "collect2: error: ld returned 1 exit status",
    ]
