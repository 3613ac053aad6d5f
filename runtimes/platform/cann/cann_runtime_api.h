/*
 * cann_runtime_api.h - the subset of the Huawei CANN host API (runtime, ACL,
 * HAL driver, slog) that ptogen-generated DeviceRunner code calls.
 *
 * Two modes:
 *   - PTOGEN_USE_CANN_HEADERS defined (the build defines it when
 *     ASCEND_HOME_PATH is set): CANN's own headers are included and this file
 *     declares nothing of its own.
 *   - otherwise: a self-contained declaration of the same names, types, enum
 *     values and signatures, so generated code compiles without CANN
 *     installed. Linking/running still needs CANN's libraries.
 *
 * Names, numeric values and struct layouts follow CANN's public headers
 * (runtime/base.h, mem.h, stream.h, dev.h, kernel.h, rts/rts_kernel.h,
 * acl/acl_base.h, acl/acl_rt.h, acl/error_codes/rt_error_codes.h,
 * driver/ascend_hal.h + ascend_hal_define.h, toolchain/slog.h). Where a
 * detail could not be confirmed it is marked "unverified:".
 *
 * Deliberate differences from CANN's headers:
 *   - integral constants that CANN spells as `static const int` are macros
 *     here (same names, same values) so the header is warning-free as C;
 *   - CANN's char_t / UINT32 / UINT64 typedefs are written as their
 *     underlying types (char / unsigned int / unsigned long long);
 *   - enums list only the enumerators we use (values are CANN's).
 */
/* `#pragma once` is skipped only when this file is itself the main file
 * (e.g. `g++ -fsyntax-only -x c++ cann_runtime_api.h`), where GCC would warn
 * "#pragma once in main file"; the include guard below covers that case. */
#if !defined(__INCLUDE_LEVEL__) || __INCLUDE_LEVEL__ > 0
#pragma once
#endif
#ifndef PTOGEN_CANN_RUNTIME_API_H
#define PTOGEN_CANN_RUNTIME_API_H

#if defined(PTOGEN_USE_CANN_HEADERS)

/* ---- Real CANN headers ---------------------------------------------------- */
#include <runtime/rt.h>
#if defined(__has_include)
#if __has_include(<runtime/rts/rts_kernel.h>)
#include <runtime/rts/rts_kernel.h> /* rtsBinaryLoadFromFile, rtsLaunchCpuKernel */
#endif
#endif
#include <acl/acl.h>
#include "ascend_hal.h"
#if defined(__has_include)
#if __has_include(<toolchain/slog.h>)
#include <toolchain/slog.h> /* dlog_setlevel (CANN <= 8.x layout) */
#define PTOGEN_CANN_HAVE_DLOG_DECL 1
#elif __has_include(<base/dlog_pub.h>)
#include <base/dlog_pub.h> /* dlog_setlevel (newer layout) */
#define PTOGEN_CANN_HAVE_DLOG_DECL 1
#elif __has_include(<dlog_pub.h>)
#include <dlog_pub.h>
#define PTOGEN_CANN_HAVE_DLOG_DECL 1
#endif
#endif
#if !defined(PTOGEN_CANN_HAVE_DLOG_DECL)
/* No slog header on the include path: dlog_setlevel lives in libascendalog /
 * libunified_dlog; re-declaring it with CANN's exact signature is harmless. */
#ifdef __cplusplus
extern "C" {
#endif
int dlog_setlevel(int moduleId, int level, int enableEvent);
#ifdef __cplusplus
}
#endif
#endif

#else /* !PTOGEN_USE_CANN_HEADERS */

/* ---- Stand-alone declarations --------------------------------------------- */
#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================= Types ============================================ */

/* --- runtime/base.h ------------------------------------------------------- */
typedef int32_t rtError_t;
#define RT_ERROR_NONE 0 /* CANN: static const int32_t RT_ERROR_NONE = 0 */
typedef void *rtStream_t;
typedef void *rtBinHandle;
typedef void *rtFuncHandle;

/* schemMode values for rtTaskCfgInfo_t (runtime/base.h) */
typedef enum schemModeType {
    RT_SCHEM_MODE_NORMAL = 0,
    RT_SCHEM_MODE_BATCH = 1,
    RT_SCHEM_MODE_SYNC = 2
} rtschemModeType_t;

/* rtTaskCfgInfo_t (runtime/base.h). CANN <= 7.x had only
 * {qos, partId, schemMode, res[1]}; CANN 8.x extended it to this 16-byte
 * layout (newest releases rename blockDimOffset to numBlocksOffset, same
 * offset). The larger layout is declared because newer runtimes read all of
 * it and older ones read only the first 4 bytes. */
