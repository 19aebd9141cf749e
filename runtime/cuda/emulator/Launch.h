// Launch.h - kernel launches and the stream work queue of the emulated CUDA
// runtime (EmulatedRuntime.cpp): what `kernel<<<...>>>(args)` becomes, and
// what emulated cuBLAS calls enqueue.
#ifndef AWQ_RUNTIME_CUDA_EMULATOR_LAUNCH_H
#define AWQ_RUNTIME_CUDA_EMULATOR_LAUNCH_H

#include "Scheduler.h"

#include <driver_types.h>

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace awq::emu {

// Work on a stream: runs at once (every emulated stream is synchronous), or
// is recorded while the stream is being captured into a CUDA graph and runs
// at each launch of that graph. It returns an empty string or a fault, which
// becomes the context's sticky cudaErrorLaunchFailure.
using StreamWork = std::function<std::string()>;
// `node` names the kind of graph node the work becomes when captured
// ("kernel", "memcpy HtoD", "memcpy2D DtoH", "memset", ...):
// cudaGraphExecUpdate accepts a graph whose nodes have the same kinds in the
// same order, as a GPU requires (a kernel node may change its function and
// parameters, a copy its addresses, not its directions or dimensions).
void enqueue(cudaStream_t stream, StreamWork work, const char *node = "kernel");

// Checks the configuration (returning the launch error cudaGetLastError will
// report, as a GPU does) and enqueues the grid.
void launchGrid(cudaStream_t stream, const void *kernel, GridLaunch launch);

template <class... Params, class... Args>
void launch(const char *name, void (*kernel)(Params...), dim3 grid, dim3 block,
            size_t sharedBytes, cudaStream_t stream, Args &&...args) {
  // The arguments are converted and copied at launch, as a GPU copies its
  // parameter buffer; each thread then gets its own copy.
  auto parameters =
      std::make_shared<std::tuple<std::decay_t<Params>...>>(std::forward<Args>(args)...);
  GridLaunch launch{name, grid, block, sharedBytes, [kernel, parameters] {
                      std::tuple<std::decay_t<Params>...> copy = *parameters;
                      std::apply(kernel, copy);
                    }};
  launchGrid(stream, reinterpret_cast<const void *>(kernel), std::move(launch));
}

} // namespace awq::emu

#endif // AWQ_RUNTIME_CUDA_EMULATOR_LAUNCH_H
