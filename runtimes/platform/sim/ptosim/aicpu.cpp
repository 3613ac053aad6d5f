// aicpu.cpp - the AICPU program path, loaded the way hardware loads it: the bootstrap kernel places the
// program in the device's kernel directory; an op description (rtsBinaryLoadFromFile) names the placed
// .so and its entry symbols; rtsLaunchCpuKernel runs an entry on N of the device's AICPU threads
// (cores.cpp).
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "json_mini.h"
#include "ptosim/core_seam.h"
#include "pto/aicpu_bootstrap.h"
#include "sim_state.h"

namespace ptosim {

namespace {

constexpr uint32_t kMaxAicpuThreads = 64;

thread_local int t_aicpu_idx = -1;
thread_local int t_aicpu_num = -1;

// Writes bytes to dir/name through a temporary name and a rename, so a reader never sees half a file.
bool write_file_atomically(const std::string &dir, const std::string &name, const void *data, uint64_t size) {
    std::string tmp = dir + "/." + name + ".XXXXXX";
    std::vector<char> path(tmp.begin(), tmp.end());
    path.push_back('\0');
    int fd = ::mkstemp(path.data());
    if (fd < 0) return false;
    const auto *p = static_cast<const uint8_t *>(data);
    uint64_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd, p + done, size - done);
        if (n <= 0) break;
        done += static_cast<uint64_t>(n);
    }
    const bool ok = done == size && ::fchmod(fd, 0755) == 0;
    ::close(fd);
    if (!ok || ::rename(path.data(), (dir + "/" + name).c_str()) != 0) {
        ::unlink(path.data());
        return false;
    }
    return true;
}

