#include "cmd/common/flags.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/status_matchers.h"

namespace lb::cmd {
namespace {

struct Options {
  std::string node = "default-node";
  int port = 7472;
  double qps = 20;
  int burst = 40;
  bool plaintext = false;
  bool elect = true;
};

FlagSet Define(Options& o) {
  FlagSet f("speaker", "Answers ARP.", {"speaker --check FILE"});
  f.String("node-name", "NAME", &o.node, "this node\n(default $NODE)");
  f.Port("port", &o.port, "/metrics (default 7472)");
  f.PositiveDouble("api-qps", "N", &o.qps, "request rate");
  f.PositiveInt("api-burst", "N", &o.burst, "burst");
  f.Bool("channel-plaintext", &o.plaintext, "no TLS");
  f.Bool("leader-elect", &o.elect, "hold the Lease");
  f.Ignored("logtostderr");
  return f;
}

absl::StatusOr<bool> Run(Options& o, std::vector<const char*> args) {
  args.insert(args.begin(), "speaker");
  FlagSet f = Define(o);
  return f.Parse(static_cast<int>(args.size()), args.data());
}

TEST_CASE("values come after a space or an equals sign; booleans stand alone") {
  Options o;
  ASSIGN_OR_FAIL(bool run,
                 Run(o, {"--node-name", "n1", "--port=0", "--api-qps", "2.5",
                         "--api-burst=7", "--channel-plaintext",
                         "--leader-elect=false", "--logtostderr"}));
  CHECK(run);
  CHECK(o.node == "n1");
  CHECK(o.port == 0);
  CHECK(o.qps == 2.5);
  CHECK(o.burst == 7);
  CHECK(o.plaintext);
  CHECK_FALSE(o.elect);
}

TEST_CASE("flags not given keep their defaults") {
  Options o;
  ASSIGN_OR_FAIL(bool run, Run(o, {}));
  CHECK(run);
  CHECK(o.node == "default-node");
  CHECK(o.port == 7472);
  CHECK(o.elect);
}

TEST_CASE("--help and -h ask for the usage text") {
  Options o;
  ASSIGN_OR_FAIL(bool run, Run(o, {"--port=1", "--help"}));
  CHECK_FALSE(run);
  ASSIGN_OR_FAIL(run, Run(o, {"-h"}));
  CHECK_FALSE(run);
}

TEST_CASE("bad flags and values are refused by name") {
  Options o;
  CHECK_STATUS(Run(o, {"--nope"}), absl::StatusCode::kInvalidArgument,
               "unknown flag --nope");
  CHECK_STATUS(Run(o, {"stray"}), absl::StatusCode::kInvalidArgument,
               "unexpected argument \"stray\"");
  CHECK_STATUS(Run(o, {"--port", "65536"}), absl::StatusCode::kInvalidArgument,
               "--port takes a port number, not \"65536\"");
  CHECK_STATUS(Run(o, {"--port=x"}), absl::StatusCode::kInvalidArgument,
               "--port takes a port number");
  CHECK_STATUS(Run(o, {"--api-qps=0"}), absl::StatusCode::kInvalidArgument,
               "--api-qps takes a positive number");
  CHECK_STATUS(Run(o, {"--api-burst=1.5"}), absl::StatusCode::kInvalidArgument,
               "--api-burst takes a positive whole number");
  CHECK_STATUS(Run(o, {"--leader-elect=yes"}),
               absl::StatusCode::kInvalidArgument,
               "--leader-elect takes true or false, not \"yes\"");
  CHECK_STATUS(Run(o, {"--node-name"}), absl::StatusCode::kInvalidArgument,
               "flag --node-name needs a value");
}

TEST_CASE("the usage text lists every flag in order, help aligned") {
  Options o;
  std::string usage = Define(o).Usage();
  CHECK(absl::StartsWith(usage,
                         "usage: speaker [flags]\n"
                         "       speaker --check FILE\n"
                         "\n"
                         "Answers ARP.\n\n"));
  CHECK(absl::StrContains(usage,
                          "  --node-name NAME      this node\n"
                          "                        (default $NODE)\n"
                          "  --port N              /metrics (default 7472)\n"));
  CHECK(absl::StrContains(usage, "  --channel-plaintext   no TLS\n"));
  CHECK(absl::EndsWith(usage, "  --help                show this help\n"));
  CHECK_FALSE(absl::StrContains(usage, "logtostderr"));
  CHECK(usage.find("--api-qps") < usage.find("--api-burst"));
}

}  // namespace
}  // namespace lb::cmd
