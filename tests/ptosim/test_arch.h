// test_arch.h - the arch constants a ptosim check runs with. ptosim itself is arch-independent: the
// checks configure each device from these (ptosim_configure_device), and use them to predict what the
// device shows. Each arch's values come from its generated platform_config.h through arch_config.cpp,
// compiled once per arch into the one check driver (so one process can hold every arch).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ptosim/ptosim_config.h"

struct TestArch {
    std::string name;
    int max_block_dim = 0;
    int aic_per_block = 0;
    int aiv_per_block = 0;
    int cores_per_block = 0;
    int physical_aicores = 0;
    uint32_t reg_block_size = 0;
    uint32_t reg_data_main_base = 0;  // REG_SPR_DATA_MAIN_BASE
    uint32_t reg_cond = 0;            // REG_SPR_COND
    uint64_t op_execute_timeout_us = 0;

    PtosimDeviceConfig device_config() const {
        PtosimDeviceConfig c{};
        std::strncpy(c.arch, name.c_str(), sizeof c.arch - 1);
        c.max_block_dim = max_block_dim;
        c.aic_per_block = aic_per_block;
        c.aiv_per_block = aiv_per_block;
        c.physical_aicores = physical_aicores;
        c.register_block_size = reg_block_size;
        return c;
    }
};

// Every arch linked into the driver (arch_config.cpp registers one each).
inline std::vector<TestArch> &test_arches() {
    static std::vector<TestArch> all;
    return all;
}

struct TestArchRegistrar {
    explicit TestArchRegistrar(const TestArch &arch) { test_arches().push_back(arch); }
};
