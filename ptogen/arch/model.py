"""The typed model of one arch: everything that differs between chip generations, and nothing else.

An arch is parsed once from its hook folder (`templates/arches/<name>/`) into these frozen dataclasses.
Each section validates itself in `__post_init__`, so an `Arch` that exists is an `Arch` that is right;
the templates only format what the model decided. Field docs (the `doc` metadata) are the schema's
documentation: `ptogen new-arch` writes them as comments, `ptogen list` shows the key ones.

Every arch decision takes exactly one of these forms:

- a constant (`cores`, `aicpu`, `registers`, `timing`, `kernel_args.extra_fields`): emitted into
  platform_config.h / kernel_args.h and read by the shared C++;
- a feature flag (`features`) or a choice the C++ can branch on (`kernel_args.device_copy`): emitted as a
  `constexpr` and read with `if constexpr`, so every arch compiles every branch;
- a named strategy (`strategies`): a behaviour two arches may share, written once as
  `templates/strategies/<decision>/<choice>.cpp.j2` and included where the base template uses it;
- a hook block in the arch's folder, only for code no strategy covers.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from typing import Literal


# A constant's documentation travels with its field so the loader and the scaffolder share one schema.
def doc(text: str, **kwargs):
    return field(metadata={"doc": text}, **kwargs)


class ModelError(ValueError):
    """A value that parsed with the right type but breaks a rule of the model.

    `key` is the dotted path of the offending constant, so the loader can point at its line.
    """

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ModelError(key, message)


def _positive(section: str, **values: int) -> None:
    for name, value in values.items():
        _require(value > 0, f"{section}.{name}", f"must be > 0, got {value}")


_C_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Cores:
    max_block_dim: int = doc("PLATFORM_MAX_BLOCKDIM: blocks one AICore launch may span")
    aic_per_block: int = doc("cube cores (AIC) per block")
    aiv_per_block: int = doc("vector cores (AIV) per block")
    physical_aicores: int = doc("physical AICore clusters on the die(s), for register discovery")

    def __post_init__(self) -> None:
        _positive(
            "cores",
            max_block_dim=self.max_block_dim,
            aic_per_block=self.aic_per_block,
            aiv_per_block=self.aiv_per_block,
            physical_aicores=self.physical_aicores,
        )
        _require(
            self.physical_aicores >= self.max_block_dim,
            "cores.physical_aicores",
            f"must be >= cores.max_block_dim ({self.max_block_dim}), got {self.physical_aicores}",
        )

    @property
    def cores_per_block(self) -> int:
        return self.aic_per_block + self.aiv_per_block

    @property
    def max_cores(self) -> int:
        return self.max_block_dim * self.cores_per_block


@dataclass(frozen=True)
class Aicpu:
    scheduler_threads: int = doc("PLATFORM_MAX_AICPU_THREADS: AICPU threads that may run the scheduler")
    launch_threads: int = doc(
        "PLATFORM_MAX_AICPU_THREADS_JUST_FOR_LAUNCH: threads launched; extras above the requested"
        " count leave through the affinity gate"
    )

    def __post_init__(self) -> None:
        _positive("aicpu", scheduler_threads=self.scheduler_threads, launch_threads=self.launch_threads)
        _require(
            self.launch_threads >= self.scheduler_threads,
            "aicpu.launch_threads",
            f"must be >= aicpu.scheduler_threads ({self.scheduler_threads}), got {self.launch_threads}",
        )


@dataclass(frozen=True)
class Registers:
    data_main_base: int = doc("offset of DATA_MAIN_BASE (AICPU -> AICore task word) in a core's register block")
    cond: int = doc("offset of COND (AICore -> AICPU ACK/FIN word) in a core's register block")
    pmu_ctrl: int = doc("offset of the PMU control register")
    pmu_counter_base: int = doc("offset of PMU event counter 0; counter i is at base + i * pmu_counter_stride")
    pmu_counter_stride: int = doc("bytes between consecutive PMU counters")
    pmu_counter_count: int = doc("PMU event counters per core")
    block_size: int = doc("bytes of one core's register block (the simulator allocates one per core)")

    def __post_init__(self) -> None:
        _positive(
            "registers",
            pmu_counter_stride=self.pmu_counter_stride,
            pmu_counter_count=self.pmu_counter_count,
            block_size=self.block_size,
        )
        offsets = {
            "data_main_base": self.data_main_base,
            "cond": self.cond,
            "pmu_ctrl": self.pmu_ctrl,
            "pmu_counter_base": self.pmu_counter_base,
        }
        for name, offset in offsets.items():
            _require(offset % 4 == 0, f"registers.{name}", f"must be 4-byte aligned, got {offset:#x}")
            _require(
                0 <= offset and offset + 4 <= self.block_size,
                f"registers.{name}",
                f"{offset:#x} lies outside the register block of {self.block_size:#x} bytes",
            )
        last_counter = self.pmu_counter_base + (self.pmu_counter_count - 1) * self.pmu_counter_stride
        _require(
            last_counter + 8 <= self.block_size,
            "registers.pmu_counter_count",
            f"counter {self.pmu_counter_count - 1} at {last_counter:#x} lies outside the register block",
        )
        _require(self.data_main_base != self.cond, "registers.cond", "must differ from registers.data_main_base")


@dataclass(frozen=True)
class Timing:
    sys_counter_hz: int = doc("PLATFORM_PROF_SYS_CNT_FREQ: system counter frequency the cores timestamp with")
    op_execute_timeout_us: int = doc("AICore op execute timeout set at first attach (aclrtSetOpExecuteTimeOutV2)")
    stream_sync_timeout_ms: int = doc("per-run aclrtSynchronizeStreamWithTimeout bound, per stream")

    def __post_init__(self) -> None:
        _positive(
            "timing",
            sys_counter_hz=self.sys_counter_hz,
            op_execute_timeout_us=self.op_execute_timeout_us,
            stream_sync_timeout_ms=self.stream_sync_timeout_ms,
        )


@dataclass(frozen=True)
class Features:
    """Feature flags: each becomes a `constexpr bool PLATFORM_HAS_<NAME>` read with `if constexpr`."""

    dep_gen: bool = doc("the dep_gen collector exists (records every submit to replay the task graph)")
    ffts: bool = doc("the FFTS control address is fetched per run (rtGetC2cCtrlAddr) into KernelArgs")
    acl_session: bool = doc(
        "ensure_acl_ready opens an ACL session (aclInit + aclrtSetDevice), and the device reset closes it;"
        " otherwise ensure_acl_ready is a no-op"
    )


RegisterDiscovery = Literal["register_window", "per_core_map"]
CollectorMemory = Literal["host_mapped", "copy_back"]
CollectorLifetime = Literal["per_run", "across_runs"]


@dataclass(frozen=True)
class Strategies:
    """Named behaviours two arches may share; each choice is templates/strategies/<field>/<choice>.cpp.j2."""

    register_discovery: RegisterDiscovery = doc(
        "how the host finds each core's register block: 'register_window' maps one window per register kind"
        " (halMemCtl) and places the usable cores (occupancy bitmap) in it; 'per_core_map' maps each core's"
        " block on its own (halResMap), for register blocks that are sparse sets of pages"
    )
    collector_memory: CollectorMemory = doc(
        "how the host reaches a collector region: 'host_mapped' maps it into the host (halHostRegister) and"
        " drains it in place; 'copy_back' keeps a plain device region and copies just the drained ranges"
        " (rtMemcpy)"
    )
    collector_lifetime: CollectorLifetime = doc(
        "what happens to collector regions after a run: 'per_run' releases them all, so the next run acquires"
        " fresh ones; 'across_runs' keeps them for the next run that enables them and releases them at finalize"
    )


KernelArgsRole = Literal[
    "ffts_base",
    "pmu_register_table",
    "dep_gen_base",
    "aicore_swimlane_table",
    "aicore_pmu_table",
]
# Which feature flag, if any, a KernelArgs role requires; the template fills a field by its role.
ROLE_FEATURE: dict[str, str | None] = {
    "ffts_base": "ffts",
    "pmu_register_table": None,
    "dep_gen_base": "dep_gen",
    "aicore_swimlane_table": None,
    "aicore_pmu_table": None,
}
# Names the template already gives to common KernelArgs fields; an extra field may not reuse them.
COMMON_KERNEL_ARGS_FIELDS = frozenset(
    {
        "unused",
        "device_args",
        "runtime_args",
        "regs",
        "dump_data_base",
        "l2_perf_data_base",
        "pmu_data_base",
        "scope_stats_data_base",
        "log_level",
        "log_info_v",
        "enable_profiling_flag",
        "device_wall_data_base",
        "device_id",
    }
)


@dataclass(frozen=True)
class KernelArgsField:
    name: str = doc("C++ member name")
    role: KernelArgsRole = doc("what the DeviceRunner stores in it")
    comment: str = doc("one line for the generated header")

    def __post_init__(self) -> None:
        _require(bool(_C_IDENT.match(self.name)), "name", f"{self.name!r} is not a C identifier")
        _require(
            self.name not in COMMON_KERNEL_ARGS_FIELDS,
            "name",
            f"{self.name!r} is already a common KernelArgs field",
        )


KernelArgsDeviceCopy = Literal["before_aicpu_launch", "before_aicore_launch"]


@dataclass(frozen=True)
class KernelArgsSpec:
    device_copy: KernelArgsDeviceCopy = doc(
        "when the per-run device copy of KernelArgs is made: before the AICPU launches, or after them"
        " and just before the AICore launch (a constexpr enum the run reads with if constexpr)"
    )
    extra_fields: tuple[KernelArgsField, ...] = doc(
        "uint64_t KernelArgs members only this arch has, placed after `regs`"
    )

    def __post_init__(self) -> None:
        seen_names: set[str] = set()
        seen_roles: set[str] = set()
        for index, extra in enumerate(self.extra_fields):
            key = f"kernel_args.extra_fields[{index}]"
            _require(extra.name not in seen_names, f"{key}.name", f"duplicate field {extra.name!r}")
            _require(extra.role not in seen_roles, f"{key}.role", f"duplicate role {extra.role!r}")
            seen_names.add(extra.name)
            seen_roles.add(extra.role)

    @property
    def device_copy_points(self) -> tuple[str, ...]:
        """Every value device_copy may take, in order: the generated enum declares them all."""
        return typing.get_args(KernelArgsDeviceCopy)

    def field_for(self, role: str) -> KernelArgsField | None:
        return next((f for f in self.extra_fields if f.role == role), None)

    def has_role(self, role: str) -> bool:
        return self.field_for(role) is not None


@dataclass(frozen=True)
class Toolchain:
    aicore_arch: str = doc("ccec --cce-aicore-arch prefix; -cube / -vec is appended per core type")

    def __post_init__(self) -> None:
        _require(
            bool(re.match(r"^dav-[a-z0-9]+$", self.aicore_arch)),
            "toolchain.aicore_arch",
            f"expected a name like 'dav-c220', got {self.aicore_arch!r}",
        )


@dataclass(frozen=True)
class Arch:
    """One arch, as the templates see it."""

    name: str
    description: str = doc("one line naming the chip generation")
    cores: Cores = doc("block geometry")
    aicpu: Aicpu = doc("AICPU thread counts")
    registers: Registers = doc("per-core register block layout")
    timing: Timing = doc("clocks and timeouts")
    features: Features = doc("optional hardware blocks and sessions (constexpr flags)")
    strategies: Strategies = doc("named behaviours shared between arches, one choice per decision")
    kernel_args: KernelArgsSpec = doc("the arch's KernelArgs extras")
    toolchain: Toolchain = doc("AICore compiler target")
    hooks: tuple[HookFile, ...] = ()

    def __post_init__(self) -> None:
        for index, extra in enumerate(self.kernel_args.extra_fields):
            feature = ROLE_FEATURE[extra.role]
            if feature is not None:
                _require(
                    getattr(self.features, feature),
                    f"kernel_args.extra_fields[{index}].role",
                    f"role {extra.role!r} needs features.{feature} = true",
                )
        for feature, role in (("ffts", "ffts_base"), ("dep_gen", "dep_gen_base")):
            if getattr(self.features, feature):
                _require(
                    self.kernel_args.has_role(role),
                    f"features.{feature}",
                    f"is true but no kernel_args.extra_fields entry has role {role!r}",
                )

    @property
    def profiling_flag_bits(self) -> dict[str, int | None]:
        """enable_profiling_flag bit per collector, in bit order; None for dep_gen where the collector does not
        exist (its constant is then 0, so shared code that sets it compiles and sets nothing)."""
        bits: dict[str, int | None] = {"dump_tensor": 0, "l2_swimlane": 1, "pmu": 2, "dep_gen": 3, "scope_stats": 4}
        if not self.features.dep_gen:
            bits["dep_gen"] = None
        return bits

    @property
    def strategy_choices(self) -> dict[str, str]:
        """Strategy decision -> the choice this arch made, in declaration order."""
        return {f.name: getattr(self.strategies, f.name) for f in dataclasses.fields(self.strategies)}

    def hook_overrides(self, template: str) -> HookFile | None:
        return next((h for h in self.hooks if h.template == template), None)


@dataclass(frozen=True)
class HookFile:
    """An arch's override file for one base template: which hook blocks it replaces."""

    template: str  # base template name, e.g. "device_runner/finalize.cpp.j2"
    path: str  # the override file, relative to the templates directory (a Jinja template name)
    blocks: tuple[str, ...]