// The bootstrap kernel, run by the stream: reads the block the launch args point at and places the
// AICPU program. Any bad address or image is an AICPU exception, as the dispatcher would fault.
int place_program(int device, const std::vector<uint8_t> &launch_bytes) {
    pto::BootstrapLaunchArgs launch;
    std::memcpy(&launch, launch_bytes.data(), sizeof launch);
    std::lock_guard<std::mutex> lock(sim().mu);
    const void *block_addr = reinterpret_cast<const void *>(launch.kernel_args.block_addr);
    if (find_allocation(block_addr, sizeof(pto::BootstrapBlock), device) == nullptr)
        return invalid_access(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: the BootstrapBlock %p is not device memory of device %d",
                              block_addr, device);
    pto::BootstrapBlock block;
    std::memcpy(&block, block_addr, sizeof block);
    const void *dispatcher = reinterpret_cast<const void *>(block.dispatcher_addr);
    const void *program = reinterpret_cast<const void *>(block.program_addr);
    if (block.dispatcher_len == 0 || find_allocation(dispatcher, block.dispatcher_len, device) == nullptr)
        return invalid_access(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: the dispatcher [%p, +%llu) is not device memory",
                              dispatcher, static_cast<unsigned long long>(block.dispatcher_len));
    if (const char *problem = elf_image_problem(dispatcher, block.dispatcher_len))
        return error(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: the dispatcher image cannot be loaded: %s", problem);
    if (block.program_len == 0 || find_allocation(program, block.program_len, device) == nullptr)
        return invalid_access(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: the program [%p, +%llu) is not device memory",
                              program, static_cast<unsigned long long>(block.program_len));
    if (const char *problem = elf_image_problem(program, block.program_len))
        return error(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: the AICPU program cannot be loaded: %s", problem);
    if (block.device_id != static_cast<uint64_t>(device))
        return error(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: the block names device %llu, the stream is on device %d",
                     static_cast<unsigned long long>(block.device_id), device);
    const std::string dir = kernel_dir(device);
    char name[128];
    pto::aicpu_program_file_name(block.fingerprint, device, name, sizeof name);
    if (dir.empty() || !write_file_atomically(dir, name, program, block.program_len))
        return error(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU bootstrap: cannot place %s in the kernel directory", name);
    counters().aicpu_bootstraps += 1;
    return 0;
}

// What an AICPU launch's threads report back to the stream that waits for them.
struct CpuLaunch {
    std::mutex mu;
    std::condition_variable cv;
    uint32_t remaining = 0;
    std::vector<int> results;
};

// Runs fn on `threads` of the device's AICPU threads at once, all reading one private copy of the args
// (the copy CANN makes at launch), and waits for all. Any nonzero return is an AICPU exception.
int run_cpu_kernel(const std::shared_ptr<CpuFunc> &func, uint32_t threads, const std::shared_ptr<std::vector<uint8_t>> &args,
                   int device) {
    counters().aicpu_launches += 1;
    std::vector<std::shared_ptr<Core>> taken = reserve_cores(device, CoreKind::AICPU, static_cast<int>(threads));
    if (taken.size() < threads) {
        release_unused_cores(taken);
        return error(kRtInternal, "rtsLaunchCpuKernel: cannot start %u AICPU threads", threads);
    }
    auto launch = std::make_shared<CpuLaunch>();
    launch->remaining = threads;
    launch->results.assign(threads, 0);
    for (uint32_t i = 0; i < threads; ++i) {
        auto result = std::make_shared<int>(0);
        CoreWork work;
        work.run = [func, args, i, threads, result] {
            t_aicpu_idx = static_cast<int>(i);
            t_aicpu_num = static_cast<int>(threads);
            try {
                *result = func->fn(args->data());
            } catch (...) {
                *result = -1;
            }
            t_aicpu_idx = -1;
            t_aicpu_num = -1;
        };
        work.finished = [launch, i, result] {
            std::lock_guard<std::mutex> lock(launch->mu);
            launch->results[i] = *result;
            launch->remaining -= 1;
            launch->cv.notify_all();
        };
        post_core_work(taken[i], device, std::move(work));
    }
    std::unique_lock<std::mutex> lock(launch->mu);
    launch->cv.wait(lock, [&] { return launch->remaining == 0; });
    for (uint32_t i = 0; i < threads; ++i) {
        if (launch->results[i] != 0) {
            counters().aicpu_exceptions += 1;
            return error(ACL_ERROR_RT_AICPU_EXCEPTION, "AICPU kernel %s returned %d on thread %u", func->name.c_str(),
                         launch->results[i], i);
        }
    }
    return 0;
}

std::shared_ptr<CpuBinary> find_binary(void *handle) {
    for (auto &entry : sim().devices) {
        auto it = entry.second.binaries.find(static_cast<CpuBinary *>(handle));
        if (it != entry.second.binaries.end()) return it->second;
    }
    return nullptr;
}

std::shared_ptr<CpuFunc> find_func(void *handle) {
    for (auto &entry : sim().devices) {
        auto it = entry.second.funcs.find(static_cast<CpuFunc *>(handle));
        if (it != entry.second.funcs.end()) return it->second;
    }
    return nullptr;
}

int load_op_description(const char *path, const rtLoadBinaryConfig_t *config, rtBinHandle *handle) {
    const int device = bound_device();
    if (device < 0) return error(kRtContextNull, "rtsBinaryLoadFromFile: no device is bound to this thread");
    if (path == nullptr || handle == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "rtsBinaryLoadFromFile: null argument");
    *handle = nullptr;
    if (config != nullptr) {
        for (size_t i = 0; i < config->numOpt; ++i) {
            const rtLoadBinaryOption_t &option = config->options[i];
            // Mode 0: the description names .so files already placed on the device; that is the only mode.
            if (option.optionId == RT_LOAD_BINARY_OPT_CPU_KERNEL_MODE && option.value.cpuKernelMode != 0)
                return error(kRtFeatureNotSupport, "rtsBinaryLoadFromFile: cpuKernelMode %d is not simulated", option.value.cpuKernelMode);
        }
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return error(kRtFileOpen, "rtsBinaryLoadFromFile: cannot open %s", path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string json = text.str();
    JsonValue root;
    std::string why;
    if (!JsonParser(json).parse(root, why) || root.kind != JsonValue::OBJECT)
        return error(ACL_ERROR_RT_PARAM_INVALID, "rtsBinaryLoadFromFile: %s is not an op description: %s", path,
                     why.empty() ? "not an object" : why.c_str());
    auto binary = std::make_shared<CpuBinary>();
    binary->device = device;
    std::lock_guard<std::mutex> lock(sim().mu);
    const std::string dir = kernel_dir(device);
    for (auto &entry : root.object) {
        const JsonValue *info = entry.second->member("opInfo");
        if (info == nullptr || info->kind != JsonValue::OBJECT)
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtsBinaryLoadFromFile: op %s has no opInfo object", entry.first.c_str());
        std::string op_type = info->string_member("opType");
        if (op_type.empty()) op_type = entry.first;
        const std::string function = info->string_member("functionName");
        const std::string so = info->string_member("kernelSo");
        if (function.empty() || so.empty() || so.find('/') != std::string::npos)
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtsBinaryLoadFromFile: op %s needs functionName and a kernelSo file name",
                         op_type.c_str());
        const std::string so_path = dir + "/" + so;
        if (dir.empty() || ::access(so_path.c_str(), R_OK) != 0)
            return error(kRtFileOpen, "rtsBinaryLoadFromFile: op %s names %s, which is not in device %d's kernel directory",
                         op_type.c_str(), so.c_str(), device);
        binary->ops[op_type] = CpuBinary::Op{function, so_path};
    }
    if (binary->ops.empty()) return error(ACL_ERROR_RT_PARAM_INVALID, "rtsBinaryLoadFromFile: %s describes no op", path);
    device_state(device).binaries[binary.get()] = binary;
    *handle = binary.get();
    return 0;
}

int get_function(rtBinHandle handle, const char *name, rtFuncHandle *out) {
    if (name == nullptr || out == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "rtsFuncGetByName: null argument");
    *out = nullptr;
    std::shared_ptr<CpuBinary> binary;
    CpuBinary::Op op;
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        binary = find_binary(handle);
        if (!binary) return invalid_access(kRtInvalidHandle, "rtsFuncGetByName: %p is not a loaded binary", handle);
        auto it = binary->ops.find(name);
        if (it == binary->ops.end()) return error(ACL_ERROR_RT_PARAM_INVALID, "rtsFuncGetByName: no op %s in the binary", name);
        op = it->second;
    }
    // dlopen runs the program's constructors, which may call back into ptosim: never under the model lock.
    static std::mutex dl_mu;
    void *dl = nullptr;
    {
        std::lock_guard<std::mutex> lock(dl_mu);
        auto found = binary->dl.find(op.so_path);
        if (found != binary->dl.end()) {
            dl = found->second;
        } else {
            dl = ::dlopen(op.so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (dl == nullptr) return error(kRtInvalidHandle, "rtsFuncGetByName: dlopen(%s) failed: %s", op.so_path.c_str(), ::dlerror());
            binary->dl[op.so_path] = dl;
        }
    }
    void *symbol = ::dlsym(dl, op.function_name.c_str());
    if (symbol == nullptr)
        return error(ACL_ERROR_RT_PARAM_INVALID, "rtsFuncGetByName: %s has no symbol %s", op.so_path.c_str(), op.function_name.c_str());
    auto func = std::make_shared<CpuFunc>();
    func->binary = binary;
    func->fn = reinterpret_cast<int (*)(void *)>(symbol);
    func->name = name;
    std::lock_guard<std::mutex> lock(sim().mu);
    if (!find_binary(handle)) return error(kRtInvalidHandle, "rtsFuncGetByName: the binary was unloaded meanwhile");
    device_state(binary->device).funcs[func.get()] = func;
    *out = func.get();
    return 0;
}

}  // namespace

CpuBinary::~CpuBinary() {
    for (auto &entry : dl) ::dlclose(entry.second);
}

}  // namespace ptosim

using namespace ptosim;

extern "C" rtError_t rtAicpuKernelLaunchExWithArgs(uint32_t kernelType, const char *opName, uint32_t blockDim,
                                                   const rtAicpuArgsEx_t *argsInfo, rtSmDesc_t *smDesc, rtStream_t stm,
                                                   uint32_t flags) {
    (void)smDesc;
    (void)flags;
    return guarded("rtAicpuKernelLaunchExWithArgs", kRtInternal, [&] {
        // The only op the simulated AICPU knows by name is the bootstrap dispatcher's.
        if (kernelType != KERNEL_TYPE_AICPU_KFC || opName == nullptr || std::strcmp(opName, pto::kBootstrapOpName) != 0)
            return error(kRtFeatureNotSupport, "rtAicpuKernelLaunchExWithArgs: only (KERNEL_TYPE_AICPU_KFC, %s) is simulated",
                         pto::kBootstrapOpName);
        if (blockDim != 1) return error(ACL_ERROR_RT_PARAM_INVALID, "rtAicpuKernelLaunchExWithArgs: blockDim %u, the bootstrap runs once", blockDim);
        if (argsInfo == nullptr || argsInfo->args == nullptr || argsInfo->argsSize < sizeof(pto::BootstrapLaunchArgs))
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtAicpuKernelLaunchExWithArgs: args must hold a BootstrapLaunchArgs");
        const auto *bytes = static_cast<const uint8_t *>(argsInfo->args);
        auto named = [&](uint32_t offset, const char *expected) {
            return offset < argsInfo->argsSize && ::strnlen(reinterpret_cast<const char *>(bytes + offset), argsInfo->argsSize - offset) <
                                                      argsInfo->argsSize - offset &&
                   std::strcmp(reinterpret_cast<const char *>(bytes + offset), expected) == 0;
        };
        if (!named(argsInfo->kernelNameAddrOffset, pto::kBootstrapKernelName) || !named(argsInfo->soNameAddrOffset, pto::kBootstrapSoName))
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtAicpuKernelLaunchExWithArgs: the args must name %s in %s",
                         pto::kBootstrapKernelName, pto::kBootstrapSoName);
        std::shared_ptr<Stream> stream;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            stream = find_stream(stm);
        }
        if (!stream) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "rtAicpuKernelLaunchExWithArgs: %p is not a live stream", stm);
        // CANN copies the args at launch: the caller's buffer may be gone when the kernel runs.
        std::vector<uint8_t> copy(bytes, bytes + argsInfo->argsSize);
        const int device = stream->device;
        return enqueue(stream, Command{"the AICPU bootstrap", [device, copy] { return place_program(device, copy); }});
    });
}

