// MemoryPlanTest.cpp - the compiled model's buffer sharing
// (lib/Conversion/AWQToRuntime/MemoryPlan.h): dead tensors hand their buffer
// on, live ones never share, and a reshape's result stays in its operand's
// buffer until both are dead.
#include "MemoryPlan.h"

#include <gtest/gtest.h>

using namespace awq;

namespace {

PlannedStep step(std::initializer_list<int32_t> operands, std::initializer_list<int32_t> results,
                 int64_t bytes = 64, bool reshapes = false) {
  PlannedStep planned;
  planned.operands.assign(operands);
  planned.results.assign(results);
  planned.resultBytes.assign(planned.results.size(), bytes);
  planned.resultReshapesFirstOperand = reshapes;
  return planned;
}

} // namespace

TEST(MemoryPlan, DeadTensorsHandTheirBufferOn) {
  // Slot 0 is an input. 1 = f(0), 2 = g(1), 3 = h(2): 1 is dead once 2
  // exists, so 3 reuses its buffer; 2 and 3 never share (2 is read by h).
  const PlannedStep steps[] = {step({0}, {1}), step({1}, {2}), step({2}, {3})};
  const MemoryPlan plan = planMemory(4, steps, {3});
  EXPECT_EQ(plan.slotBuffers[0], -1);
  EXPECT_NE(plan.slotBuffers[1], plan.slotBuffers[2]);
  EXPECT_NE(plan.slotBuffers[2], plan.slotBuffers[3]);
  EXPECT_EQ(plan.slotBuffers[3], plan.slotBuffers[1]);
  EXPECT_EQ(plan.numBuffers, 2);
}

TEST(MemoryPlan, ReshapeSharesItsOperandsBufferUntilBothAreDead) {
  // 1 = f(0); 2 = Reshape(1); 3 = g(2, 1) reads both; 4 = h(3); 5 = k(4).
  // 2 lives in 1's buffer; that buffer is free only after g (the last read
  // of either), so 4 may take it but 3 may not.
  const PlannedStep steps[] = {step({0}, {1}), step({1}, {2}, 64, true), step({2, 1}, {3}),
                               step({3}, {4}), step({4}, {5})};
  const MemoryPlan plan = planMemory(6, steps, {5});
  EXPECT_EQ(plan.slotBuffers[2], plan.slotBuffers[1]);
  EXPECT_NE(plan.slotBuffers[3], plan.slotBuffers[1]);
  EXPECT_EQ(plan.slotBuffers[4], plan.slotBuffers[1]);
  EXPECT_NE(plan.slotBuffers[5], plan.slotBuffers[4]);
}

TEST(MemoryPlan, ReshapeOfALiveOperandKeepsTheBufferBusy) {
  // The reshape's operand 1 is read again after the reshape's result dies:
  // 1 = f(0); 2 = Reshape(1); 3 = g(2); 4 = h(1, 3); 5 = k(4).
  const PlannedStep steps[] = {step({0}, {1}), step({1}, {2}, 64, true), step({2}, {3}),
                               step({1, 3}, {4}), step({4}, {5})};
  const MemoryPlan plan = planMemory(6, steps, {5});
  EXPECT_EQ(plan.slotBuffers[2], plan.slotBuffers[1]);
  // 3 and 4 are made while 1 is still to be read: neither may take its buffer.
  EXPECT_NE(plan.slotBuffers[3], plan.slotBuffers[1]);
  EXPECT_NE(plan.slotBuffers[4], plan.slotBuffers[1]);
  EXPECT_EQ(plan.slotBuffers[5], plan.slotBuffers[1]);
}

TEST(MemoryPlan, ReshapesOfInputsAndOutputsStayCorrect) {
  // A reshape of a model input (slot 0, no buffer) gets a buffer of its own;
  // a reshape of a model output shares the output's buffer, which is never
  // given up: 1 = f(0) (an output); 2 = Reshape(0); 3 = Reshape(1); 4 = g(2, 3).
  const PlannedStep steps[] = {step({0}, {1}), step({0}, {2}, 64, true),
                               step({1}, {3}, 64, true), step({2, 3}, {4})};
  const MemoryPlan plan = planMemory(5, steps, {1, 4});
  EXPECT_GE(plan.slotBuffers[2], 0);
  EXPECT_NE(plan.slotBuffers[2], plan.slotBuffers[1]);
  EXPECT_EQ(plan.slotBuffers[3], plan.slotBuffers[1]);
  EXPECT_NE(plan.slotBuffers[4], plan.slotBuffers[1]);
  EXPECT_NE(plan.slotBuffers[4], plan.slotBuffers[2]);
}
