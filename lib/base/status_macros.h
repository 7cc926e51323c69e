// lib/base/status_macros.h
//
// Status propagation in the shape of Abseil's later ABSL_RETURN_IF_ERROR /
// ABSL_ASSIGN_OR_RETURN (not in the Abseil this project builds against).
//
//   LB_RETURN_IF_ERROR(Validate(pool));
//   LB_ASSIGN_OR_RETURN(Prefix p, Prefix::Parse(text));

#ifndef LB_BASE_STATUS_MACROS_H_
#define LB_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the enclosing function if it is not OK.
#define LB_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::absl::Status lb_status_macro_status_ = (expr); \
    if (!lb_status_macro_status_.ok()) {             \
      return lb_status_macro_status_;                \
    }                                                \
  } while (false)

#define LB_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define LB_STATUS_MACROS_CONCAT_(x, y) LB_STATUS_MACROS_CONCAT_INNER_(x, y)

// Evaluates `expr` (a StatusOr<T>); on error returns its status, otherwise
// moves the value into `lhs` (a declaration or an existing variable).
#define LB_ASSIGN_OR_RETURN(lhs, expr) \
  LB_ASSIGN_OR_RETURN_IMPL_(           \
      LB_STATUS_MACROS_CONCAT_(lb_status_macro_or_, __LINE__), lhs, expr)

#define LB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // LB_BASE_STATUS_MACROS_H_
