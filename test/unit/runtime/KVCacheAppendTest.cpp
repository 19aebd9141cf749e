// KVCacheAppendTest.cpp - awq.kv_cache_append and awq.attention through their
// node entries with an allocator that hands out KV-cache memory (awq_node.h's
// allocate_cache / cache_capacity), as a compiled library does when it keeps
// the cache: rows appended in place step after step, the cache grown by
// copying when full, and the attention over the cache's capacity equal bit
// for bit to the attention over the concatenated (contiguous) tensors.
#include "NodeBlob.h"
#include "TestUtil.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

using namespace awq::test;

namespace {

// Gives each output its own tensor: contiguous everything (no cache functions).
struct TestAllocator {
  std::vector<std::unique_ptr<HostTensor>> tensors;
  awq_node_allocator abi{this, &TestAllocator::allocate, nullptr, nullptr};
  static void *allocate(void *context, awq_tensor *output) {
    auto *self = static_cast<TestAllocator *>(context);
    self->tensors.push_back(std::make_unique<HostTensor>(HostTensor::like(*output)));
    return self->tensors.back()->get()->data;
  }
};

std::vector<float> floatsOf(const awq_tensor &t) {
  const auto *data = static_cast<const float *>(t.data);
  return std::vector<float>(data, data + awq_tensor_numel(&t));
}

Shape shapeOfTensor(const awq_tensor &t) { return Shape(t.shape, t.shape + t.rank); }

// Outputs get their own tensors; caches get blocks of `capacity` rows per
// head that grow by doubling, extended in place while they have room.
struct CacheAllocator {
  struct Block {
    std::vector<float> memory;
    int64_t capacity = 0;
  };
  std::vector<std::unique_ptr<HostTensor>> tensors;
  std::map<const void *, std::unique_ptr<Block>> blocks;
  int64_t inPlace = 0, grown = 0;
  awq_node_allocator abi{this, &CacheAllocator::allocate, &CacheAllocator::allocateCache,
                         &CacheAllocator::cacheCapacity};

  static void *allocate(void *context, awq_tensor *output) {
    auto *self = static_cast<CacheAllocator *>(context);
    self->tensors.push_back(std::make_unique<HostTensor>(HostTensor::like(*output)));
    return self->tensors.back()->get()->data;
  }
  static void *allocateCache(void *context, const awq_tensor *past, awq_tensor *present,
                             int64_t *capacity) {
    auto *self = static_cast<CacheAllocator *>(context);
    const int64_t rows = present->shape[2];
    auto found = self->blocks.find(past->data);
    if (found != self->blocks.end() && found->second->capacity >= rows) {
      ++self->inPlace;
      *capacity = found->second->capacity;
      return found->second->memory.data();
    }
    ++self->grown;
    auto block = std::make_unique<Block>();
    block->capacity = std::max<int64_t>(rows, 2 * past->shape[2]);
    block->memory.assign(
        static_cast<size_t>(present->shape[0] * present->shape[1] * block->capacity *
                            present->shape[3]),
        -1.0f); // rows nobody wrote read as -1, which any mistake would show
    *capacity = block->capacity;
    void *data = block->memory.data();
    self->blocks[data] = std::move(block);
    return data;
  }
  static int64_t cacheCapacity(void *context, const void *data) {
    auto *self = static_cast<CacheAllocator *>(context);
    auto found = self->blocks.find(data);
    return found == self->blocks.end() ? 0 : found->second->capacity;
  }
};

// Runs the awq entry `opType` on `inputs`; the single output's descriptor.
awq_tensor runAwqNode(const char *opType, const NodeBlob &node,
                      const std::vector<const awq_tensor *> &inputs,
                      const awq_node_allocator &allocator) {
  awq_node_fn fn = awq_find_node_fn("awq", opType);
  EXPECT_NE(fn, nullptr) << opType;
  const std::vector<uint8_t> bytes = node.bytes();
  awq_tensor output{};
  EXPECT_EQ(fn(bytes.data(), inputs.data(), static_cast<int32_t>(inputs.size()), &output, 1,
               &allocator),
            0)
      << awq_last_error();
  return output;
}

// The logical [B, H, T, D] rows of a cache laid out with `capacity` rows per head.
std::vector<float> logicalRows(const awq_tensor &cache, int64_t capacity) {
  const int64_t heads = cache.shape[0] * cache.shape[1], rows = cache.shape[2],
                dim = cache.shape[3];
  const auto *data = static_cast<const float *>(cache.data);
  std::vector<float> values;
  for (int64_t h = 0; h < heads; ++h)
    values.insert(values.end(), data + h * capacity * dim, data + (h * capacity + rows) * dim);
  return values;
}

std::vector<float> concatRows(const std::vector<float> &past, const std::vector<float> &update,
                              int64_t heads, int64_t pastRows, int64_t updateRows, int64_t dim) {
  std::vector<float> values;
  for (int64_t h = 0; h < heads; ++h) {
    values.insert(values.end(), past.begin() + h * pastRows * dim,
                  past.begin() + (h + 1) * pastRows * dim);
    values.insert(values.end(), update.begin() + h * updateRows * dim,
                  update.begin() + (h + 1) * updateRows * dim);
  }
  return values;
}

} // namespace