typedef struct tagRtTaskCfgInfo {
    uint8_t qos;
    uint8_t partId;
    uint8_t schemMode;        /* rtschemModeType_t */
    bool d2dCrossFlag;
    uint32_t blockDimOffset;
    uint8_t dumpflag;
    uint8_t neverTimeout;
    uint8_t rev[2];
    uint32_t localMemorySize;
} rtTaskCfgInfo_t;

/* --- runtime/mem.h -------------------------------------------------------- */
typedef uint32_t rtMemType_t; /* memory type | memory policy bits */
#define RT_MEMORY_DEFAULT (0x0U)
#define RT_MEMORY_HBM (0x2U)

typedef enum tagRtMemcpyKind {
    RT_MEMCPY_HOST_TO_HOST = 0,
    RT_MEMCPY_HOST_TO_DEVICE = 1,
    RT_MEMCPY_DEVICE_TO_HOST = 2,
    RT_MEMCPY_DEVICE_TO_DEVICE = 3
} rtMemcpyKind_t;

/* --- runtime/kernel.h ----------------------------------------------------- */
typedef struct tagRtDevBinary {
    uint32_t magic;
    uint32_t version;
    const void *data;
    uint64_t length;
} rtDevBinary_t;

#define RT_DEV_BINARY_MAGIC_ELF 0x43554245U
#define RT_DEV_BINARY_MAGIC_ELF_AICPU 0x41415243U
#define RT_DEV_BINARY_MAGIC_ELF_AIVEC 0x41415246U
#define RT_DEV_BINARY_MAGIC_ELF_AICUBE 0x41494343U

typedef struct rtHostInputInfo {
    uint32_t addrOffset;
    uint32_t dataOffset;
} rtHostInputInfo_t;

/* args descriptor for rtKernelLaunchWithHandleV2 */
typedef struct tagRtArgsEx {
    void *args;
    rtHostInputInfo_t *hostInputInfoPtr;
    uint32_t argsSize;
    uint32_t tilingAddrOffset;
    uint32_t tilingDataOffset;
    uint16_t hostInputInfoNum;
    uint8_t hasTiling;
    uint8_t isNoNeedH2DCopy;
    uint8_t reserved[4];
} rtArgsEx_t;

/* args descriptor for AICPU launches (CANN 8.x layout: 32-bit name offsets
 * plus a timeout field; CANN <= 7.x used 16-bit offsets and reserved[3]) */
typedef struct tagRtAicpuArgsEx {
    void *args;
    rtHostInputInfo_t *hostInputInfoPtr;
    rtHostInputInfo_t *kernelOffsetInfoPtr;
    uint32_t argsSize;
    uint16_t hostInputInfoNum;
    uint16_t kernelOffsetInfoNum;
    uint32_t soNameAddrOffset;
    uint32_t kernelNameAddrOffset;
    bool isNoNeedH2DCopy;
    uint16_t timeout;
    uint8_t reserved;
} rtAicpuArgsEx_t;

/* L2 shared-memory descriptor; generated code only ever passes NULL */
typedef struct tagRtSmData {
    uint64_t L2_mirror_addr;
    uint32_t L2_data_section_size;
    uint8_t L2_preload;
    uint8_t modified;
    uint8_t priority;
    int8_t prev_L2_page_offset_base;
    uint8_t L2_page_offset_base;
    uint8_t L2_load_to_ddr;
    uint8_t reserved[2];
} rtSmData_t;

typedef struct tagRtSmCtrl {
    rtSmData_t data[8];
    uint64_t size;
    uint8_t remap[64];
    uint8_t l2_in_main;
    uint8_t reserved[3];
} rtSmDesc_t;

typedef enum rtKernelType {
    KERNEL_TYPE_CCE = 0,
    KERNEL_TYPE_FWK = 1,
    KERNEL_TYPE_AICPU = 2,
    KERNEL_TYPE_AICPU_CUSTOM = 4,
    KERNEL_TYPE_AICPU_KFC = 5,
    KERNEL_TYPE_HWTS = 10,
    KERNEL_TYPE_RESERVED = 99
} rtKernelType_t;

/* CPU-kernel args for rtsLaunchCpuKernel */
typedef struct {
    rtAicpuArgsEx_t baseArgs;
    size_t cpuParamHeadOffset;
    uint32_t rsv[4];
} rtCpuKernelArgs_t;

