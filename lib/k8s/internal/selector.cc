#include "lib/k8s/internal/selector.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lb::k8s::internal {
namespace {

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTerms(absl::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  out.push_back(cur);
  return out;
}

bool ValidKey(absl::string_view key) {
  if (key.empty() || key.size() > 316) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_' && c != '.' && c != '/') {
      return false;
    }
  }
  return true;
}

std::string LabelValue(const nlohmann::json& labels, const std::string& key,
                       bool* present) {
  *present = false;
  if (!labels.is_object()) return "";
  auto it = labels.find(key);
  if (it == labels.end()) return "";
  *present = true;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  for (const std::string& raw : SplitTerms(text)) {
    absl::string_view term = absl::StripAsciiWhitespace(raw);
    if (term.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("label selector \"", text, "\": empty term"));
    }
    Requirement req;
    size_t pos;
    if (term[0] == '!') {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(1)));
      req.op = Op::kNotExists;
    } else if ((pos = term.find("!=")) != absl::string_view::npos) {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(0, pos)));
      req.op = Op::kNotEquals;
      req.values.emplace_back(absl::StripAsciiWhitespace(term.substr(pos + 2)));
    } else if ((pos = term.find("==")) != absl::string_view::npos) {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(0, pos)));
      req.op = Op::kEquals;
      req.values.emplace_back(absl::StripAsciiWhitespace(term.substr(pos + 2)));
    } else if ((pos = term.find('=')) != absl::string_view::npos) {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(0, pos)));
      req.op = Op::kEquals;
      req.values.emplace_back(absl::StripAsciiWhitespace(term.substr(pos + 1)));
    } else if ((pos = term.find('(')) != absl::string_view::npos) {
      if (term.back() != ')') {
        return absl::InvalidArgumentError(absl::StrCat(
            "label selector term \"", term, "\": missing closing parenthesis"));
      }
      std::vector<std::string> words =
          absl::StrSplit(term.substr(0, pos), ' ', absl::SkipWhitespace());
      if (words.size() != 2 || (words[1] != "in" && words[1] != "notin")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "label selector term \"", term, "\": expected `key in (...)`"));
      }
      req.key = words[0];
      req.op = words[1] == "in" ? Op::kIn : Op::kNotIn;
      absl::string_view inner = term.substr(pos + 1, term.size() - pos - 2);
      for (absl::string_view v : absl::StrSplit(inner, ',')) {
        req.values.emplace_back(absl::StripAsciiWhitespace(v));
      }
    } else {
      req.key = std::string(term);
      req.op = Op::kExists;
    }
    if (!ValidKey(req.key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label selector term \"", term, "\": invalid key \"", req.key, "\""));
    }
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

bool LabelSelector::Matches(const nlohmann::json& labels) const {
  for (const Requirement& r : requirements_) {
    bool present;
    std::string v = LabelValue(labels, r.key, &present);
    bool in_values = false;
    for (const std::string& x : r.values) in_values |= (x == v);
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!present || !in_values) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (present && in_values) return false;
        break;
      case Op::kExists:
        if (!present) return false;
        break;
      case Op::kNotExists:
        if (present) return false;
        break;
    }
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view text) {
  FieldSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  for (absl::string_view term : absl::StrSplit(text, ',')) {
    term = absl::StripAsciiWhitespace(term);
    Requirement req;
    size_t pos;
    if ((pos = term.find("!=")) != absl::string_view::npos) {
      req.path = std::string(term.substr(0, pos));
      req.equals = false;
      req.value = std::string(term.substr(pos + 2));
    } else if ((pos = term.find("==")) != absl::string_view::npos) {
      req.path = std::string(term.substr(0, pos));
      req.equals = true;
      req.value = std::string(term.substr(pos + 2));
    } else if ((pos = term.find('=')) != absl::string_view::npos) {
      req.path = std::string(term.substr(0, pos));
      req.equals = true;
      req.value = std::string(term.substr(pos + 1));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "field selector term \"", term, "\": expected field=value"));
    }
    if (req.path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field selector term \"", term, "\": empty field"));
    }
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

bool FieldSelector::Matches(const nlohmann::json& object) const {
  for (const Requirement& r : requirements_) {
    const nlohmann::json* cur = &object;
    for (absl::string_view part : absl::StrSplit(r.path, '.')) {
      if (cur == nullptr || !cur->is_object()) {
        cur = nullptr;
        break;
      }
      auto it = cur->find(std::string(part));
      cur = it == cur->end() ? nullptr : &*it;
    }
    std::string v;
    if (cur != nullptr && !cur->is_null()) {
      v = cur->is_string() ? cur->get<std::string>() : cur->dump();
    }
    if ((v == r.value) != r.equals) return false;
  }
  return true;
}

}  // namespace lb::k8s::internal
