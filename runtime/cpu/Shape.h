// Shape.h - a tensor's dims (or per-dim strides) without a heap allocation.
//
// Every node call builds a few of these (shape checks, broadcasting, strided
// views), and a tensor has at most AWQ_MAX_RANK dims; as std::vector each was
// a malloc and a free, a measurable part of a small model's decode step. The
// first kInlineDims values live inside the object; longer lists (lists of
// axes or indices that are not dims) move to the heap.
#ifndef AWQ_RUNTIME_CPU_SHAPE_H
#define AWQ_RUNTIME_CPU_SHAPE_H

#include "awq_runtime.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <vector>

namespace awq::rt {

class Shape {
public:
  using value_type = int64_t;
  using size_type = size_t;
  using iterator = int64_t *;
  using const_iterator = const int64_t *;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;
  static constexpr size_t kInlineDims = AWQ_MAX_RANK;

  Shape() = default;
  explicit Shape(size_t count, int64_t value = 0) { assign(count, value); }
  Shape(std::initializer_list<int64_t> values) { assign(values.begin(), values.end()); }
  template <class InputIt, class = typename std::iterator_traits<InputIt>::iterator_category>
  Shape(InputIt first, InputIt last) {
    assign(first, last);
  }
  Shape(const Shape &other) { assign(other.begin(), other.end()); }
  Shape &operator=(const Shape &other) {
    if (this != &other)
      assign(other.begin(), other.end());
    return *this;
  }
  Shape(Shape &&other) noexcept { *this = std::move(other); }
  Shape &operator=(Shape &&other) noexcept {
    if (this == &other)
      return *this;
    size_ = other.size_;
    if (other.onHeap()) {
      heap_ = std::move(other.heap_);
    } else {
      heap_.clear();
      std::copy(other.inline_, other.inline_ + size_, inline_);
    }
    other.size_ = 0;
    other.heap_.clear();
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t *data() { return onHeap() ? heap_.data() : inline_; }
  const int64_t *data() const { return onHeap() ? heap_.data() : inline_; }
  int64_t &operator[](size_t i) { return data()[i]; }
  const int64_t &operator[](size_t i) const { return data()[i]; }
  int64_t &front() { return data()[0]; }
  const int64_t &front() const { return data()[0]; }
  int64_t &back() { return data()[size_ - 1]; }
  const int64_t &back() const { return data()[size_ - 1]; }
  iterator begin() { return data(); }
  iterator end() { return data() + size_; }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size_; }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  void clear() { resize(0); }
  void reserve(size_t) {} // the inline room is enough for any tensor's dims
  void resize(size_t count, int64_t value = 0) {
    if (count > kInlineDims && !onHeap())
      heap_.assign(inline_, inline_ + size_);
    if (onHeap() || count > kInlineDims) {
      heap_.resize(count, value);
    } else {
      std::fill(inline_ + std::min(size_, count), inline_ + count, value);
    }
    size_ = count;
    if (size_ <= kInlineDims && !heap_.empty()) { // shrunk back into the object
      std::copy(heap_.begin(), heap_.begin() + static_cast<std::ptrdiff_t>(size_), inline_);
      heap_.clear();
    }
  }
  void assign(size_t count, int64_t value) {
    resize(0);
    resize(count, value);
  }
  template <class InputIt, class = typename std::iterator_traits<InputIt>::iterator_category>
  void assign(InputIt first, InputIt last) {
    const size_t count = static_cast<size_t>(std::distance(first, last));
    heap_.clear();
    size_ = 0;
    if (count > kInlineDims) {
      heap_.assign(first, last);
    } else {
      std::copy(first, last, inline_);
    }
    size_ = count;
  }
  void push_back(int64_t value) {
    resize(size_ + 1);
    back() = value;
  }
  void pop_back() { resize(size_ - 1); }
  iterator insert(const_iterator position, int64_t value) {
    return insert(position, size_t{1}, value);
  }
  iterator insert(const_iterator position, size_t count, int64_t value) {
    const size_t index = static_cast<size_t>(position - begin());
    resize(size_ + count);
    int64_t *at = data() + index;
    std::move_backward(at, end() - count, end());
    std::fill(at, at + count, value);
    return at;
  }
  template <class InputIt, class = typename std::iterator_traits<InputIt>::iterator_category>
  iterator insert(const_iterator position, InputIt first, InputIt last) {
    const std::vector<int64_t> values(first, last); // first..last may point into *this
    const size_t index = static_cast<size_t>(position - begin());
    resize(size_ + values.size());
    int64_t *at = data() + index;
    std::move_backward(at, end() - values.size(), end());
    std::copy(values.begin(), values.end(), at);
    return at;
  }
  iterator erase(const_iterator position) { return erase(position, position + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    const size_t index = static_cast<size_t>(first - begin());
    const size_t count = static_cast<size_t>(last - first);
    std::move(begin() + index + count, end(), begin() + index);
    resize(size_ - count);
    return begin() + index;
  }

  friend bool operator==(const Shape &a, const Shape &b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Shape &a, const Shape &b) { return !(a == b); }

private:
  bool onHeap() const { return size_ > kInlineDims; }

  size_t size_ = 0;
  int64_t inline_[kInlineDims] = {};
  std::vector<int64_t> heap_; // the values when there are more than kInlineDims
};

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_SHAPE_H
