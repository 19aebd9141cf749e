// DeviceActivity.cpp - the counters behind AWQ_CUDA_EMULATOR_STATS.
#include "DeviceActivity.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace awq::emu {
namespace {

struct Tally {
  long long count = 0;
  long long bytes = 0;
  void add(size_t more) {
    ++count;
    bytes += static_cast<long long>(more);
  }
};

struct Activity {
  std::mutex mutex;
  std::map<std::string, long long> launches;
  Tally hostToDevice, deviceToHost, deviceToDevice, otherCopies, memsets, allocations;
  long long synchronousCopies = 0, frees = 0, graphLaunches = 0, graphInstantiations = 0,
            graphUpdates = 0;
  std::map<std::string, long long> synchronizations;

  ~Activity() { report(); }

  void report() {
    const char *enabled = std::getenv("AWQ_CUDA_EMULATOR_STATS");
    if (!enabled || std::strcmp(enabled, "1") != 0)
      return;
    long long totalLaunches = 0;
    std::vector<std::pair<long long, std::string>> byCount;
    for (const auto &[name, count] : launches) {
      totalLaunches += count;
      byCount.emplace_back(count, name);
    }
    std::sort(byCount.rbegin(), byCount.rend());
    long long totalSyncs = synchronousCopies;
    for (const auto &entry : synchronizations)
      totalSyncs += entry.second;
    std::fprintf(stderr, "awq CUDA emulator: device activity\n");
    std::fprintf(stderr, "  kernel launches     %lld\n", totalLaunches);
    for (size_t i = 0; i < byCount.size() && i < 12; ++i)
      std::fprintf(stderr, "    %8lld  %s\n", byCount[i].first, byCount[i].second.c_str());
    auto copies = [](const char *what, const Tally &tally) {
      std::fprintf(stderr, "  %-19s %lld (%lld bytes)\n", what, tally.count, tally.bytes);
    };
    copies("copies host->device", hostToDevice);
    copies("copies device->host", deviceToHost);
    copies("copies device->device", deviceToDevice);
    if (otherCopies.count)
      copies("copies (default)", otherCopies);
    copies("memsets", memsets);
    std::fprintf(stderr, "  synchronizations    %lld (synchronous copies %lld", totalSyncs,
                 synchronousCopies);
    for (const auto &[call, count] : synchronizations)
      std::fprintf(stderr, ", %s %lld", call.c_str(), count);
    std::fprintf(stderr, ")\n");
    copies("allocations", allocations);
    std::fprintf(stderr, "  frees               %lld\n", frees);
    std::fprintf(stderr, "  graph launches      %lld (instantiations %lld, updates %lld)\n",
                 graphLaunches, graphInstantiations, graphUpdates);
  }
};

Activity &activity() {
  static Activity instance; // reports when the program exits
  return instance;
}

// Runs `change` on the counters under their lock.
template <class Change> void update(Change &&change) {
  Activity &a = activity();
  std::lock_guard<std::mutex> lock(a.mutex);
  change(a);
}
} // namespace

void countLaunch(const char *kernelName) {
  update([&](Activity &a) { ++a.launches[kernelName]; });
}

void countCopy(cudaMemcpyKind kind, size_t bytes, bool synchronous) {
  update([&](Activity &a) {
    switch (kind) {
    case cudaMemcpyHostToDevice: a.hostToDevice.add(bytes); break;
    case cudaMemcpyDeviceToHost: a.deviceToHost.add(bytes); break;
    case cudaMemcpyDeviceToDevice: a.deviceToDevice.add(bytes); break;
    default: a.otherCopies.add(bytes); break;
    }
    a.synchronousCopies += synchronous;
  });
}

void countMemset(size_t bytes) {
  update([&](Activity &a) { a.memsets.add(bytes); });
}

void countSynchronization(const char *call) {
  update([&](Activity &a) { ++a.synchronizations[call]; });
}

void countAllocation(size_t bytes) {
  update([&](Activity &a) { a.allocations.add(bytes); });
}

void countFree() {
  update([&](Activity &a) { ++a.frees; });
}

void countGraphLaunch() {
  update([&](Activity &a) { ++a.graphLaunches; });
}

void countGraphInstantiation() {
  update([&](Activity &a) { ++a.graphInstantiations; });
}

void countGraphUpdate() {
  update([&](Activity &a) { ++a.graphUpdates; });
}

} // namespace awq::emu
