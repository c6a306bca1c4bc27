// A large immutable value passed between actors by reference: within a node a
// message holding it copies one pointer; across the network it travels as the
// value itself.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include <caf/detail/scope_guard.hpp>
#include <caf/meta/type_name.hpp>

namespace ce {

template <class T>
class shared {
 public:
  shared() : ptr_(std::make_shared<const T>()) {}
  explicit shared(T value) : ptr_(std::make_shared<const T>(std::move(value))) {}
  /// Shares a value someone else owns already (a memo entry, or a part of one).
  explicit shared(std::shared_ptr<const T> ptr) : ptr_(std::move(ptr)) {}

  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_.get(); }
  const T& get() const { return *ptr_; }

  template <class Inspector, class U>
  friend typename std::enable_if<Inspector::reads_state, typename Inspector::result_type>::type
  inspect(Inspector& f, shared<U>& x);
  template <class Inspector, class U>
  friend typename std::enable_if<Inspector::writes_state, typename Inspector::result_type>::type
  inspect(Inspector& f, shared<U>& x);

 private:
  std::shared_ptr<const T> ptr_;
};

/// Writing (serializing, printing): the value the pointer holds.
template <class Inspector, class U>
typename std::enable_if<Inspector::reads_state, typename Inspector::result_type>::type inspect(
    Inspector& f, shared<U>& x) {
  return f(caf::meta::type_name("shared"), const_cast<U&>(*x.ptr_));
}

/// Reading (deserializing): a fresh value, shared from then on.
template <class Inspector, class U>
typename std::enable_if<Inspector::writes_state, typename Inspector::result_type>::type inspect(
    Inspector& f, shared<U>& x) {
  U value;
  auto publish = caf::detail::make_scope_guard([&] { x = shared<U>(std::move(value)); });
  return f(caf::meta::type_name("shared"), value);
}

}  // namespace ce
