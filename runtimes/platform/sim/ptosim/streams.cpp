// streams.cpp - streams as ordered command queues, each drained by its own worker thread. A failing
// command puts the stream in error (sticky, like hardware: later commands are dropped); synchronising
// waits on a condition variable, never by polling.
#include <chrono>
#include <cstdlib>

#include "sim_state.h"

namespace ptosim {

namespace {

// How long rtStreamDestroy waits for a command that is still running before it gives the worker up.
std::chrono::milliseconds destroy_grace() {
    const char *v = std::getenv("PTOSIM_DESTROY_GRACE_MS");
    return std::chrono::milliseconds(v != nullptr && *v != '\0' ? std::atol(v) : 10000);
}

void worker_loop(std::shared_ptr<Stream> self) {
    bind_device(self->device);
    std::unique_lock<std::mutex> lock(self->mu);
    for (;;) {
        self->work_cv.wait(lock, [&] { return self->stop || !self->queue.empty(); });
        if (self->queue.empty()) break;  // stopping and drained
        Command command = std::move(self->queue.front());
        self->queue.pop_front();
        const bool skip = self->error != 0;  // an errored stream runs nothing more
        self->running = true;
        lock.unlock();
        int rc = 0;
        std::string cause;
        if (!skip) {
            try {
                rc = command.run();
            } catch (...) {
                rc = error(kRtInternal, "an exception escaped");
            }
            if (rc != 0) cause = last_error_message();
        }
        command.run = nullptr;  // release what the command holds (args, program references) before reporting
        lock.lock();
        self->running = false;
        if (rc != 0 && self->error == 0) {
            self->error = rc;
            counters().stream_errors += 1;
            error(rc, "stream %p: %s failed: %s", static_cast<void *>(self.get()), command.what.c_str(), cause.c_str());
            self->error_text = last_error_message();
        }
        self->completed += 1;
        self->done_cv.notify_all();
    }
}

int synchronize(const char *api, void *handle, int32_t timeout_ms) {
    std::shared_ptr<Stream> stream;
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        stream = find_stream(handle);
    }
    if (!stream) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: %p is not a live stream", api, handle);
    std::unique_lock<std::mutex> lock(stream->mu);
    const uint64_t target = stream->submitted;
    auto done = [&] { return stream->completed >= target; };
    if (timeout_ms > 0) {
        if (!stream->done_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), done)) {
            counters().stream_sync_timeouts += 1;
            return error(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, "%s: stream %p did not finish within %d ms", api, handle, timeout_ms);
        }
    } else {
        stream->done_cv.wait(lock, done);
    }
    if (stream->error != 0) return error(stream->error, "%s: %s", api, stream->error_text.c_str());
    return 0;
}

}  // namespace

std::shared_ptr<Stream> find_stream(void *handle) {
    for (auto &entry : sim().devices) {
        auto it = entry.second.streams.find(static_cast<Stream *>(handle));
        if (it != entry.second.streams.end()) return it->second;
    }
    return nullptr;
}

int enqueue(const std::shared_ptr<Stream> &stream, Command command) {
    std::lock_guard<std::mutex> lock(stream->mu);
    if (stream->stop) return error(ACL_ERROR_RT_PARAM_INVALID, "stream %p is being destroyed", static_cast<void *>(stream.get()));
    stream->queue.push_back(std::move(command));
    stream->submitted += 1;
    stream->work_cv.notify_one();
    return 0;
}

void shutdown_stream(const std::shared_ptr<Stream> &stream) {
    std::unique_lock<std::mutex> lock(stream->mu);
    if (stream->submitted != stream->completed) counters().pending_at_destroy += 1;
    // Queued work that has not started is dropped, as the hardware drops a destroyed stream's tasks.
    stream->completed += stream->queue.size();
    stream->queue.clear();
    stream->stop = true;
    stream->work_cv.notify_all();
    const bool idle = stream->done_cv.wait_for(lock, destroy_grace(), [&] { return !stream->running; });
    lock.unlock();
    if (!stream->worker.joinable()) return;
    if (stream->worker.get_id() == std::this_thread::get_id()) {
        stream->worker.detach();  // destroyed from its own command: the loop ends by itself
    } else if (idle) {
        stream->worker.join();
    } else {
        // A command that never returns cannot be stopped; its thread keeps the stream alive and exits
        // with the process. Counted, so a test sees it.
        counters().threads_abandoned += 1;
        stream->worker.detach();
    }
}

}  // namespace ptosim