TEST(KVCacheAppend, AppendsInPlaceAndAttentionReadsTheCapacity) {
  const int64_t batch = 2, kvHeads = 2, queryHeads = 4, dim = 8, prompt = 3, steps = 9;
  const int64_t heads = batch * kvHeads;
  CacheAllocator caches;
  // The cache as a contiguous tensor (what Concat gives) and as the node's.
  std::vector<float> expectedKeys, expectedValues;
  awq_tensor keys{}, values{};
  HostTensor emptyPast(AWQ_F32, {batch, kvHeads, 0, dim});
  keys = values = *emptyPast.get();
  int64_t rows = 0;
  for (int64_t step = 0; step <= steps; ++step) {
    const int64_t newRows = step == 0 ? prompt : 1;
    SCOPED_TRACE(testing::Message() << "step " << step);
    const HostTensor k = makeF32({batch, kvHeads, newRows, dim},
                                 randomFloats(heads * newRows * dim, 10 + step));
    const HostTensor v = makeF32({batch, kvHeads, newRows, dim},
                                 randomFloats(heads * newRows * dim, 50 + step));
    const HostTensor q = makeF32({batch, queryHeads, newRows, dim},
                                 randomFloats(batch * queryHeads * newRows * dim, 90 + step));
    // A causal additive mask over the logical keys [S, P + S].
    std::vector<float> maskValues;
    for (int64_t i = 0; i < newRows; ++i)
      for (int64_t j = 0; j < rows + newRows; ++j)
        maskValues.push_back(j <= rows + i ? 0.0f : -1e9f);
    const HostTensor mask = makeF32({newRows, rows + newRows}, maskValues);

    const void *before = keys.data;
    const awq_tensor presentKeys =
        runAwqNode("kv_cache_append", NodeBlob("kv_cache_append"), {&keys, k.get()}, caches.abi);
    const awq_tensor presentValues = runAwqNode("kv_cache_append", NodeBlob("kv_cache_append"),
                                                {&values, v.get()}, caches.abi);
    ASSERT_EQ(presentKeys.shape[2], rows + newRows);
    if (step > 0 && rows + newRows <= CacheAllocator::cacheCapacity(&caches, before))
      EXPECT_EQ(presentKeys.data, before) << "room was left: the rows go in place";
    expectedKeys = concatRows(expectedKeys, floatsOf(*k.get()), heads, rows, newRows, dim);
    expectedValues = concatRows(expectedValues, floatsOf(*v.get()), heads, rows, newRows, dim);
    const int64_t capacity = CacheAllocator::cacheCapacity(&caches, presentKeys.data);
    ASSERT_GE(capacity, rows + newRows);
    EXPECT_EQ(logicalRows(presentKeys, capacity), expectedKeys);
    EXPECT_EQ(logicalRows(presentValues, capacity), expectedValues);

    // Attention over the cache memory, then over contiguous copies.
    const awq_tensor attended =
        runAwqNode("attention", NodeBlob("attention").addFloat("scale", 0.25f),
                   {q.get(), &presentKeys, &presentValues, mask.get()}, caches.abi);
    const HostTensor contiguousKeys = makeF32(shapeOfTensor(presentKeys), expectedKeys);
    const HostTensor contiguousValues = makeF32(shapeOfTensor(presentValues), expectedValues);
    awq_tensor reference{};
    ASSERT_EQ(awq_attention_shape(q.get(), contiguousKeys.get(), contiguousValues.get(), mask.get(),
                                  0.25f, 0, 0, -1, AWQ_HEADS_BHSD, &reference),
              0);
    HostTensor referenceOut = HostTensor::like(reference);
    ASSERT_EQ(awq_attention(q.get(), contiguousKeys.get(), contiguousValues.get(), mask.get(),
                            0.25f, 0, 0, -1, AWQ_HEADS_BHSD, referenceOut.get()),
              0)
        << awq_last_error();
    EXPECT_EQ(floatsOf(attended), floatsOf(*referenceOut.get()));

    keys = presentKeys;
    values = presentValues;
    rows += newRows;
  }
  // 3 rows, then 6, then 12: three blocks per cache, the other steps in place.
  EXPECT_EQ(caches.grown, 2 * 3);
  EXPECT_EQ(caches.inPlace, 2 * (steps + 1 - 3));
}