extern "C" rtError_t rtsBinaryLoadFromFile(const char *binPath, const rtLoadBinaryConfig_t *optionalCfg, rtBinHandle *handle) {
    return guarded("rtsBinaryLoadFromFile", kRtInternal, [&] { return load_op_description(binPath, optionalCfg, handle); });
}

extern "C" rtError_t rtsFuncGetByName(rtBinHandle binHandle, const char *kernelName, rtFuncHandle *funcHandle) {
    return guarded("rtsFuncGetByName", kRtInternal, [&] { return get_function(binHandle, kernelName, funcHandle); });
}

extern "C" rtError_t rtsBinaryUnload(rtBinHandle binHandle) {
    return guarded("rtsBinaryUnload", kRtInternal, [&] {
        std::shared_ptr<CpuBinary> binary;  // dropped after the lock: the last reference dlcloses
        std::lock_guard<std::mutex> lock(sim().mu);
        binary = find_binary(binHandle);
        if (!binary) return invalid_access(kRtInvalidHandle, "rtsBinaryUnload: %p is not a loaded binary", binHandle);
        Device &d = device_state(binary->device);
        d.binaries.erase(binary.get());
        for (auto it = d.funcs.begin(); it != d.funcs.end();)
            it = it->second->binary == binary ? d.funcs.erase(it) : std::next(it);
        return 0;
    });
}

