// Throttle: exponential delay after repeated failed logins per address and
// per user name (see auth.h).
#include <algorithm>
#include <vector>

#include "auth/auth.h"
#include "auth/crypto_util.h"

namespace loft::auth {
namespace {

// Bounds memory under a flood of distinct addresses or names.
constexpr size_t kMaxEntries = 100'000;
constexpr size_t kMaxKeyLength = 256;

std::string user_key(std::string_view user) { return internal::ascii_lower(user.substr(0, kMaxKeyLength)); }

template <typename Map>
void prune(Map& map, Throttle::Clock::time_point now, std::chrono::seconds forget_after) {
  if (map.size() < kMaxEntries) return;
  std::erase_if(map, [&](const auto& kv) { return now - kv.second.last > forget_after; });
  if (map.size() < kMaxEntries) return;
  // Still full of fresh entries: drop the older half.
  std::vector<Throttle::Clock::time_point> times;
  times.reserve(map.size());
  for (const auto& kv : map) times.push_back(kv.second.last);
  auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  Throttle::Clock::time_point cutoff = *mid;
  std::erase_if(map, [&](const auto& kv) { return kv.second.last <= cutoff; });
}

template <typename Map, typename Entry>
void count_failure(Map& map, const std::string& key, Throttle::Clock::time_point now,
                   std::chrono::seconds forget_after) {
  auto it = map.find(key);
  if (it == map.end()) {
    prune(map, now, forget_after);
    it = map.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.failures > 0 && now - e.last > forget_after) e.failures = 0;
  if (e.failures < 1000) ++e.failures;  // far beyond the cap; avoids overflow
  e.last = now;
}

}  // namespace

std::chrono::milliseconds Throttle::delay_for(const Entry* e, Clock::time_point now) const {
  if (e == nullptr || now - e->last > opts_.forget_after) return std::chrono::milliseconds(0);
  int excess = e->failures - opts_.free_failures;
  if (excess <= 0) return std::chrono::milliseconds(0);
  std::chrono::milliseconds delay = opts_.base_delay;
  for (int i = 1; i < excess && delay < opts_.max_delay; ++i) delay *= 2;
  return std::min(delay, opts_.max_delay);
}

std::chrono::milliseconds Throttle::delay(std::string_view ip, std::string_view user, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const Entry* by_ip = nullptr;
  const Entry* by_user = nullptr;
  if (!ip.empty()) {
    auto it = by_ip_.find(std::string(ip.substr(0, kMaxKeyLength)));
    if (it != by_ip_.end()) by_ip = &it->second;
  }
  if (!user.empty()) {
    auto it = by_user_.find(user_key(user));
    if (it != by_user_.end()) by_user = &it->second;
  }
  return std::max(delay_for(by_ip, now), delay_for(by_user, now));
}

void Throttle::failure(std::string_view ip, std::string_view user, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!ip.empty())
    count_failure<decltype(by_ip_), Entry>(by_ip_, std::string(ip.substr(0, kMaxKeyLength)), now,
                                           opts_.forget_after);
  if (!user.empty())
    count_failure<decltype(by_user_), Entry>(by_user_, user_key(user), now, opts_.forget_after);
}

void Throttle::success(std::string_view ip, std::string_view user) {
  // Like Dovecot's auth penalty: a successful login clears both counters.
  std::lock_guard lock(mu_);
  if (!ip.empty()) by_ip_.erase(std::string(ip.substr(0, kMaxKeyLength)));
  if (!user.empty()) by_user_.erase(user_key(user));
}

std::chrono::milliseconds Throttle::settle(std::string_view ip, std::string_view user, bool success) {
  std::chrono::milliseconds wait = delay(ip, user);
  if (success)
    this->success(ip, user);
  else
    failure(ip, user);
  return wait;
}

}  // namespace loft::auth