using namespace ptosim;

extern "C" rtError_t rtStreamCreate(rtStream_t *stm, int32_t priority) {
    (void)priority;  // one priority: streams of one device run concurrently anyway
    return guarded("rtStreamCreate", kRtInternal, [&] {
        const int device = bound_device();
        if (device < 0) return error(kRtContextNull, "rtStreamCreate: no device is bound to this thread (call rtSetDevice)");
        if (stm == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "rtStreamCreate: the output pointer is null");
        *stm = nullptr;
        auto stream = std::make_shared<Stream>();
        stream->device = device;
        stream->worker = std::thread(worker_loop, stream);
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            device_state(device).streams[stream.get()] = stream;
        }
        counters().streams_created += 1;
        *stm = stream.get();
        return 0;
    });
}

extern "C" rtError_t rtStreamDestroy(rtStream_t stm) {
    return guarded("rtStreamDestroy", kRtInternal, [&] {
        std::shared_ptr<Stream> stream;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            stream = find_stream(stm);
            if (!stream) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "rtStreamDestroy: %p is not a live stream", stm);
            sim().devices[stream->device].streams.erase(stream.get());
        }
        shutdown_stream(stream);
        counters().streams_destroyed += 1;
        return 0;
    });
}

extern "C" aclError aclrtSynchronizeStream(aclrtStream stream) {
    return guarded(
        "aclrtSynchronizeStream", kRtInternal, [&] { return synchronize("aclrtSynchronizeStream", stream, -1); },
        FaultTiming::AFTER_THE_CALL);
}

extern "C" aclError aclrtSynchronizeStreamWithTimeout(aclrtStream stream, int32_t timeout) {
    return guarded("aclrtSynchronizeStreamWithTimeout", kRtInternal, [&] {
        // -1 waits without limit; other non-positive values are invalid.
        if (timeout < -1 || timeout == 0)
            return error(ACL_ERROR_RT_PARAM_INVALID, "aclrtSynchronizeStreamWithTimeout: timeout %d ms is invalid", timeout);
        return synchronize("aclrtSynchronizeStreamWithTimeout", stream, timeout);
    }, FaultTiming::AFTER_THE_CALL);
}

extern "C" aclError aclrtGetStreamResLimit(aclrtStream stream, aclrtDevResLimitType type, uint32_t *value) {
    return guarded("aclrtGetStreamResLimit", kRtInternal, [&] {
        if (value == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "aclrtGetStreamResLimit: value is null");
        int device = -1;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            std::shared_ptr<Stream> found = find_stream(stream);
            if (!found) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "aclrtGetStreamResLimit: %p is not a live stream", stream);
            device = found->device;
        }
        int rc = 0;
        const Geometry *g = require_geometry("aclrtGetStreamResLimit", device, kRtContextNull, &rc);
        if (g == nullptr) return rc;
        // Every core of the device is available to every stream.
        if (type == ACL_RT_DEV_RES_CUBE_CORE) {
            *value = static_cast<uint32_t>(g->config.max_block_dim * g->config.aic_per_block);
        } else if (type == ACL_RT_DEV_RES_VECTOR_CORE) {
            *value = static_cast<uint32_t>(g->config.max_block_dim * g->config.aiv_per_block);
        } else {
            return error(ACL_ERROR_RT_PARAM_INVALID, "aclrtGetStreamResLimit: unknown resource type %d", static_cast<int>(type));
        }
        return 0;
    });
}
