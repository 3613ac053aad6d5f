// core_faults.cpp - a simulated core whose code faults stops, not the process: as a hardware AICore
// exception ends its core and fails the launch while the host goes on. While a core thread runs device
// code, a fatal signal it raises itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL) jumps back to the core's run
// loop on the core's own alternate stack; the same signal on any other thread goes to the handler that
// was installed before ours (or the default action), so a real crash of the host stays a crash.
//
// Not contained: a kernel that corrupts host memory without faulting, and a fault taken while the kernel
// holds a lock (inside malloc, or inside a ptosim call) leaves that lock held. Under a sanitizer the
// handler is not installed: the sanitizer reports the fault and ends the process, as a sanitized run wants.
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <exception>

#include "sim_state.h"

namespace ptosim {

namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
constexpr size_t kAltStackBytes = 64 * 1024;

struct sigaction g_previous[NSIG];
bool g_installed = false;

// The handler finds the faulting thread's core by its pthread_t in a fixed table: no thread_local is read
// in the handler, since a thread's first touch of a shared library's thread_local may allocate, and the
// faulting thread may be inside malloc.
constexpr int kSlots = 4096;
struct Slot {
    std::atomic<unsigned long> owner{0};  // pthread_t of the core thread holding the slot, 0 if free
    std::atomic<sigjmp_buf *> jump{nullptr};  // set while the core runs device code
    int signo = 0;
    uintptr_t address = 0, pc = 0;
};
Slot g_slots[kSlots];
thread_local Slot *t_slot = nullptr;
thread_local void *t_alt_stack = nullptr;

Slot *slot_of_this_thread() {
    const auto self = static_cast<unsigned long>(::pthread_self());
    for (Slot &slot : g_slots)
        if (slot.owner.load(std::memory_order_acquire) == self) return &slot;
    return nullptr;
}

uintptr_t pc_of(void *context) {
    const auto *uc = static_cast<const ucontext_t *>(context);
#if defined(__x86_64__)
    return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
    (void)uc;
    return 0;
#endif
}

void pass_on(int signo, siginfo_t *info, void *context) {
    const struct sigaction &before = g_previous[signo];
    if ((before.sa_flags & SA_SIGINFO) != 0 && before.sa_sigaction != nullptr) {
        before.sa_sigaction(signo, info, context);
        return;
    }
    if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN) {
        before.sa_handler(signo);
        return;
    }
    // The default action: a fault re-executes its instruction and now takes it; a sent signal is re-sent.
    ::signal(signo, SIG_DFL);
    if (info == nullptr || info->si_code <= 0) ::raise(signo);
}

void on_fatal_signal(int signo, siginfo_t *info, void *context) {
    // Only a fault of a core's own device code counts (si_code > 0: not a signal another process sent).
    Slot *slot = info != nullptr && info->si_code > 0 ? slot_of_this_thread() : nullptr;
    sigjmp_buf *jump = slot != nullptr ? slot->jump.exchange(nullptr) : nullptr;
    if (jump == nullptr) {
        pass_on(signo, info, context);
        return;
    }
    slot->signo = signo;
    slot->address = reinterpret_cast<uintptr_t>(info->si_addr);
    slot->pc = pc_of(context);
    siglongjmp(*jump, 1);
}

bool under_sanitizer() {
    // Every GCC/Clang sanitizer runtime exports this; its own handlers own the fatal signals then.
    return ::dlsym(RTLD_DEFAULT, "__sanitizer_print_stack_trace") != nullptr;
}

void install_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (under_sanitizer()) return;
        for (int signo : kFatalSignals) {
            struct sigaction action {};
            action.sa_sigaction = on_fatal_signal;
            action.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sigemptyset(&action.sa_mask);
            if (::sigaction(signo, &action, &g_previous[signo]) != 0) return;
        }
        g_installed = true;
    });
}

