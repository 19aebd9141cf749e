// ViewNodes.h - the nodes whose outputs are strided views of their first
// input (Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
// Slice, Split, Expand). Reading a node's attributes and inputs into views is
// shared by the CPU entries, which copy the views on the host, and the CUDA
// entries, which copy them on the device.
#ifndef AWQ_RUNTIME_CPU_NODES_VIEWNODES_H
#define AWQ_RUNTIME_CPU_NODES_VIEWNODES_H

#include "NodeCall.h"

#include <vector>

namespace awq::rt {

// One view of input 0 per output of the node (checked as the op's shape
// function checks its arguments).
using ViewsFn = std::vector<StridedView> (*)(NodeCall &call);

std::vector<StridedView> identityNodeViews(NodeCall &call);
std::vector<StridedView> reshapeNodeViews(NodeCall &call);
std::vector<StridedView> flattenNodeViews(NodeCall &call);
std::vector<StridedView> squeezeNodeViews(NodeCall &call);
std::vector<StridedView> unsqueezeNodeViews(NodeCall &call);
std::vector<StridedView> transposeNodeViews(NodeCall &call);
std::vector<StridedView> sliceNodeViews(NodeCall &call);
std::vector<StridedView> splitNodeViews(NodeCall &call);
std::vector<StridedView> expandNodeViews(NodeCall &call);

// Sets every output to input 0's dtype and its view's shape and allocates it.
void allocateViewOutputs(NodeCall &call, const std::vector<StridedView> &views);

// The CPU entry of a view node: the views copied on the host.
template <ViewsFn Views> void copyViewsOnHost(NodeCall &call) {
  const std::vector<StridedView> views = Views(call);
  checkData(call.input(0), "data");
  allocateViewOutputs(call, views);
  for (size_t i = 0; i < views.size(); ++i)
    copyView(call.input(0), views[i], call.output(static_cast<int32_t>(i))->data);
}

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_NODES_VIEWNODES_H
