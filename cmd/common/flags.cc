#include "cmd/common/flags.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace lb::cmd {
namespace {

// Column where help text starts: "  --node-name NAME      this node".
constexpr size_t kHelpColumn = 24;

}  // namespace

FlagSet::FlagSet(std::string program, std::string synopsis,
                 std::vector<std::string> usage_lines)
    : program_(std::move(program)),
      synopsis_(std::move(synopsis)),
      usage_lines_(std::move(usage_lines)) {}

void FlagSet::String(std::string name, std::string metavar, std::string* target,
                     std::string help) {
  flags_.push_back({std::move(name), std::move(metavar), std::move(help), false,
                    true, [target](absl::string_view v) {
                      *target = std::string(v);
                      return absl::OkStatus();
                    }});
}

void FlagSet::Port(std::string name, int* target, std::string help) {
  flags_.push_back({std::move(name), "N", std::move(help), false, true,
                    [target](absl::string_view v) {
                      int port = 0;
                      if (!absl::SimpleAtoi(v, &port) || port < 0 ||
                          port > 65535) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "takes a port number, not \"", v, "\""));
                      }
                      *target = port;
                      return absl::OkStatus();
                    }});
}

void FlagSet::PositiveDouble(std::string name, std::string metavar,
                             double* target, std::string help) {
  flags_.push_back({std::move(name), std::move(metavar), std::move(help), false,
                    true, [target](absl::string_view v) {
                      double d = 0;
                      if (!absl::SimpleAtod(v, &d) || !(d > 0)) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "takes a positive number, not \"", v, "\""));
                      }
                      *target = d;
                      return absl::OkStatus();
                    }});
}

void FlagSet::PositiveInt(std::string name, std::string metavar, int* target,
                          std::string help) {
  flags_.push_back({std::move(name), std::move(metavar), std::move(help), false,
                    true, [target](absl::string_view v) {
                      int n = 0;
                      if (!absl::SimpleAtoi(v, &n) || n <= 0) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "takes a positive whole number, not \"", v, "\""));
                      }
                      *target = n;
                      return absl::OkStatus();
                    }});
}

void FlagSet::Bool(std::string name, bool* target, std::string help) {
  flags_.push_back({std::move(name), "", std::move(help), true, true,
                    [target](absl::string_view v) {
                      if (v != "true" && v != "false") {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "takes true or false, not \"", v, "\""));
                      }
                      *target = v == "true";
                      return absl::OkStatus();
                    }});
}

void FlagSet::Ignored(std::string name) {
  flags_.push_back({std::move(name), "", "", true, false,
                    [](absl::string_view) { return absl::OkStatus(); }});
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::StatusOr<bool> FlagSet::Parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return false;
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\""));
    }
    absl::string_view body = arg.substr(2);
    size_t eq = body.find('=');
    absl::string_view name = body.substr(0, eq);
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    absl::string_view value;
    if (eq != absl::string_view::npos) {
      value = body.substr(eq + 1);
    } else if (flag->boolean) {
      value = flag->listed ? "true" : "";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " needs a value"));
    }
    if (absl::Status s = flag->set(value); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " ", s.message()));
    }
  }
  return true;
}

void FlagSet::ParseOrExit(int argc, const char* const* argv) {
  absl::StatusOr<bool> run = Parse(argc, argv);
  if (!run.ok()) {
    std::cerr << program_ << ": " << run.status().message() << "\n" << Usage();
    std::exit(2);
  }
  if (!*run) {
    std::cout << Usage();
    std::exit(0);
  }
}

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("usage: ", program_, " [flags]\n");
  for (const std::string& line : usage_lines_) {
    absl::StrAppend(&out, "       ", line, "\n");
  }
  absl::StrAppend(&out, "\n", synopsis_, "\n\n");
  auto row = [&out](std::string left, absl::string_view help) {
    bool first = true;
    for (absl::string_view line : absl::StrSplit(help, '\n')) {
      std::string lead = first ? left : "";
      if (lead.size() + 1 > kHelpColumn) {
        absl::StrAppend(&out, lead, "\n");
        lead.clear();
      }
      lead.resize(kHelpColumn, ' ');
      absl::StrAppend(&out, lead, line, "\n");
      first = false;
    }
  };
  for (const Flag& f : flags_) {
    if (!f.listed) continue;
    row(absl::StrCat("  --", f.name, f.metavar.empty() ? "" : " ", f.metavar),
        f.help);
  }
  row("  --help", "show this help");
  return out;
}

}  // namespace lb::cmd
