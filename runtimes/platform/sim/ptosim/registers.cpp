// registers.cpp - the driver calls that expose AICore registers to the host. Each device has one
// register file, laid out by its configuration (ptosim_configure_device): the AIC blocks of every
// physical core, then their AIV blocks, register_block_size bytes each. The halMemCtl window is that whole file; halResMap maps one block of it. Control and PMU
// registers share a block (the PMU offsets lie inside it), so both window kinds are the same memory.
#include <cstring>
#include <vector>

#include "sim_state.h"

namespace ptosim {
namespace {

constexpr uint64_t kFakeC2cCtrlAddr = 0x00000C2C00000000ull;  // never dereferenced by the simulator
constexpr uint32_t kFakeC2cCtrlLen = 0x1000;

}  // namespace
}  // namespace ptosim

using namespace ptosim;

extern "C" drvError_t halGetDeviceInfoByBuff(uint32_t devId, int32_t moduleType, int32_t infoType, void *buf, int32_t *size) {
    return static_cast<drvError_t>(guarded("halGetDeviceInfoByBuff", kDrvInner, [&] {
        if (devId >= static_cast<uint32_t>(kMaxDevices)) return error(kDrvInvalidDevice, "halGetDeviceInfoByBuff: device %u", devId);
        if (moduleType != MODULE_TYPE_AICORE || infoType != INFO_TYPE_OCCUPY)
            return error(DRV_ERROR_NOT_SUPPORT, "halGetDeviceInfoByBuff: only (AICORE, OCCUPY) is simulated, not (%d, %d)", moduleType,
                         infoType);
        int rc = 0;
        const Geometry *g = require_geometry("halGetDeviceInfoByBuff", static_cast<int>(devId), kDrvInvalidDevice, &rc);
        if (g == nullptr) return rc;
        // One bit per physical core, 64 per word; every core is usable.
        const int physical = g->config.physical_aicores;
        const size_t words = static_cast<size_t>(physical + 63) / 64;
        const size_t bytes = words * sizeof(uint64_t);
        if (buf == nullptr || size == nullptr || *size < static_cast<int32_t>(bytes))
            return error(kDrvInvalidValue, "halGetDeviceInfoByBuff: the buffer must hold %zu bytes", bytes);
        std::vector<uint64_t> bits(words, 0);
        for (int core = 0; core < physical; ++core) bits[static_cast<size_t>(core / 64)] |= 1ull << (core % 64);
        std::memset(buf, 0, static_cast<size_t>(*size));
        std::memcpy(buf, bits.data(), bytes);
        *size = static_cast<int32_t>(bytes);
        return 0;
    }));
}

extern "C" drvError_t halMemCtl(int type, void *param_value, size_t param_value_size, void *out_value, size_t *out_size_ret) {
    return static_cast<drvError_t>(guarded("halMemCtl", kDrvInner, [&] {
        if (type != CTRL_TYPE_ADDR_MAP) return error(DRV_ERROR_NOT_SUPPORT, "halMemCtl: only CTRL_TYPE_ADDR_MAP is simulated (type %d)", type);
        if (param_value == nullptr || param_value_size < sizeof(AddrMapInPara) || out_value == nullptr)
            return error(kDrvInvalidValue, "halMemCtl: bad parameter buffers");
        AddrMapInPara in;
        std::memcpy(&in, param_value, sizeof in);
        if (in.addr_type != ADDR_MAP_TYPE_REG_AIC_CTRL && in.addr_type != ADDR_MAP_TYPE_REG_AIC_PMU_CTRL)
            return error(DRV_ERROR_NOT_SUPPORT, "halMemCtl: address map type %u is not simulated", in.addr_type);
        if (in.devid >= static_cast<unsigned>(kMaxDevices)) return error(kDrvInvalidDevice, "halMemCtl: device %u", in.devid);
        int rc = 0;
        const Geometry *g = require_geometry("halMemCtl", static_cast<int>(in.devid), kDrvInvalidDevice, &rc);
        if (g == nullptr) return rc;
        uint8_t *registers = nullptr;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            registers = register_file(static_cast<int>(in.devid));
        }
        if (registers == nullptr) return error(kDrvInner, "halMemCtl: cannot map the register file");
        AddrMapOutPara out;
        out.ptr = reinterpret_cast<unsigned long long>(registers);
        out.len = static_cast<unsigned long long>(g->register_bytes());
        std::memcpy(out_value, &out, sizeof out);
        if (out_size_ret != nullptr) *out_size_ret = sizeof out;
        return 0;
    }));
}

extern "C" drvError_t halResMap(unsigned int devId, struct res_map_info *res_info, unsigned long *va, unsigned int *len) {
    return static_cast<drvError_t>(guarded("halResMap", kDrvInner, [&] {
        if (devId >= static_cast<unsigned>(kMaxDevices)) return error(kDrvInvalidDevice, "halResMap: device %u", devId);
        if (res_info == nullptr || va == nullptr || len == nullptr) return error(kDrvInvalidValue, "halResMap: null argument");
        if (res_info->target_proc_type != PROCESS_CP1 || res_info->flag != 0 || res_info->rsv[0] != 0)
            return error(kDrvInvalidValue, "halResMap: target must be PROCESS_CP1 with flag and rsv zero");
        if (res_info->res_type != RES_AICORE)
            return error(DRV_ERROR_NOT_SUPPORT, "halResMap: resource type %d is not simulated", static_cast<int>(res_info->res_type));
        int rc = 0;
        const Geometry *g = require_geometry("halResMap", static_cast<int>(devId), kDrvInvalidDevice, &rc);
        if (g == nullptr) return rc;
        // res_id = physical core * cores_per_block + lane; the AIC lanes come first, the AIV lanes follow.
        const PtosimDeviceConfig &c = g->config;
        const unsigned int id = res_info->res_id;
        if (id >= static_cast<unsigned>(g->register_blocks()))
            return error(kDrvInvalidValue, "halResMap: res_id %u is outside [0, %d)", id, g->register_blocks());
        const int core = static_cast<int>(id) / g->cores_per_block();
        const int lane = static_cast<int>(id) % g->cores_per_block();
        const int block = lane < c.aic_per_block
                              ? core * c.aic_per_block + lane
                              : c.physical_aicores * c.aic_per_block + core * c.aiv_per_block + (lane - c.aic_per_block);
        uint8_t *registers = nullptr;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            registers = register_file(static_cast<int>(devId));
        }
        if (registers == nullptr) return error(kDrvInner, "halResMap: cannot map the register file");
        *va = reinterpret_cast<unsigned long>(registers + static_cast<size_t>(block) * c.register_block_size);
        *len = c.register_block_size;
        return 0;
    }));
}

extern "C" rtError_t rtGetC2cCtrlAddr(uint64_t *addr, uint32_t *len) {
    return guarded("rtGetC2cCtrlAddr", kRtInternal, [&] {
        if (bound_device() < 0) return error(kRtContextNull, "rtGetC2cCtrlAddr: no device is bound to this thread");
        if (addr == nullptr || len == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "rtGetC2cCtrlAddr: null argument");
        *addr = kFakeC2cCtrlAddr;
        *len = kFakeC2cCtrlLen;
        return 0;
    });
}
