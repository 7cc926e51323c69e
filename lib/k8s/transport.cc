#include "lib/k8s/transport.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace lb::k8s {
namespace {

struct Url {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string prefix;
};

absl::StatusOr<Url> ParseUrl(const std::string& server) {
  Url url;
  absl::string_view rest = server;
  if (absl::ConsumePrefix(&rest, "https://")) {
    url.tls = true;
  } else if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server URL \"", server, "\" must start with https:// or http://"));
  }
  size_t slash = rest.find('/');
  absl::string_view hostport = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    url.prefix = std::string(rest.substr(slash));
    while (!url.prefix.empty() && url.prefix.back() == '/')
      url.prefix.pop_back();
  }
  absl::string_view port_text;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("server URL \"", server, "\": unbalanced ["));
    }
    url.host = std::string(hostport.substr(1, close - 1));
    absl::string_view after = hostport.substr(close + 1);
    if (absl::ConsumePrefix(&after, ":")) port_text = after;
  } else {
    size_t colon = hostport.rfind(':');
    url.host = std::string(hostport.substr(0, colon));
    if (colon != absl::string_view::npos)
      port_text = hostport.substr(colon + 1);
  }
  if (url.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", server, "\" has no host"));
  }
  url.port = url.tls ? 443 : 80;
  if (!port_text.empty() && (!absl::SimpleAtoi(port_text, &url.port) ||
                             url.port <= 0 || url.port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", server, "\": bad port"));
  }
  return url;
}

std::string ErrorText(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "connection failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate verification failed";
    case httplib::Error::Read:
      return "read failed or timed out";
    case httplib::Error::Write:
      return "write failed";
    case httplib::Error::Canceled:
      return "canceled";
    case httplib::Error::SSLLoadingCerts:
      return "loading certificates failed";
    default:
      return absl::StrCat("transport error ", static_cast<int>(e));
  }
}

// Whether a request that failed with `e` on a reused connection may be sent
// again: a failed write means the server did not get the whole request; a
// failed read before any response is safe to repeat for idempotent methods.
bool StaleConnection(httplib::Error e, const std::string& method) {
  if (e == httplib::Error::Write) return true;
  return e == httplib::Error::Read && (method == "GET" || method == "HEAD" ||
                                       method == "PUT" || method == "DELETE");
}

class HttplibTransport final : public HttpTransport {
 public:
  HttplibTransport(Config config, Url url)
      : config_(std::move(config)), url_(std::move(url)) {}

