#include "lib/base/status_macros.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  LB_ASSIGN_OR_RETURN(int h, Half(x));
  LB_ASSIGN_OR_RETURN(h, Half(h));
  return h;
}

absl::Status CheckEven(int x) {
  LB_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST_CASE("status macros propagate errors and values") {
  CHECK(Quarter(8).value() == 2);
  CHECK_STATUS(Quarter(6), absl::StatusCode::kInvalidArgument, "odd");
  CHECK_OK(CheckEven(4));
  CHECK_STATUS(CheckEven(3), absl::StatusCode::kInvalidArgument, "odd");
}

absl::StatusOr<int> HalfOfField(int x) {
  LB_ASSIGN_OR_RETURN(int h, Annotate(Half(x), "field \"size\""));
  return h;
}

TEST_CASE("Annotate puts context before the message and keeps the code") {
  CHECK(HalfOfField(4).value() == 2);
  absl::StatusOr<int> bad = HalfOfField(3);
  CHECK_STATUS(bad, absl::StatusCode::kInvalidArgument, "field \"size\": odd");
  CHECK(Annotate(absl::OkStatus(), "ignored").ok());
  absl::Status s = Annotate(absl::NotFoundError("no lease"), "renewing");
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(s.message() == "renewing: no lease");
}

}  // namespace
}  // namespace lb
