// tests/status_matchers.h
//
// doctest helpers for absl::Status and absl::StatusOr.
//
//   CHECK_OK(allocator.Release("default/nginx"));
//   ASSIGN_OR_FAIL(Prefix p, Prefix::Parse("10.0.0.0/8"));
//   CHECK_STATUS(result, absl::StatusCode::kInvalidArgument, "overlaps");

#ifndef LB_TESTS_STATUS_MATCHERS_H_
#define LB_TESTS_STATUS_MATCHERS_H_

#include <doctest/doctest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"

namespace lb::testing {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace lb::testing

// Checks that a Status / StatusOr is OK; prints the status otherwise.
#define CHECK_OK(expr)                                    \
  do {                                                    \
    const auto& lb_check_ok_ = (expr);                    \
    const std::string lb_check_ok_text_ =                 \
        ::lb::testing::StatusOf(lb_check_ok_).ToString(); \
    INFO("status: ", lb_check_ok_text_);                  \
    CHECK(::lb::testing::StatusOf(lb_check_ok_).ok());    \
  } while (false)

#define REQUIRE_OK(expr)                                    \
  do {                                                      \
    const auto& lb_require_ok_ = (expr);                    \
    const std::string lb_require_ok_text_ =                 \
        ::lb::testing::StatusOf(lb_require_ok_).ToString(); \
    INFO("status: ", lb_require_ok_text_);                  \
    REQUIRE(::lb::testing::StatusOf(lb_require_ok_).ok());  \
  } while (false)

// Checks the code of a Status / StatusOr and that its message contains
// `substr`.
#define CHECK_STATUS(expr, status_code, substr)                             \
  do {                                                                      \
    const auto& lb_check_st_value_ = (expr);                                \
    const auto& lb_check_st_ = ::lb::testing::StatusOf(lb_check_st_value_); \
    const std::string lb_check_st_text_ = lb_check_st_.ToString();          \
    INFO("status: ", lb_check_st_text_);                                    \
    CHECK(lb_check_st_.code() == (status_code));                            \
    CHECK(absl::StrContains(lb_check_st_.message(), (substr)));             \
  } while (false)

#define LB_TESTS_CONCAT_INNER_(x, y) x##y
#define LB_TESTS_CONCAT_(x, y) LB_TESTS_CONCAT_INNER_(x, y)

// Requires a StatusOr to be OK and moves its value into `lhs`.
#define ASSIGN_OR_FAIL(lhs, expr)                                           \
  ASSIGN_OR_FAIL_IMPL_(LB_TESTS_CONCAT_(lb_assign_or_fail_, __LINE__), lhs, \
                       expr)
#define ASSIGN_OR_FAIL_IMPL_(var, lhs, expr) \
  auto var = (expr);                         \
  REQUIRE_OK(var);                           \
  lhs = std::move(var).value()

#endif  // LB_TESTS_STATUS_MATCHERS_H_