  absl::StatusOr<HttpResponse> Do(const HttpRequest& request,
                                  absl::string_view token) override {
    std::unique_ptr<httplib::ClientImpl> cli;
    {
      absl::MutexLock l(&mu_);
      if (!pool_.empty()) {
        cli = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    const bool reused = cli != nullptr;
    if (cli == nullptr) {
      auto made = MakeClient(config_.timeout);
      if (!made.ok()) return made.status();
      cli = std::move(*made);
    }
    httplib::Request req;
    req.method = request.method;
    req.path = url_.prefix + request.path;
    req.headers = Headers(token);
    if (!request.body.empty() || request.method == "POST" ||
        request.method == "PUT" || request.method == "PATCH") {
      req.body = request.body;
      req.set_header("Content-Type", request.content_type.empty()
                                         ? "application/json"
                                         : request.content_type);
    }
    httplib::Result res = cli->send(req);
    if (!res && reused && StaleConnection(res.error(), request.method)) {
      // The server closed the kept-alive connection while it sat in the pool
      // (over TLS httplib cannot tell before writing). Once more, on a fresh
      // connection.
      auto made = MakeClient(config_.timeout);
      if (!made.ok()) return made.status();
      cli = std::move(*made);
      res = cli->send(req);
    }
    if (!res) {
      return absl::UnavailableError(absl::StrCat(
          request.method, " ", request.path, ": ", ErrorText(res.error())));
    }
    HttpResponse out;
    out.status = res->status;
    out.body = std::move(res->body);
    int retry = 0;
    if (absl::SimpleAtoi(res->get_header_value("Retry-After"), &retry) &&
        retry > 0) {
      out.retry_after = absl::Seconds(retry);
    }
    const size_t warnings = res->get_header_value_count("Warning");
    for (size_t i = 0; i < warnings; ++i) {
      std::optional<std::string> text =
          ParseWarningHeader(res->get_header_value("Warning", i));
      if (text.has_value()) out.warnings.push_back(*std::move(text));
    }
    {
      absl::MutexLock l(&mu_);
      if (pool_.size() < 8) pool_.push_back(std::move(cli));
    }
    return out;
  }

  absl::StatusOr<HttpResponse> Stream(
      const HttpRequest& request, absl::string_view token,
      absl::Duration read_timeout,
      const std::function<bool(absl::string_view)>& on_data,
      StreamCancel* cancel) override {
    auto made = MakeClient(read_timeout);
    if (!made.ok()) return made.status();
    std::shared_ptr<httplib::ClientImpl> cli = std::move(*made);
    if (cancel != nullptr && !cancel->Register([cli] { cli->stop(); })) {
      return absl::CancelledError("stream cancelled");
    }
    HttpResponse out;
    bool stopped_by_reader = false;
    httplib::Result res = cli->Get(
        url_.prefix + request.path, Headers(token),
        [&](const httplib::Response& r) {
          out.status = r.status;
          return true;
        },
        [&](const char* data, size_t len) {
          if (out.status != 200) {
            if (out.body.size() < (1 << 20)) out.body.append(data, len);
            return true;
          }
          if (!on_data(absl::string_view(data, len))) {
            stopped_by_reader = true;
            return false;
          }
          return true;
        });
    if (cancel != nullptr) cancel->Unregister();
    if (cancel != nullptr && cancel->cancelled()) {
      return absl::CancelledError("stream cancelled");
    }
    if (!res && !stopped_by_reader) {
      return absl::UnavailableError(
          absl::StrCat("GET ", request.path, ": ", ErrorText(res.error())));
    }
    return out;
  }

 private:
  httplib::Headers Headers(absl::string_view token) const {
    httplib::Headers h = {{"Accept", "application/json"},
                          {"User-Agent", config_.user_agent}};
    // Credentials travel only over TLS, as client-go does.
    if (url_.tls && !token.empty()) {
      h.emplace("Authorization", absl::StrCat("Bearer ", token));
    }
    return h;
  }

  absl::StatusOr<std::unique_ptr<httplib::ClientImpl>> MakeClient(
      absl::Duration read_timeout) const {
    std::unique_ptr<httplib::ClientImpl> cli;
    if (url_.tls) {
      std::unique_ptr<httplib::SSLClient> ssl;
      if (!config_.client_cert_pem.empty()) {
        BIO* cb =
            BIO_new_mem_buf(config_.client_cert_pem.data(),
                            static_cast<int>(config_.client_cert_pem.size()));
        BIO* kb =
            BIO_new_mem_buf(config_.client_key_pem.data(),
                            static_cast<int>(config_.client_key_pem.size()));
        X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
        EVP_PKEY* k = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
        BIO_free(cb);
        BIO_free(kb);
        if (x == nullptr || k == nullptr) {
          X509_free(x);
          EVP_PKEY_free(k);
          return absl::InvalidArgumentError(
              "client certificate or key is not valid PEM");
        }
        ssl = std::make_unique<httplib::SSLClient>(url_.host, url_.port, x, k);
        X509_free(x);
        EVP_PKEY_free(k);
      } else {
        ssl = std::make_unique<httplib::SSLClient>(url_.host, url_.port);
      }
      if (!config_.ca_pem.empty()) {
        X509_STORE* store = X509_STORE_new();
        BIO* bio = BIO_new_mem_buf(config_.ca_pem.data(),
                                   static_cast<int>(config_.ca_pem.size()));
        int added = 0;
        while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
          X509_STORE_add_cert(store, cert);
          X509_free(cert);
          ++added;
        }
        BIO_free(bio);
        if (added == 0) {
          X509_STORE_free(store);
          return absl::InvalidArgumentError(
              "certificate authority data holds no PEM certificate");
        }
        ssl->set_ca_cert_store(store);  // takes ownership
      }
      ssl->enable_server_certificate_verification(
          !config_.insecure_skip_tls_verify);
      cli = std::move(ssl);
    } else {
      cli = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
    }
    auto secs = [](absl::Duration d) {
      return static_cast<time_t>(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
    };
    cli->set_connection_timeout(secs(config_.timeout));
    cli->set_read_timeout(secs(read_timeout));
    cli->set_write_timeout(secs(config_.timeout));
    cli->set_keep_alive(true);
    cli->set_tcp_nodelay(true);
    return cli;
  }

  const Config config_;
  const Url url_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> pool_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::optional<std::string> ParseWarningHeader(absl::string_view value) {
  // code SP agent SP quoted-string [SP quoted-date]
  const size_t code_end = value.find(' ');
  if (code_end == absl::string_view::npos) return std::nullopt;
  const size_t agent_end = value.find(' ', code_end + 1);
  if (agent_end == absl::string_view::npos || agent_end + 1 >= value.size() ||
      value[agent_end + 1] != '"') {
    return std::nullopt;
  }
  std::string text;
  for (size_t i = agent_end + 2; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '"') return text;
    if (c == '\\' && i + 1 < value.size()) {
      text.push_back(value[++i]);
    } else {
      text.push_back(c);
    }
  }
  return std::nullopt;  // unterminated
}

absl::StatusOr<std::unique_ptr<HttpTransport>> NewHttpTransport(
    const Config& config) {
  if (!config.tls_server_name.empty()) {
    return absl::UnimplementedError(
        "tls-server-name is not supported by this transport");
  }
  auto url = ParseUrl(config.server);
  if (!url.ok()) return url.status();
  try {
    return std::unique_ptr<HttpTransport>(
        new HttplibTransport(config, std::move(*url)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("transport setup: ", e.what()));
  }
}

}  // namespace lb::k8s
