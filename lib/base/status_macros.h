// lib/base/status_macros.h
//
// Status propagation in the shape of Abseil's later ABSL_RETURN_IF_ERROR /
// ABSL_ASSIGN_OR_RETURN (not in the Abseil this project builds against).
//
//   LB_RETURN_IF_ERROR(Validate(pool));
//   LB_ASSIGN_OR_RETURN(Prefix p, Prefix::Parse(text));
//   LB_RETURN_IF_ERROR(Annotate(Load(path), absl::StrCat("reading ", path)));
//   LB_ASSIGN_OR_RETURN(Config c, Annotate(Parse(text), "kubeconfig"));

#ifndef LB_BASE_STATUS_MACROS_H_
#define LB_BASE_STATUS_MACROS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lb {

// `status` with "context: " put before its message and its code kept; an OK
// status is returned unchanged.
inline absl::Status Annotate(const absl::Status& status,
                             absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

// The same for a StatusOr: its value passes through untouched.
template <typename T>
absl::StatusOr<T> Annotate(absl::StatusOr<T> value, absl::string_view context) {
  if (value.ok()) return value;
  return Annotate(value.status(), context);
}

}  // namespace lb

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