TEST(KVCacheAppend, WithoutCacheFunctionsItIsAConcat) {
  TestAllocator plain;
  const HostTensor past = makeF32({1, 2, 2, 3}, randomFloats(12, 1));
  const HostTensor update = makeF32({1, 2, 1, 3}, randomFloats(6, 2));
  const awq_tensor present =
      runAwqNode("kv_cache_append", NodeBlob("kv_cache_append"), {past.get(), update.get()},
                 plain.abi);
  EXPECT_EQ(shapeOfTensor(present), (Shape{1, 2, 3, 3}));
  EXPECT_EQ(floatsOf(present),
            concatRows(floatsOf(*past.get()), floatsOf(*update.get()), 2, 2, 1, 3));
  // Mismatched heads name the problem.
  const HostTensor wrong = makeF32({1, 3, 1, 3}, randomFloats(9, 3));
  awq_node_fn fn = awq_find_node_fn("awq", "kv_cache_append");
  const std::vector<uint8_t> bytes = NodeBlob("kv_cache_append", "/k/append").bytes();
  const awq_tensor *inputs[] = {past.get(), wrong.get()};
  awq_tensor out{};
  EXPECT_NE(fn(bytes.data(), inputs, 2, &out, 1, &plain.abi), 0);
  EXPECT_NE(std::strstr(awq_last_error(), "kv_cache_append node '/k/append'"), nullptr)
      << awq_last_error();
}

namespace {

// `t` [A, B, C, D] as [A, C, B, D]: the head transpose.
HostTensor swapHeadsAndPositions(const awq_tensor &t) {
  const int64_t a = t.shape[0], b = t.shape[1], c = t.shape[2], d = t.shape[3];
  const std::vector<float> from = floatsOf(t);
  std::vector<float> to(from.size());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k)
        std::copy_n(from.begin() + ((i * b + j) * c + k) * d, d,
                    to.begin() + ((i * c + k) * b + j) * d);
  return makeF32({a, c, b, d}, to);
}

} // namespace

