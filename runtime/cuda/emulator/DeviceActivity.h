// DeviceActivity.h - what a program asked of the emulated device: kernel
// launches by kernel and stream copies (both counted as they run, so a CUDA
// graph's at each of its launches), synchronizations, allocations, graph
// launches, instantiations and updates. With AWQ_CUDA_EMULATOR_STATS=1 the totals go to stderr when
// the program exits: the emulator cannot say how fast a step would be on a
// GPU, but it can count the launches and host round trips that bound a small
// model's decode step there.
#ifndef AWQ_RUNTIME_CUDA_EMULATOR_DEVICEACTIVITY_H
#define AWQ_RUNTIME_CUDA_EMULATOR_DEVICEACTIVITY_H

#include <driver_types.h>

#include <cstddef>

namespace awq::emu {

void countLaunch(const char *kernelName);
void countCopy(cudaMemcpyKind kind, size_t bytes, bool synchronous);
void countMemset(size_t bytes);
// cudaStreamSynchronize, cudaDeviceSynchronize, cudaEventSynchronize.
void countSynchronization(const char *call);
void countAllocation(size_t bytes);
void countFree();
void countGraphLaunch();
void countGraphInstantiation();
void countGraphUpdate(); // a successful cudaGraphExecUpdate

} // namespace awq::emu

#endif // AWQ_RUNTIME_CUDA_EMULATOR_DEVICEACTIVITY_H