extern "C" rtError_t rtsLaunchCpuKernel(rtFuncHandle funcHandle, uint32_t blockDim, rtStream_t stm,
                                        const rtKernelLaunchCfg_t *cfg, rtCpuKernelArgs_t *argsInfo) {
    (void)cfg;  // schedule mode, timeouts: nothing the simulated AICPU distinguishes
    return guarded("rtsLaunchCpuKernel", kRtInternal, [&] {
        if (blockDim == 0 || blockDim > kMaxAicpuThreads)
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtsLaunchCpuKernel: blockDim %u is outside [1, %u]", blockDim, kMaxAicpuThreads);
        if (argsInfo == nullptr || argsInfo->baseArgs.args == nullptr || argsInfo->baseArgs.argsSize == 0)
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtsLaunchCpuKernel: empty args");
        std::shared_ptr<CpuFunc> func;
        std::shared_ptr<Stream> stream;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            func = find_func(funcHandle);
            stream = find_stream(stm);
        }
        if (!func) return invalid_access(kRtInvalidHandle, "rtsLaunchCpuKernel: %p is not a function handle", funcHandle);
        if (!stream) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "rtsLaunchCpuKernel: %p is not a live stream", stm);
        if (stream->device != func->binary->device)
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtsLaunchCpuKernel: the function is on device %d, the stream on %d",
                         func->binary->device, stream->device);
        const auto *bytes = static_cast<const uint8_t *>(argsInfo->baseArgs.args);
        auto args = std::make_shared<std::vector<uint8_t>>(bytes, bytes + argsInfo->baseArgs.argsSize);
        const int device = stream->device;
        return enqueue(stream, Command{"AICPU kernel " + func->name,
                                       [func, blockDim, args, device] { return run_cpu_kernel(func, blockDim, args, device); }});
    });
}

extern "C" int ptosim_aicpu_thread_idx(void) { return t_aicpu_idx; }
extern "C" int ptosim_aicpu_thread_num(void) { return t_aicpu_num; }