// awq-fuse-head-transposes' forms: the update and the query as projections
// write them, [B, S, H, D] (update_layout / query_layout = bshd), the result
// [B, S, H, D]. Step after step (a 20-row prompt, which takes attention's
// blocked prefill path, then single rows), grouped-query heads and a causal
// mask: the cache rows and the attention equal those of [B, H, S, D] inputs
// bit for bit.
TEST(KVCacheAppend, SequenceFirstInputsGiveTheSameBits) {
  const int64_t batch = 2, kvHeads = 2, queryHeads = 6, dim = 8, prompt = 20, steps = 4;
  CacheAllocator headsFirst, sequenceFirst;
  HostTensor emptyPast(AWQ_F32, {batch, kvHeads, 0, dim});
  awq_tensor keys[2] = {*emptyPast.get(), *emptyPast.get()};
  awq_tensor values[2] = {*emptyPast.get(), *emptyPast.get()};
  const NodeBlob append("kv_cache_append");
  const NodeBlob appendSequenceFirst =
      NodeBlob("kv_cache_append").addString("update_layout", "bshd");
  const NodeBlob attention = NodeBlob("attention").addFloat("scale", 0.25f);
  const NodeBlob attentionSequenceFirst =
      NodeBlob("attention").addFloat("scale", 0.25f).addString("query_layout", "bshd");
  int64_t rows = 0;
  for (int64_t step = 0; step <= steps; ++step) {
    const int64_t newRows = step == 0 ? prompt : 1;
    SCOPED_TRACE(testing::Message() << "step " << step);
    const HostTensor k = makeF32({batch, kvHeads, newRows, dim},
                                 randomFloats(batch * kvHeads * newRows * dim, 110 + step));
    const HostTensor v = makeF32({batch, kvHeads, newRows, dim},
                                 randomFloats(batch * kvHeads * newRows * dim, 150 + step));
    const HostTensor q = makeF32({batch, queryHeads, newRows, dim},
                                 randomFloats(batch * queryHeads * newRows * dim, 190 + step));
    const HostTensor kT = swapHeadsAndPositions(*k.get()), vT = swapHeadsAndPositions(*v.get());
    const HostTensor qT = swapHeadsAndPositions(*q.get());
    std::vector<float> maskValues;
    for (int64_t i = 0; i < newRows; ++i)
      for (int64_t j = 0; j < rows + newRows; ++j)
        maskValues.push_back(j <= rows + i ? 0.0f : -1e9f);
    const HostTensor mask = makeF32({newRows, rows + newRows}, maskValues);

    keys[0] = runAwqNode("kv_cache_append", append, {&keys[0], k.get()}, headsFirst.abi);
    values[0] = runAwqNode("kv_cache_append", append, {&values[0], v.get()}, headsFirst.abi);
    keys[1] = runAwqNode("kv_cache_append", appendSequenceFirst, {&keys[1], kT.get()},
                         sequenceFirst.abi);
    values[1] = runAwqNode("kv_cache_append", appendSequenceFirst, {&values[1], vT.get()},
                           sequenceFirst.abi);
    ASSERT_EQ(shapeOfTensor(keys[1]), shapeOfTensor(keys[0]));
    const int64_t capacity = CacheAllocator::cacheCapacity(&headsFirst, keys[0].data);
    ASSERT_EQ(CacheAllocator::cacheCapacity(&sequenceFirst, keys[1].data), capacity);
    EXPECT_EQ(logicalRows(keys[1], capacity), logicalRows(keys[0], capacity));
    EXPECT_EQ(logicalRows(values[1], capacity), logicalRows(values[0], capacity));

    const awq_tensor expected = runAwqNode("attention", attention,
                                           {q.get(), &keys[0], &values[0], mask.get()},
                                           headsFirst.abi);
    const awq_tensor attended = runAwqNode("attention", attentionSequenceFirst,
                                           {qT.get(), &keys[1], &values[1], mask.get()},
                                           sequenceFirst.abi);
    EXPECT_EQ(shapeOfTensor(attended), (Shape{batch, newRows, queryHeads, dim}));
    EXPECT_EQ(floatsOf(*swapHeadsAndPositions(attended).get()), floatsOf(expected));
    rows += newRows;
  }
  // An unknown layout is named.
  const NodeBlob bad = NodeBlob("kv_cache_append", "/k/append").addString("update_layout", "hbsd");
  awq_node_fn fn = awq_find_node_fn("awq", "kv_cache_append");
  const std::vector<uint8_t> bytes = bad.bytes();
  const HostTensor k = makeF32({batch, 1, kvHeads, dim}, randomFloats(batch * kvHeads * dim, 7));
  const awq_tensor *inputs[] = {&keys[1], k.get()};
  awq_tensor out{};
  EXPECT_NE(fn(bytes.data(), inputs, 2, &out, 1, &sequenceFirst.abi), 0);
  EXPECT_NE(std::strstr(awq_last_error(), "unknown update_layout 'hbsd' (expected bhsd or bshd)"),
            nullptr)
      << awq_last_error();
}
