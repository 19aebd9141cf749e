// NodeCall.h - what every operator entry of awq_node.h shares: decoding the
// node, reading its inputs, allocating its outputs, and reporting errors as
// "<op type> node '<name>': <message>".
#ifndef AWQ_RUNTIME_CPU_NODES_NODECALL_H
#define AWQ_RUNTIME_CPU_NODES_NODECALL_H

// Entries report errors with raise() and use the descriptor helpers.
#include "../RuntimeInternal.h"
#include "NodeEntries.h"
#include "NodeReader.h"

#include <vector>

namespace awq::rt {

// One call of an operator entry: the decoded node plus the caller's tensors.
// Every check throws OpError; runNode turns that into the entry's status.
class NodeCall {
public:
  NodeCall(const NodeReader &node, const awq_tensor *const *inputs, int32_t numInputs,
           awq_tensor *outputs, int32_t numOutputs, const awq_node_allocator *allocator);

  const NodeReader &node;

  int32_t numInputs() const { return numInputs_; }
  int32_t numOutputs() const { return numOutputs_; }
  // Input `index`; throws "input #<index> is required" when absent.
  const awq_tensor *input(int32_t index) const;
  // Input `index`, or nullptr when absent (an optional input).
  const awq_tensor *optionalInput(int32_t index) const;

  // Throws unless the node has exactly `count` outputs.
  void expectOutputs(int32_t count) const;
  awq_tensor *output(int32_t index) const { return &outputs_[index]; }
  // Gets memory for an output whose dtype and shape are set.
  void allocate(awq_tensor *out) const;
  // The caller's allocator (for its optional KV-cache functions).
  const awq_node_allocator &allocator() const { return *allocator_; }
  // Rows per head of a [B, H, T, D] tensor's memory: the capacity the
  // allocator gave it when it is KV-cache memory (awq_node.h), else T.
  int64_t rowsPerHead(const awq_tensor *tensor) const;
  // awq.kv_cache_append's output: describes present = Concat(past, update,
  // axis 2) and gets its memory, KV-cache memory with room to grow when the
  // allocator has the cache functions, else plain. Returns its rows per head.
  int64_t allocateAppendedCache(const awq_tensor *past, const awq_tensor *update,
                                awq_tensor *present) const;

  // The common case of one output: shapeFn(out) describes it, the allocator
  // provides it, computeFn(out) fills it. Both return an awq_status.
  template <class ShapeFn, class ComputeFn>
  void runSingle(ShapeFn &&shapeFn, ComputeFn &&computeFn) {
    expectOutputs(1);
    awq_tensor *out = output(0);
    check(shapeFn(out));
    allocate(out);
    check(computeFn(out));
  }

  // The same for two outputs (the fused residual norms: sum, then norm).
  template <class ShapeFn, class ComputeFn>
  void runPair(ShapeFn &&shapeFn, ComputeFn &&computeFn) {
    expectOutputs(2);
    awq_tensor *first = output(0), *second = output(1);
    check(shapeFn(first, second));
    allocate(first);
    allocate(second);
    check(computeFn(first, second));
  }

  // Throws the runtime's last error when a call into awq_runtime.h failed.
  static void check(awq_status status);

private:
  const awq_tensor *const *inputs_;
  int32_t numInputs_;
  awq_tensor *outputs_;
  int32_t numOutputs_;
  const awq_node_allocator *allocator_;
};

// The integers of a small i64/i32 tensor (shapes, axes, indices).
std::vector<int64_t> readIntegers(const awq_tensor *tensor, const char *what);
// A Reduce* node's axes: its optional input `inputIndex` (newer opsets) or
// its INTS attribute (older ones); empty when neither is present.
std::vector<int64_t> readReduceAxes(const NodeCall &call, int32_t inputIndex);
// A one-element tensor of any numeric dtype as a double (Range, Trilu's k).
double readScalar(const awq_tensor *tensor, const char *what);
// A Trilu node's diagonal offset k (optional input 1, default 0) and which
// triangle it keeps (attribute upper, default 1).
struct TriluArguments {
  int64_t k = 0;
  int upper = 1;
};
TriluArguments readTriluArguments(const NodeCall &call);

// awq.attention's scale: the literal factor on q.k (awq_attention reads a
// scale <= 0 as 1/sqrt(D), so a non-positive one is an error here).
float readAttentionScale(const NodeCall &call);

// awq.rotary_embedding's layout, from its keyword (half_split, interleaved).
awq_rope_layout readRotaryLayout(const NodeCall &call);
// awq.attention's query_layout / awq.kv_cache_append's update_layout
// (`attribute`): "bhsd" when absent, or "bshd".
awq_head_layout readHeadLayout(const NodeCall &call, const char *attribute);
// awq.kv_cache_append's update (input 1, rank 4): `headsFirst` is its
// descriptor with the shape as [B, H, S, D] (the data unchanged), and
// `sequenceFirst` says the data is [B, S, H, D] (update_layout bshd).
struct CacheUpdate {
  awq_tensor headsFirst;
  bool sequenceFirst;
};
CacheUpdate readCacheUpdate(const NodeCall &call);

using NodeBody = void (*)(NodeCall &call);

// Decodes `node`, runs `body`, and returns its status; on failure the
// thread's last error reads "<op type> node '<name>': <message>" (with
// `entryOpType` standing in while the node cannot be decoded).
awq_status runNode(const char *entryOpType, NodeBody body, const uint8_t *node,
                   const awq_tensor *const *inputs, int32_t numInputs, awq_tensor *outputs,
                   int32_t numOutputs, const awq_node_allocator *allocator) noexcept;

} // namespace awq::rt

// Defines the exported entry awq_node_<prefix>_<opType> (see awq_node.h) as a
// call of `body`, a function or template instance taking NodeCall &.
#define AWQ_DEFINE_NODE(prefix, opType, body)                                                      \
  extern "C" awq_status awq_node_##prefix##_##opType(                                              \
      const uint8_t *node, const awq_tensor *const *inputs, int32_t numInputs,                     \
      awq_tensor *outputs, int32_t numOutputs, const awq_node_allocator *allocator) {              \
    return awq::rt::runNode(#opType, body, node, inputs, numInputs, outputs, numOutputs,           \
                            allocator);                                                            \
  }

#endif // AWQ_RUNTIME_CPU_NODES_NODECALL_H
