#include "tests/kubectl/kubectl_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace lb::k8s::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out,
            const std::string& err) {
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e =
        err == out ? o : open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

KubectlRunner::KubectlRunner(const std::string& kubeconfig) {
  char tmpl[] = "/tmp/lb-kubectl-XXXXXX";
  dir_ = mkdtemp(tmpl);
  std::ofstream(dir_ + "/kubeconfig") << kubeconfig;
}

KubectlRunner::~KubectlRunner() {
  StopBackground();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> KubectlRunner::Argv(
    const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"/usr/bin/kubectl",
                                   "--kubeconfig=" + dir_ + "/kubeconfig",
                                   "--cache-dir=" + dir_ + "/cache"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

KubectlResult KubectlRunner::Run(const std::vector<std::string>& args) {
  pid_t pid = Spawn(Argv(args), dir_ + "/out", dir_ + "/err");
  int status = 0;
  waitpid(pid, &status, 0);
  KubectlResult r;
  r.exit_code = ExitCode(status);
  r.out = ReadFile(dir_ + "/out");
  r.err = ReadFile(dir_ + "/err");
  return r;
}

pid_t KubectlRunner::Start(const std::vector<std::string>& args) {
  StopBackground();
  background_ = Spawn(Argv(args), dir_ + "/bg", dir_ + "/bg");
  return background_;
}

std::string KubectlRunner::ReadBackground() const {
  return ReadFile(dir_ + "/bg");
}

bool KubectlRunner::WaitForBackground(const std::string& text,
                                      int seconds) const {
  for (int i = 0; i < seconds * 20; ++i) {
    if (ReadBackground().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int KubectlRunner::StopBackground() {
  if (background_ <= 0) return -1;
  kill(background_, SIGTERM);
  int status = 0;
  waitpid(background_, &status, 0);
  background_ = -1;
  return ExitCode(status);
}

int KubectlRunner::WaitBackground(int seconds) {
  if (background_ <= 0) return -1;
  for (int i = 0; i < seconds * 20; ++i) {
    int status = 0;
    if (waitpid(background_, &status, WNOHANG) == background_) {
      background_ = -1;
      return ExitCode(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return StopBackground();
}

}  // namespace lb::k8s::testing
