#include "lib/arp/internal/connection_set.h"

namespace lb::arp {

ConnectionSet::ConnectionSet(PacketConnFactory& factory, Hooks hooks)
    : factory_(factory), hooks_(std::move(hooks)) {}

ConnectionSet::~ConnectionSet() {
  while (!conns_.empty()) Close(conns_.begin());
}

void ConnectionSet::Close(std::map<ConnKey, Conn>::iterator it) {
  if (hooks_.closing) hooks_.closing(it->first, *it->second.conn);
  conns_.erase(it);
}

std::vector<ConnectionSet::Failure> ConnectionSet::Reconcile(
    const Wanted& wanted) {
  std::vector<Failure> failures;
  for (auto it = conns_.begin(); it != conns_.end();) {
    auto next = std::next(it);
    if (!wanted.count(it->first)) Close(it);
    it = next;
  }
  for (const auto& [key, groups] : wanted) {
    auto it = conns_.find(key);
    if (it == conns_.end()) {
      absl::StatusOr<std::unique_ptr<PacketConn>> conn =
          factory_.Open(key.first, key.second);
      if (!conn.ok()) {
        failures.push_back({key, std::nullopt, conn.status()});
        continue;
      }
      it = conns_.emplace(key, Conn{std::move(*conn), {}}).first;
      if (hooks_.opened) {
        absl::Status s = hooks_.opened(key, *it->second.conn);
        if (!s.ok()) {
          Close(it);
          failures.push_back({key, std::nullopt, std::move(s)});
          continue;
        }
      }
    }
    Conn& c = it->second;
    for (auto g = c.groups.begin(); g != c.groups.end();) {
      if (!groups.count(*g)) {
        (void)c.conn->LeaveGroup(*g);
        g = c.groups.erase(g);
      } else {
        ++g;
      }
    }
    for (const IpAddress& g : groups) {
      if (c.groups.count(g)) continue;
      absl::Status s = c.conn->JoinGroup(g);
      if (s.ok()) {
        c.groups.insert(g);
      } else {
        failures.push_back({key, g, std::move(s)});
      }
    }
  }
  return failures;
}

PacketConn* ConnectionSet::Find(const ConnKey& key) const {
  auto it = conns_.find(key);
  return it == conns_.end() ? nullptr : it->second.conn.get();
}

std::set<IpAddress> ConnectionSet::Groups(const ConnKey& key) const {
  auto it = conns_.find(key);
  return it == conns_.end() ? std::set<IpAddress>{} : it->second.groups;
}

std::vector<std::pair<ConnKey, PacketConn*>> ConnectionSet::All() const {
  std::vector<std::pair<ConnKey, PacketConn*>> out;
  out.reserve(conns_.size());
  for (const auto& [key, c] : conns_) out.push_back({key, c.conn.get()});
  return out;
}

}  // namespace lb::arp