/* --- runtime/rts/rts_kernel.h --------------------------------------------- */
typedef enum {
    RT_ENGINE_TYPE_AIC = 0,
    RT_ENGINE_TYPE_AIV = 1
} rtEngineType;

typedef enum {
    RT_LAUNCH_KERNEL_ATTR_SCHEM_MODE = 1,
    RT_LAUNCH_KERNEL_ATTR_LOCAL_MEM_SIZE = 2,
    RT_LAUNCH_KERNEL_ATTR_ENGINE_TYPE = 3,
    RT_LAUNCH_KERNEL_ATTR_BLOCKDIM_OFFSET = 4,
    RT_LAUNCH_KERNEL_ATTR_BLOCK_TASK_PREFETCH = 5,
    RT_LAUNCH_KERNEL_ATTR_DATA_DUMP = 6,
    RT_LAUNCH_KERNEL_ATTR_TIMEOUT = 7
} rtLaunchKernelAttrId;

/* 16-byte value union (rsv[4] fixes the size in every CANN release) */
typedef union {
    uint8_t schemMode;
    uint32_t localMemorySize;
    rtEngineType engineType;
    uint32_t blockDimOffset;
    uint8_t isBlockTaskPrefetch;
    uint8_t isDataDump;
    uint16_t timeout;
    uint32_t rsv[4];
} rtLaunchKernelAttrVal_t;

typedef struct {
    rtLaunchKernelAttrId id;
    rtLaunchKernelAttrVal_t value;
} rtLaunchKernelAttr_t;

typedef struct {
    rtLaunchKernelAttr_t *attrs;
    size_t numAttrs;
} rtKernelLaunchCfg_t;

typedef enum {
    RT_LOAD_BINARY_OPT_LAZY_LOAD = 1,
    RT_LOAD_BINARY_OPT_MAGIC = 2,
    RT_LOAD_BINARY_OPT_CPU_KERNEL_MODE = 3
} rtLoadBinaryOption;

typedef union {
    uint32_t isLazyLoad;
    uint32_t magic;
    int32_t cpuKernelMode; /* 0: json only, 1: cpu .so + json, 2: from data */
    uint32_t rsv[4];
} rtLoadBinaryOptionValue_t;

typedef struct {
    rtLoadBinaryOption optionId;
    rtLoadBinaryOptionValue_t value;
} rtLoadBinaryOption_t;

typedef struct {
    rtLoadBinaryOption_t *options;
    size_t numOpt;
} rtLoadBinaryConfig_t;

/* --- acl/acl_base.h ------------------------------------------------------- */
typedef int aclError;
#define ACL_SUCCESS 0
#define ACL_ERROR_NONE 0
#define ACL_ERROR_REPEAT_INITIALIZE 100002

/* --- acl/error_codes/rt_error_codes.h (included by acl_base.h) ------------ */
#define ACL_ERROR_RT_PARAM_INVALID 107000
#define ACL_ERROR_RT_MEMORY_ALLOCATION 207001
#define ACL_ERROR_RT_AICORE_TIMEOUT 507014
#define ACL_ERROR_RT_AICORE_EXCEPTION 507015
#define ACL_ERROR_RT_AICORE_TRAP_EXCEPTION 507016
#define ACL_ERROR_RT_AICPU_TIMEOUT 507017
#define ACL_ERROR_RT_AICPU_EXCEPTION 507018
#define ACL_ERROR_RT_VECTOR_CORE_TIMEOUT 507034
#define ACL_ERROR_RT_VECTOR_CORE_EXCEPTION 507035
#define ACL_ERROR_RT_STREAM_SYNC_TIMEOUT 507046

/* --- acl/acl_rt.h --------------------------------------------------------- */
typedef void *aclrtStream;

typedef enum aclrtMemMallocPolicy {
    ACL_MEM_MALLOC_HUGE_FIRST = 0,
    ACL_MEM_MALLOC_HUGE_ONLY = 1,
    ACL_MEM_MALLOC_NORMAL_ONLY = 2
} aclrtMemMallocPolicy;

typedef enum aclrtMemcpyKind {
    ACL_MEMCPY_HOST_TO_HOST = 0,
    ACL_MEMCPY_HOST_TO_DEVICE = 1,
    ACL_MEMCPY_DEVICE_TO_HOST = 2,
    ACL_MEMCPY_DEVICE_TO_DEVICE = 3
} aclrtMemcpyKind;

typedef enum {
    ACL_RT_DEV_RES_CUBE_CORE = 0,
    ACL_RT_DEV_RES_VECTOR_CORE = 1
} aclrtDevResLimitType;

