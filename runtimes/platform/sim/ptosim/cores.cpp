// cores.cpp - the simulated cores of each device: threads that live from the first launch that needs
// them to the device's reset, parked on a condition variable between launches and handed each launch's
// work (who the core is and what it runs). A launch takes idle cores of its kind and creates the missing
// ones, so concurrent launches on one device never queue behind each other.
#include <utility>

#include "sim_state.h"

namespace ptosim {

struct Core {
    std::mutex mu;
    std::condition_variable cv;  // the parked thread waits here for work or stop
    CoreWork work;               // posted, not yet taken
    bool busy = false;           // reserved by a launch until its work has run
    bool stop = false;           // end once idle (reset, or lost to a launch that gave up on it)
    std::thread thread;
};

namespace {

struct Pool {
    std::mutex mu;
    std::vector<std::shared_ptr<Core>> cores[2];  // by CoreKind
};

Pool &pool(int device) {
    static Pool *pools = new Pool[kMaxDevices];  // never destroyed: parked cores wait on it at exit
    return pools[device];
}

std::atomic<uint64_t> g_live{0};
thread_local bool t_faulted = false;  // this core's current work faulted (core_faulted)

void core_loop(std::shared_ptr<Core> core, int device, CoreKind kind) {
    enter_core_thread();
    std::unique_lock<std::mutex> lock(core->mu);
    for (;;) {
        core->cv.wait(lock, [&] { return core->stop || core->work.run; });
        if (!core->work.run) break;  // stopped while idle
        CoreWork work = std::move(core->work);
        core->work = CoreWork{};
        lock.unlock();
        bind_device(device);  // each launch starts on its device, whatever the last one's code bound
        try {
            work.run();
        } catch (...) {
        }
        device_thread_finished(device);
        if (t_faulted) {
            // A faulted core leaves the device before it is idle, so no later launch is given it.
            t_faulted = false;
            lose_cores(device, kind, {core});
        }
        lock.lock();
        // Idle before the launch hears of it: its next launch finds this core free instead of making one.
        core->busy = false;
        lock.unlock();
        if (work.finished) work.finished();
        work = CoreWork{};  // drop the launch's references (args, program) before parking
        lock.lock();
    }
    lock.unlock();
    leave_core_thread();
    g_live.fetch_sub(1);
}

}  // namespace

std::vector<std::shared_ptr<Core>> reserve_cores(int device, CoreKind kind, int count) {
    std::vector<std::shared_ptr<Core>> taken;
    Pool &p = pool(device);
    std::lock_guard<std::mutex> lock(p.mu);
    auto &cores = p.cores[static_cast<int>(kind)];
    for (auto &core : cores) {
        if (static_cast<int>(taken.size()) == count) break;
        std::lock_guard<std::mutex> core_lock(core->mu);
        if (core->busy || core->stop) continue;
        core->busy = true;
        taken.push_back(core);
    }
    while (static_cast<int>(taken.size()) < count) {
        auto core = std::make_shared<Core>();
        core->busy = true;
        try {
            core->thread = std::thread(core_loop, core, device, kind);
        } catch (...) {
            break;  // the caller sees fewer cores than it asked for
        }
        g_live.fetch_add(1);
        counters().core_threads_created += 1;
        cores.push_back(core);
        taken.push_back(core);
    }
    return taken;
}

void post_core_work(const std::shared_ptr<Core> &core, int device, CoreWork work) {
    device_thread_started(device);  // before it runs: memory freed from now on waits for it
    std::lock_guard<std::mutex> lock(core->mu);
    core->work = std::move(work);
    core->cv.notify_one();
}

void release_unused_cores(const std::vector<std::shared_ptr<Core>> &cores) {
    for (auto &core : cores) {
        std::lock_guard<std::mutex> lock(core->mu);
        core->busy = false;
    }
}

void lose_cores(int device, CoreKind kind, const std::vector<std::shared_ptr<Core>> &lost) {
    Pool &p = pool(device);
    std::lock_guard<std::mutex> lock(p.mu);
    auto &cores = p.cores[static_cast<int>(kind)];
    for (auto &core : lost) {
        for (auto it = cores.begin(); it != cores.end(); ++it) {
            if (*it != core) continue;
            cores.erase(it);
            std::lock_guard<std::mutex> core_lock(core->mu);
            core->stop = true;  // ends when its kernel returns, if it ever does
            core->thread.detach();
            counters().threads_abandoned += 1;
            break;
        }
    }
}

void stop_cores(int device) {
    std::vector<std::shared_ptr<Core>> ending;
    {
        Pool &p = pool(device);
        std::lock_guard<std::mutex> lock(p.mu);
        for (auto &cores : p.cores) {
            ending.insert(ending.end(), cores.begin(), cores.end());
            cores.clear();
        }
    }
    for (auto &core : ending) {
        bool idle = false;
        {
            std::lock_guard<std::mutex> lock(core->mu);
            core->stop = true;
            idle = !core->busy;
            core->cv.notify_one();
        }
        // A core still in a kernel (its stream was given up) cannot be stopped: it ends when the kernel
        // returns, if ever, as a hardware core is torn down with its context.
        if (idle && core->thread.get_id() != std::this_thread::get_id())
            core->thread.join();
        else
            core->thread.detach();
    }
}

void core_faulted() { t_faulted = true; }

uint64_t core_threads_live() { return g_live.load(); }

}  // namespace ptosim
