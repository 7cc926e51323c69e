// A main() for fuzz targets outside libFuzzer: replays every corpus file given
// on the command line (files or directories), then a fixed number of
// deterministic mutations of each, through LLVMFuzzerTestOneInput. Exits
// non-zero if the corpus is empty.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr int kMutationsPerInput = 200;

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
}

std::string Mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 4) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(byte(rng));
        break;
      case 1:  // insert a byte
        s.insert(s.begin() + (s.empty() ? 0 : rng() % (s.size() + 1)),
                 static_cast<char>(byte(rng)));
        break;
      case 2:  // truncate
        if (!s.empty()) s.resize(rng() % s.size());
        break;
      case 3:  // duplicate a slice
        if (!s.empty()) {
          size_t from = rng() % s.size();
          size_t len = 1 + rng() % (s.size() - from);
          s.insert(rng() % (s.size() + 1), s.substr(from, len));
        }
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else {
      files.push_back(p);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      inputs.emplace_back(std::istreambuf_iterator<char>(in),
                          std::istreambuf_iterator<char>());
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no corpus files given\n");
    return 1;
  }
  std::mt19937 rng(12345);
  for (const std::string& input : inputs) {
    Run(input);
    for (int i = 0; i < kMutationsPerInput; ++i) Run(Mutate(input, rng));
  }
  std::printf("replayed %zu corpus inputs and %zu mutations\n", inputs.size(),
              inputs.size() * kMutationsPerInput);
  return 0;
}