/* --- driver/ascend_hal_define.h ------------------------------------------- */
typedef enum tagDrvError {
    DRV_ERROR_NONE = 0,
    DRV_ERROR_NOT_SUPPORT = 0xfffe
} drvError_t;

/* halHostRegister flag (CANN spells the enum tag "Tpye") */
enum drvRegisterTpye {
    HOST_MEM_MAP_DEV = 0,
    HOST_SVM_MAP_DEV = 1,
    DEV_SVM_MAP_HOST = 2
};

/* halMemCtl `type` argument */
enum ctrlType {
    CTRL_TYPE_ADDR_MAP = 0,
    CTRL_TYPE_ADDR_UNMAP = 1,
    CTRL_TYPE_SUPPORT_FEATURE = 2
};

/* AddrMapInPara.addr_type for CTRL_TYPE_ADDR_MAP */
enum addrMapType {
    ADDR_MAP_TYPE_L2_BUFF = 0,
    ADDR_MAP_TYPE_REG_C2C_CTRL = 1,
    ADDR_MAP_TYPE_REG_AIC_CTRL = 2,     /* AICore control/sync registers */
    ADDR_MAP_TYPE_REG_AIC_PMU_CTRL = 3  /* AICore PMU registers */
};

struct AddrMapInPara {
    unsigned int addr_type; /* enum addrMapType */
    unsigned int devid;
};

struct AddrMapOutPara {
    unsigned long long ptr; /* host VA of the mapped register window */
    unsigned long long len;
};

/* halGetDeviceInfoByBuff moduleType / infoType */
typedef enum {
    MODULE_TYPE_SYSTEM = 0,
    MODULE_TYPE_AICPU = 1,
    MODULE_TYPE_CCPU = 2,
    MODULE_TYPE_DCPU = 3,
    MODULE_TYPE_AICORE = 4,
    MODULE_TYPE_TSCPU = 5,
    MODULE_TYPE_PCIE = 6,
    MODULE_TYPE_VECTOR_CORE = 7
} DEV_MODULE_TYPE;

typedef enum {
    INFO_TYPE_ENV = 0,
    INFO_TYPE_VERSION = 1,
    INFO_TYPE_MASTERID = 2,
    INFO_TYPE_CORE_NUM = 3,
    INFO_TYPE_FREQUE = 4,
    INFO_TYPE_OS_SCHED = 5,
    INFO_TYPE_IN_USED = 6,
    INFO_TYPE_ERROR_MAP = 7,
    INFO_TYPE_OCCUPY = 8 /* AICore: bitmap of usable cores */
} DEV_INFO_TYPE;

/* halResMap */
typedef enum tagProcType {
    PROCESS_CP1 = 0,
    PROCESS_CP2 = 1,
    PROCESS_DEV_ONLY = 2,
    PROCESS_QS = 3,
    PROCESS_HCCP = 4,
    PROCESS_USER = 5
} processType_t;

enum res_map_type {
    RES_AICORE = 0, /* per-core AICore register window; res_id = core id
                       (unverified: res_id semantics are inferred from usage) */
    RES_HSCB_AICORE = 1,
    RES_L2BUFF = 2,
    RES_C2C = 3
};

struct res_map_info {
    processType_t target_proc_type; /* CANN's driver accepts PROCESS_CP1 only */
    enum res_map_type res_type;
    unsigned int res_id;
    unsigned int flag;   /* must be 0 */
    unsigned int rsv[1]; /* must be 0 */
};

/* ======================= Functions ======================================== */

/* --- runtime/dev.h -------------------------------------------------------- */
rtError_t rtSetDevice(int32_t devId);
rtError_t rtDeviceReset(int32_t devId);

/* --- runtime/stream.h ----------------------------------------------------- */
rtError_t rtStreamCreate(rtStream_t *stm, int32_t priority);
rtError_t rtStreamDestroy(rtStream_t stm);

/* --- runtime/mem.h -------------------------------------------------------- */
rtError_t rtMalloc(void **devPtr, uint64_t size, rtMemType_t type, uint16_t moduleId);
rtError_t rtFree(void *devPtr);
rtError_t rtMemcpy(void *dst, uint64_t destMax, const void *src, uint64_t cnt, rtMemcpyKind_t kind);

/* --- runtime/kernel.h ----------------------------------------------------- */
rtError_t rtRegisterAllKernel(const rtDevBinary_t *bin, void **hdl);
rtError_t rtKernelLaunchWithHandleV2(void *hdl, uint64_t tilingKey, uint32_t blockDim, rtArgsEx_t *argsInfo,
                                     rtSmDesc_t *smDesc, rtStream_t stm, const rtTaskCfgInfo_t *cfgInfo);