const char *signal_name(int signo) {
    switch (signo) {
        case SIGSEGV: return "SIGSEGV";
        case SIGBUS: return "SIGBUS";
        case SIGFPE: return "SIGFPE";
        case SIGILL: return "SIGILL";
        default: return "a fatal signal";
    }
}

}  // namespace

void enter_core_thread() {
    install_once();
    if (!g_installed) return;
    const auto self = static_cast<unsigned long>(::pthread_self());
    for (Slot &slot : g_slots) {
        unsigned long free_slot = 0;
        if (slot.owner.compare_exchange_strong(free_slot, self)) {
            t_slot = &slot;
            break;
        }
    }
    if (t_slot == nullptr) return;  // more core threads than slots: this one's faults end the process
    // A fault may be a stack overflow: the handler needs a stack of its own.
    void *stack = ::mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t alt{};
    alt.ss_sp = stack;
    alt.ss_size = kAltStackBytes;
    if (stack == MAP_FAILED || ::sigaltstack(&alt, nullptr) != 0) {
        if (stack != MAP_FAILED) ::munmap(stack, kAltStackBytes);
        t_slot->owner.store(0, std::memory_order_release);
        t_slot = nullptr;
        return;
    }
    t_alt_stack = stack;
}

void leave_core_thread() {
    if (t_slot == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    ::sigaltstack(&off, nullptr);
    ::munmap(t_alt_stack, kAltStackBytes);
    t_alt_stack = nullptr;
    t_slot->owner.store(0, std::memory_order_release);
    t_slot = nullptr;
}

bool run_contained(void (*entry)(void *), void *arg, CoreFault *fault) {
    Slot *const slot = t_slot;
    sigjmp_buf jump;
    if (sigsetjmp(jump, 1) != 0) {  // the mask is restored: the signal is deliverable again
        fault->signo = slot->signo;
        fault->address = slot->address;
        fault->pc = slot->pc;
        return false;
    }
    if (slot != nullptr) slot->jump.store(&jump);
    bool ok = false;
    try {
        entry(arg);
        ok = true;
    } catch (const std::exception &e) {
        fault->exception = e.what();
    } catch (...) {
        fault->exception = "an exception that is not a std::exception";
    }
    if (slot != nullptr) slot->jump.store(nullptr);
    return ok;
}

std::string describe_fault(const CoreFault &fault) {
    char text[512];
    if (fault.signo == 0) {
        std::snprintf(text, sizeof text, "an escaping C++ exception (%s)", fault.exception.c_str());
        return text;
    }
    // Which loaded image the faulting instruction belongs to names the kernel (its private file).
    std::string where;
    Dl_info info{};
    if (fault.pc != 0 && ::dladdr(reinterpret_cast<void *>(fault.pc), &info) != 0 && info.dli_fname != nullptr) {
        where = std::string(" in ") + info.dli_fname;
        if (info.dli_sname != nullptr) where += std::string(" (") + info.dli_sname + ")";
        // A per-task kernel is known to the host by the device address its image was uploaded to.
        const int device = bound_device();
        std::lock_guard<std::mutex> lock(sim().mu);
        if (device >= 0 && sim().devices.count(device) != 0) {
            for (const auto &kernel : sim().devices[device].kernels) {
                Dl_info entry{};
                if (::dladdr(kernel.second->entry, &entry) != 0 && entry.dli_fbase == info.dli_fbase) {
                    char address[64];
                    std::snprintf(address, sizeof address, ", the kernel at device address 0x%llx",
                                  static_cast<unsigned long long>(kernel.first));
                    where += address;
                    break;
                }
            }
        }
    }
    std::snprintf(text, sizeof text, "%s at fault address 0x%llx (pc 0x%llx%s)", signal_name(fault.signo),
                  static_cast<unsigned long long>(fault.address), static_cast<unsigned long long>(fault.pc), where.c_str());
    return text;
}

}  // namespace ptosim
