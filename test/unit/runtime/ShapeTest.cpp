// ShapeTest.cpp - awq::rt::Shape, the runtime's dims list: the std::vector
// operations the runtime uses give std::vector's results, inside the object
// up to AWQ_MAX_RANK values and on the heap beyond (and back).
#include "Shape.h"

#include <gtest/gtest.h>

#include <vector>

using awq::rt::Shape;

namespace {

std::vector<int64_t> values(const Shape &shape) {
  return std::vector<int64_t>(shape.begin(), shape.end());
}

} // namespace

TEST(Shape, BuildsAndComparesLikeAVector) {
  EXPECT_TRUE(Shape().empty());
  EXPECT_EQ(values(Shape{2, 3, 4}), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(values(Shape(3, 7)), (std::vector<int64_t>{7, 7, 7}));
  const int64_t dims[] = {5, 6};
  EXPECT_EQ(values(Shape(dims, dims + 2)), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(Shape({1, 2}), Shape({1, 2}));
  EXPECT_NE(Shape({1, 2}), Shape({1, 2, 3}));
  EXPECT_NE(Shape({1, 2}), Shape({1, 3}));
  Shape a{1, 2, 3};
  Shape b = a, c = std::move(a);
  EXPECT_EQ(values(b), values(c));
  EXPECT_EQ(b.back(), 3);
  EXPECT_EQ(b.front(), 1);
}

// Every edit, done on a Shape and on a std::vector, across the inline limit.
TEST(Shape, EditsMatchAVectorAcrossTheInlineLimit) {
  Shape shape;
  std::vector<int64_t> vector;
  for (int64_t i = 0; i < 20; ++i) {
    shape.push_back(i);
    vector.push_back(i);
    ASSERT_EQ(values(shape), vector) << "push_back " << i;
  }
  shape.insert(shape.begin() + 3, 100);
  vector.insert(vector.begin() + 3, 100);
  EXPECT_EQ(values(shape), vector);
  shape.insert(shape.begin(), 2, -1);
  vector.insert(vector.begin(), 2, -1);
  EXPECT_EQ(values(shape), vector);
  const Shape extra{7, 8, 9};
  shape.insert(shape.end() - 1, extra.begin(), extra.end());
  vector.insert(vector.end() - 1, extra.begin(), extra.end());
  EXPECT_EQ(values(shape), vector);
  // Erasing back under the limit moves the values into the object.
  shape.erase(shape.begin() + 1, shape.begin() + 20);
  vector.erase(vector.begin() + 1, vector.begin() + 20);
  EXPECT_EQ(values(shape), vector);
  ASSERT_LE(shape.size(), Shape::kInlineDims);
  shape.erase(shape.begin());
  vector.erase(vector.begin());
  EXPECT_EQ(values(shape), vector);
  shape.resize(12, 4);
  vector.resize(12, 4);
  EXPECT_EQ(values(shape), vector);
  shape.pop_back();
  vector.pop_back();
  EXPECT_EQ(values(shape), vector);
  shape.assign(3, 9);
  vector.assign(3, 9);
  EXPECT_EQ(values(shape), vector);
  // A copy and a move of a long shape.
  Shape longShape(11, 2);
  Shape copied = longShape, moved = std::move(longShape);
  EXPECT_EQ(values(copied), std::vector<int64_t>(11, 2));
  EXPECT_EQ(values(moved), std::vector<int64_t>(11, 2));
  // Inserting a shape's own values into it.
  Shape self{1, 2, 3};
  self.insert(self.begin(), self.begin(), self.end());
  EXPECT_EQ(values(self), (std::vector<int64_t>{1, 2, 3, 1, 2, 3}));
  self.clear();
  EXPECT_TRUE(self.empty());
}