rtError_t rtAicpuKernelLaunchExWithArgs(uint32_t kernelType, const char *opName, uint32_t blockDim,
                                        const rtAicpuArgsEx_t *argsInfo, rtSmDesc_t *smDesc, rtStream_t stm,
                                        uint32_t flags);

/* --- runtime/rt_ffts.h ---------------------------------------------------- */
rtError_t rtGetC2cCtrlAddr(uint64_t *addr, uint32_t *len);

/* --- runtime/rts/rts_kernel.h --------------------------------------------- */
rtError_t rtsBinaryLoadFromFile(const char *binPath, const rtLoadBinaryConfig_t *optionalCfg, rtBinHandle *handle);
rtError_t rtsFuncGetByName(rtBinHandle binHandle, const char *kernelName, rtFuncHandle *funcHandle);
rtError_t rtsBinaryUnload(rtBinHandle binHandle);
rtError_t rtsLaunchCpuKernel(rtFuncHandle funcHandle, uint32_t blockDim, rtStream_t stm,
                             const rtKernelLaunchCfg_t *cfg, rtCpuKernelArgs_t *argsInfo);

/* --- acl/acl.h ------------------------------------------------------------ */
aclError aclInit(const char *configPath);
aclError aclFinalize(void);

/* --- acl/acl_rt.h --------------------------------------------------------- */
aclError aclrtSetDevice(int32_t deviceId);
aclError aclrtResetDevice(int32_t deviceId);
aclError aclrtSetOpExecuteTimeOutV2(uint64_t timeout, uint64_t *actualTimeout);
aclError aclrtGetStreamResLimit(aclrtStream stream, aclrtDevResLimitType type, uint32_t *value);
aclError aclrtSynchronizeStream(aclrtStream stream);
aclError aclrtSynchronizeStreamWithTimeout(aclrtStream stream, int32_t timeout);
aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy);
aclError aclrtFree(void *devPtr);
aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind);

/* --- driver/ascend_hal.h -------------------------------------------------- */
drvError_t halHostRegister(void *src_ptr, unsigned long long size, unsigned int flag, unsigned int devid,
                           void **dst_ptr);
drvError_t halHostUnregister(void *src_ptr, unsigned int devid);
drvError_t halMemCtl(int type, void *param_value, size_t param_value_size, void *out_value, size_t *out_size_ret);
drvError_t halGetDeviceInfoByBuff(uint32_t devId, int32_t moduleType, int32_t infoType, void *buf, int32_t *size);
drvError_t halResMap(unsigned int devId, struct res_map_info *res_info, unsigned long *va, unsigned int *len);

/* --- toolchain/slog.h ----------------------------------------------------- */
int dlog_setlevel(int moduleId, int level, int enableEvent);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* Layout checks against CANN's LP64 struct sizes (computed from the layouts above). */
#if defined(__cplusplus) && defined(__LP64__)
static_assert(sizeof(rtDevBinary_t) == 24, "rtDevBinary_t layout");
static_assert(sizeof(rtArgsEx_t) == 40, "rtArgsEx_t layout");
static_assert(sizeof(rtAicpuArgsEx_t) == 48, "rtAicpuArgsEx_t layout");
static_assert(sizeof(rtCpuKernelArgs_t) == 72, "rtCpuKernelArgs_t layout");
static_assert(sizeof(rtTaskCfgInfo_t) == 16, "rtTaskCfgInfo_t layout");
static_assert(sizeof(rtSmDesc_t) == 272, "rtSmDesc_t layout");
static_assert(sizeof(rtLaunchKernelAttr_t) == 20, "rtLaunchKernelAttr_t layout");
static_assert(sizeof(rtKernelLaunchCfg_t) == 16, "rtKernelLaunchCfg_t layout");
static_assert(sizeof(rtLoadBinaryOption_t) == 20, "rtLoadBinaryOption_t layout");
static_assert(sizeof(rtLoadBinaryConfig_t) == 16, "rtLoadBinaryConfig_t layout");
static_assert(sizeof(struct AddrMapInPara) == 8, "AddrMapInPara layout");
static_assert(sizeof(struct AddrMapOutPara) == 16, "AddrMapOutPara layout");
static_assert(sizeof(struct res_map_info) == 20, "res_map_info layout");
#endif

#endif /* PTOGEN_USE_CANN_HEADERS */

#endif /* PTOGEN_CANN_RUNTIME_API_H */
